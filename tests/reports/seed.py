"""A small faculty with a history, for the report tests.

On 25 March 2024 (TODAY):

- tasks: prep (phase 1, due 15 Feb) done on time by IFA (with an archive reference) and FAK,
  late elsewhere; dept-form (phase 1, level 3, due 20 Mar) done late by IFB, late in IFA and
  IFC; ongoing (phase 2) open in every unit; action-plan (phase 3, May) not open yet; vague
  (phase 3) has no date. Totals: 2 on time, 1 done late, 10 open of which 5 late, 5 upcoming,
  5 undated.
- VO points (IFA and IFB have a VO): vo-1 yes in IFA, not yet and overdue in IFB; vo-2 waiting.
- action items: IFA on track and done, IFB delayed.
- deliveries: IFA 3 sent, 2 failed (channel_not_found) and 1 failed (user_disabled); IFB 1 sent.
- pulse (employees; rounds p1 12 Feb, p2 4 Mar, p3 25 Mar, each open 7 days): p1 IFA 6 and
  IFB 5 answers (everything shown); p2 IFA 6 and IFB 4 (IFB under the threshold, IFA then
  derivable by subtraction from FAK: only FAK and UNI shown); p3 is still open.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from schedules.loader import check_plan_text
from schedules.plan import Plan
from storage.directory import import_org
from storage.models import (
    ActionState,
    Delivery,
    DeliveryStatus,
    PulseAnswer,
    VoAnswer,
    table_of,
)
from storage.queries import person_by_email
from storage.records import add_action_item, mark_task_done, record_vo_answer, set_action_state

TODAY = date(2024, 3, 25)
NOW = datetime(2024, 3, 25, 10, 0, tzinfo=UTC)
CALENDAR = WorkCalendar()
ARCHIVE_REF = "2024/123-Ø"

PLAN_TEXT = """
id: test-cycle
name: {nb: Testsyklus, en: Test cycle}
anchors: {survey_start: 2024-03-04}
milestones:
  - id: prep
    phase: 1
    kind: task
    title: {nb: Forberede, en: Prepare}
    audience: [{role: leader}]
    when: {type: deadline, opens: 2024-02-01, due: 2024-02-15}
  - id: dept-form
    phase: 1
    kind: task
    title: {nb: Skjema for institutt, en: Department form}
    audience: [{role: leader, level: 3}]
    when: {type: deadline, opens: 2024-03-01, due: 2024-03-20}
  - id: ongoing
    phase: 2
    kind: task
    title: {nb: Pågående, en: Ongoing}
    audience: [{role: leader}, {role: vo}]
    when: {type: deadline, opens: 2024-03-01, due: 2024-04-12}
  - id: action-plan
    phase: 3
    kind: task
    title: {nb: Handlingsplan, en: Action plan}
    audience: [{role: leader}]
    when: {type: month, month: 2024-05}
  - id: vague
    phase: 3
    kind: task
    title: {nb: Dato kommer, en: Date to come}
    audience: [{role: leader}]
    when: {type: tbd}
  - id: vo-1
    phase: 1
    kind: vo_meeting
    title: {nb: Møtepunkt 1, en: Meeting point 1}
    audience: [{role: vo}]
    when: {type: month, month: 2024-01}
    confirm_by: 2024-02-16
  - id: vo-2
    phase: 2
    kind: vo_meeting
    title: {nb: Møtepunkt 2, en: Meeting point 2}
    audience: [{role: vo}]
    when: {type: month, month: 2024-03}
  - id: pulse
    phase: 4
    kind: pulse
    title: {nb: Pulsmåling, en: Pulse check}
    audience: [{role: employee}]
    when: {type: window, start: 2024-02-12, end: 2024-04-15}
    pulse:
      cadence_days: 21
      open_days: 7
      questions:
        - id: safe
          text: {nb: "Hvor trygt føles det å si ifra?", en: "How safe does it feel to speak up?"}
          scale: "1-5"
        - id: knows
          text: {nb: "Kjenner du tiltakene?", en: "Do you know the actions?"}
          scale: yes_no_unsure
"""


def make_plan() -> Plan:
    plan, issues = check_plan_text(PLAN_TEXT, "report-test-plan.yaml")
    assert plan is not None, [str(issue) for issue in issues]
    return plan


PLAN = make_plan()


def _org() -> str:
    lines = [
        "unit_id,unit_name,parent_id,level,email,name,role",
        "UNI,Universitetet,,1,rektor@example.org,Rita Rektor,leader",
        "FAK,Fakultet for økonomi,UNI,2,koord@example.org,Kari Koordinator,coordinator",
        "FAK,Fakultet for økonomi,UNI,2,dekan@example.org,Dag Dekan,leader",
        "IFA,Institutt for ålesund-studier,FAK,3,leder.a@example.org,Åse Leder,leader",
        "IFA,Institutt for ålesund-studier,FAK,3,vo.a@example.org,Vidar Verneombud,vo",
        "IFB,Institutt B,FAK,3,leder.b@example.org,Bjørn Leder,leader",
        "IFB,Institutt B,FAK,3,vo.b@example.org,Vera Verneombud,vo",
        "IFC,Institutt C,FAK,3,leder.c@example.org,Cecilie Leder,leader",
    ]
    lines += [
        f"IFA,Institutt for ålesund-studier,FAK,3,ansatt.a{n}@example.org,Ansatt A{n},employee"
        for n in range(7)
    ]
    lines += [
        f"IFB,Institutt B,FAK,3,ansatt.b{n}@example.org,Ansatt B{n},employee" for n in range(5)
    ]
    return "\n".join(lines) + "\n"


ORG_CSV = _org()

# (unit, round) -> one (safe, knows) pair per respondent
ANSWERS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("IFA", "p1"): [
        ("4", "yes"),
        ("5", "yes"),
        ("3", "yes"),
        ("4", "yes"),
        ("5", "no"),
        ("4", "unsure"),
    ],
    ("IFB", "p1"): [("2", "yes"), ("3", "yes"), ("3", "no"), ("4", "no"), ("3", "no")],
    ("IFA", "p2"): [("5", "yes")] * 3 + [("4", "yes")] * 3,
    # Four answers: under the threshold of 5. Its distinctive 1s must never reach a report.
    ("IFB", "p2"): [("1", "no"), ("1", "no"), ("2", "no"), ("2", "no")],
    ("IFA", "p3"): [("3", "yes")] * 6,  # the round is still open on TODAY
}
ROUND_DAYS = {"p1": date(2024, 2, 12), "p2": date(2024, 3, 4), "p3": date(2024, 3, 25)}


def pid(session: Session, email: str) -> int:
    person = person_by_email(session, email)
    assert person is not None
    assert person.id is not None
    return person.id


def _delivery(
    person_id: int, unit_id: str, n: int, status: DeliveryStatus, error: str | None
) -> dict[str, Any]:
    at = NOW - timedelta(days=n + 1)
    return {
        "dedupe_key": f"report-test:{unit_id}:{n}",
        "cycle_id": PLAN.id,
        "milestone_id": "prep",
        "occurrence": f"r{n}:{unit_id}",
        "person_id": person_id,
        "unit_id": unit_id,
        "role": "leader",
        "nudge": "reminder",
        "status": status.value,
        "attempts": 1,
        "due_at": at,
        "next_attempt_at": at,
        "sent_at": at if status is DeliveryStatus.sent else None,
        "error": error,
        "created_at": at,
    }


def pulse_rows(answers: dict[tuple[str, str], list[tuple[str, str]]]) -> list[dict[str, Any]]:
    rows = []
    for (unit_id, round_id), people in answers.items():
        for safe, knows in people:
            for question_id, value in (("safe", safe), ("knows", knows)):
                rows.append(
                    {
                        "id": secrets.token_hex(16),
                        "cycle_id": PLAN.id,
                        "pulse_id": "pulse",
                        "round": round_id,
                        "unit_id": unit_id,
                        "question_id": question_id,
                        "value": value,
                        "answered_on": ROUND_DAYS[round_id] + timedelta(days=1),
                    }
                )
    return rows


def seed(engine: Engine) -> None:
    import_org(engine, ORG_CSV, clock=FrozenClock(NOW), actor="test")
    with Session(engine) as session:

        def done(milestone: str, unit: str, on: date, by: str | None = None) -> None:
            mark_task_done(
                session,
                cycle_id=PLAN.id,
                milestone_id=milestone,
                unit_id=unit,
                done_on=on,
                now=datetime(on.year, on.month, on.day, 10, tzinfo=UTC),
                actor=by or "test",
                person_id=pid(session, by) if by else None,
                archive_ref=ARCHIVE_REF if by else None,
            )

        done("prep", "IFA", date(2024, 2, 10), by="leder.a@example.org")
        done("prep", "FAK", date(2024, 2, 15), by="dekan@example.org")
        done("dept-form", "IFB", date(2024, 3, 22))
        for unit, vo, answer in (
            ("IFA", "vo.a@example.org", VoAnswer.yes),
            ("IFB", "vo.b@example.org", VoAnswer.not_yet),
        ):
            record_vo_answer(
                session,
                cycle_id=PLAN.id,
                milestone_id="vo-1",
                unit_id=unit,
                person_id=pid(session, vo),
                answer=answer,
                now=datetime(2024, 2, 5, 10, tzinfo=UTC),
                actor=vo,
                involved_on=date(2024, 2, 2) if answer is VoAnswer.yes else None,
                comment="Vi hadde møte" if answer is VoAnswer.yes else None,
            )
        for unit, title, state in (
            ("IFA", "Felles lunsj hver fredag", ActionState.on_track),
            ("IFA", "Ryddig møtestruktur, med «agenda»", ActionState.done),
            ("IFB", "Bedre introduksjon, for nye", ActionState.delayed),
        ):
            item = add_action_item(
                session,
                cycle_id=PLAN.id,
                unit_id=unit,
                title=title,
                now=NOW,
                actor="test",
                owner="Åse Leder" if unit == "IFA" else None,
                due_on=date(2024, 6, 1),
            )
            set_action_state(session, item, state, now=NOW, actor="test")
        anne, bjorn = pid(session, "leder.a@example.org"), pid(session, "leder.b@example.org")
        deliveries = [_delivery(anne, "IFA", n, DeliveryStatus.sent, None) for n in range(3)]
        deliveries += [
            _delivery(anne, "IFA", 3, DeliveryStatus.failed, "channel_not_found"),
            _delivery(anne, "IFA", 4, DeliveryStatus.failed, "channel_not_found"),
            _delivery(anne, "IFA", 5, DeliveryStatus.failed, "user_disabled"),
            _delivery(bjorn, "IFB", 6, DeliveryStatus.sent, None),
        ]
        session.execute(insert(table_of(Delivery)), deliveries)
        session.execute(insert(table_of(PulseAnswer)), pulse_rows(ANSWERS))
        session.commit()
