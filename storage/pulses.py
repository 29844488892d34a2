"""Pulse rounds and anonymous pulse answers.

A pulse milestone of the plan is sent in rounds ("p1", "p2", …): each round opens on its
event's day and stays open `open_days` days. An answer is stored without the person who gave
it: one `PulseAnswer` per question (unit, pulse, round, question, value, the date only, a
random id), and one `PulseResponse` marker that records only *that* the person answered, so
they are not asked again. Unlike the other domain actions, recording answers leaves no audit
entry: an entry naming the person, with its time, would link them to their answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from schedules.calendar import WorkCalendar
from schedules.events import Nudge, Rules, plan_events
from schedules.plan import Milestone, Plan, PulseQuestion
from storage.models import Person, PulseAnswer, PulseResponse, Unit, table_of

SCALE_VALUES: dict[str, tuple[str, ...]] = {
    "1-5": ("1", "2", "3", "4", "5"),
    "yes_no_unsure": ("yes", "no", "unsure"),
}


@dataclass(frozen=True, slots=True)
class PulseRound:
    """One round of a pulse: open from `opens_on` to `closes_on`, both inclusive."""

    cycle_id: str
    pulse_id: str
    round: str
    opens_on: date
    closes_on: date
    questions: tuple[PulseQuestion, ...]

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on

    def is_closed(self, today: date) -> bool:
        """True once the round is over: results may be shown from the day after it closes."""
        return today > self.closes_on


def pulse_rounds(
    plan: Plan, calendar: WorkCalendar, rules: Rules | None = None
) -> list[PulseRound]:
    """Every round of every pulse milestone of the plan, in the order of `plan_events`
    (by day). Each round closes on its day + `open_days` − 1."""
    rounds: list[PulseRound] = []
    for event in plan_events(plan, calendar, rules or Rules()):
        if event.nudge is not Nudge.pulse:
            continue
        spec = plan.milestone(event.milestone_id).pulse
        assert spec is not None
        rounds.append(
            PulseRound(
                cycle_id=plan.id,
                pulse_id=event.milestone_id,
                round=event.occurrence,
                opens_on=event.day,
                closes_on=event.expires_on,
                questions=tuple(spec.questions),
            )
        )
    return rounds


def pulse_milestone(plan: Plan, pulse_id: str) -> Milestone:
    """The plan's pulse milestone with this id; ValueError when there is none."""
    for milestone in plan.milestones:
        if milestone.id == pulse_id:
            if milestone.pulse is None:
                raise ValueError(f"milestone '{pulse_id}' is not a pulse")
            return milestone
    raise ValueError(f"the plan has no pulse '{pulse_id}'")


def find_round(
    plan: Plan,
    pulse_id: str,
    round: str,
    calendar: WorkCalendar | None = None,
    rules: Rules | None = None,
) -> PulseRound:
    """The round of this pulse; ValueError when the pulse or the round does not exist."""
    pulse_milestone(plan, pulse_id)
    for found in pulse_rounds(plan, calendar or WorkCalendar(), rules):
        if found.pulse_id == pulse_id and found.round == round:
            return found
    raise ValueError(f"pulse '{pulse_id}' has no round '{round}'")


def has_answered(
    session: Session, cycle_id: str, pulse_id: str, round: str, person_id: int
) -> bool:
    """Whether the person has answered this round (the marker is all that is stored)."""
    markers = table_of(PulseResponse)
    query = select(
        exists().where(
            markers.c.cycle_id == cycle_id,
            markers.c.pulse_id == pulse_id,
            markers.c.round == round,
            markers.c.person_id == person_id,
        )
    )
    return bool(session.execute(query).scalar())


def record_pulse_answers(
    session: Session,
    *,
    plan: Plan,
    pulse_id: str,
    round: str,
    person_id: int,
    unit_id: str,
    answers: dict[str, str],
    today: date,
    calendar: WorkCalendar | None = None,
    rules: Rules | None = None,
) -> bool:
    """Store a person's answers to one pulse round, anonymously; False if they already had.

    Every question of the pulse must be answered with a value its scale allows ("1"…"5", or
    "yes" / "no" / "unsure"), the round must exist and be open on `today`, and the unit and
    the person must exist; otherwise ValueError, and nothing is written. A second answer to
    the same round returns False and writes nothing, also when two arrive at once (the
    marker's unique constraint decides). The answers and the marker are written in the
    caller's transaction, so either both are stored or neither is. No audit entry is
    written. Pass the calendar the planner uses (its holidays move the rounds' days).
    """
    found = find_round(plan, pulse_id, round, calendar, rules)
    if not found.is_open(today):
        raise ValueError(
            f"pulse '{pulse_id}' round '{round}' is open {found.opens_on.isoformat()} to "
            f"{found.closes_on.isoformat()}, not on {today.isoformat()}"
        )
    values = _checked_answers(found.questions, answers)
    if session.get(Unit, unit_id) is None:
        raise ValueError(f"unknown unit '{unit_id}'")
    if session.get(Person, person_id) is None:
        raise ValueError(f"no person with id {person_id}")

    markers = table_of(PulseResponse)
    dialect_insert = (
        postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    marker = (
        dialect_insert(markers)
        .values(
            id=secrets.token_hex(16),
            cycle_id=plan.id,
            pulse_id=pulse_id,
            round=round,
            person_id=person_id,
        )
        .on_conflict_do_nothing(index_elements=["cycle_id", "pulse_id", "round", "person_id"])
        .returning(markers.c.id)
    )
    if session.execute(marker).scalar() is None:
        return False
    rows: list[dict[str, Any]] = [
        {
            "id": secrets.token_hex(16),
            "cycle_id": plan.id,
            "pulse_id": pulse_id,
            "round": round,
            "unit_id": unit_id,
            "question_id": question_id,
            "value": value,
            "answered_on": today,
        }
        for question_id, value in values
    ]
    session.execute(insert(table_of(PulseAnswer)), rows)
    session.flush()
    return True


def _checked_answers(
    questions: tuple[PulseQuestion, ...], answers: dict[str, str]
) -> list[tuple[str, str]]:
    known = {question.id for question in questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(f"unknown question(s): {', '.join(unknown)}")
    checked: list[tuple[str, str]] = []
    for question in questions:
        if question.id not in answers:
            raise ValueError(f"question '{question.id}' is not answered (all are required)")
        value = answers[question.id]
        allowed = SCALE_VALUES[question.scale]
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(
                f"{value!r} is not an answer to question '{question.id}': "
                f"allowed are {', '.join(allowed)}"
            )
        checked.append((question.id, value))
    return checked


def reseal_round(session: Session, *, cycle_id: str, pulse_id: str, round: str) -> int:
    """Rewrite one round's answers and markers in one statement each; returns the answers kept.

    On PostgreSQL every row carries the id of the transaction that wrote it (`xmin`) and
    sits in the heap in arrival order, so an answer written together with its marker can be
    joined to the person through `xmin` or through the physical order. Rewriting the whole
    round in one transaction gives every row the same `xmin`, new random ids and an order
    by id. Values, units and dates are kept. Old row versions remain until (auto)vacuum.
    """
    answers, markers = table_of(PulseAnswer), table_of(PulseResponse)

    def of_round(table: Any) -> Any:
        return (
            (table.c.cycle_id == cycle_id)
            & (table.c.pulse_id == pulse_id)
            & (table.c.round == round)
        )

    kept = [
        dict(row)
        for row in session.execute(
            select(
                answers.c.cycle_id,
                answers.c.pulse_id,
                answers.c.round,
                answers.c.unit_id,
                answers.c.question_id,
                answers.c.value,
                answers.c.answered_on,
            ).where(of_round(answers))
        ).mappings()
    ]
    people = list(session.execute(select(markers.c.person_id).where(of_round(markers))).scalars())
    session.execute(delete(answers).where(of_round(answers)))
    session.execute(delete(markers).where(of_round(markers)))
    fresh = sorted(({"id": secrets.token_hex(16), **row} for row in kept), key=lambda r: r["id"])
    if fresh:
        session.execute(insert(answers), fresh)
    marked = sorted(
        (
            {
                "id": secrets.token_hex(16),
                "cycle_id": cycle_id,
                "pulse_id": pulse_id,
                "round": round,
                "person_id": person_id,
            }
            for person_id in people
        ),
        key=lambda r: r["id"],
    )
    if marked:
        session.execute(insert(markers), marked)
    session.flush()
    return len(fresh)
