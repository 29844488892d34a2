"""Where things stand: task states, VO points, the coordinator's area and each person's home,
on SQLite and PostgreSQL, with a constant number of statements however many units there are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.overview import (
    Membership,
    UnitStatus,
    coordinator_area,
    person_home,
    unit_status,
    unit_statuses,
)
from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from storage.deliveries import insert_new
from storage.directory import import_org
from storage.models import ActionArea, ActionState, DeliveryStatus, Role, VoAnswer
from storage.queries import UnknownUnitError, person_by_email
from storage.records import add_action_item, mark_task_done, pause_person, record_vo_answer
from tests.engine.harness import ORG_CSV, make_plan
from tests.statements import statements

NOW = datetime(2024, 3, 25, 10, 0, tzinfo=UTC)
TODAY = date(2024, 3, 25)  # a Monday; Easter 2024 is 28 March – 1 April
CALENDAR = WorkCalendar()

PLAN = make_plan(
    """
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
  - id: faculty-report
    phase: 2
    kind: task
    title: {nb: Fakultetsrapport, en: Faculty report}
    audience: [{role: leader, level: 2}, {role: coordinator}]
    when: {type: deadline, opens: 2024-04-01, due: 2024-04-15}
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
  - id: coordinators-only
    phase: 3
    kind: task
    title: {nb: Koordinator, en: Coordinator}
    audience: [{role: coordinator}]
    when: {type: deadline, due: 2024-03-01}
  - id: info
    phase: 1
    kind: information
    title: {nb: Info, en: Info}
    audience: [{role: leader}]
    when: {type: day, date: 2024-03-04}
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
"""
)


def pid(session: Session, email: str) -> int:
    person = person_by_email(session, email)
    assert person is not None
    assert person.id is not None
    return person.id


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def done(session: Session, milestone: str, unit: str, on: date, by: str | None = None) -> None:
    person_id = pid(session, by) if by else None
    mark_task_done(
        session,
        cycle_id=PLAN.id,
        milestone_id=milestone,
        unit_id=unit,
        done_on=on,
        now=at(on),
        actor=by or "test",
        person_id=person_id,
        archive_ref="2024/123" if by else None,
    )


def answer(session: Session, milestone: str, unit: str, value: VoAnswer, on: date) -> None:
    record_vo_answer(
        session,
        cycle_id=PLAN.id,
        milestone_id=milestone,
        unit_id=unit,
        person_id=pid(session, "vo.a@example.org"),
        answer=value,
        now=at(on),
        actor="vo.a@example.org",
        involved_on=on - timedelta(days=3) if value is VoAnswer.yes else None,
        comment="Vi hadde møte" if value is VoAnswer.yes else None,
    )


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    import_org(engine, ORG_CSV, clock=FrozenClock(NOW), actor="test")
    with Session(engine) as session:
        # IFA: prep done in time, the department form late and open, VO said yes to point 1.
        done(session, "prep", "IFA", date(2024, 2, 10), by="leder.a@example.org")
        answer(session, "vo-1", "IFA", VoAnswer.yes, date(2024, 2, 5))
        # IFB: prep open and late, the department form done after its deadline, VO not yet.
        done(session, "dept-form", "IFB", date(2024, 3, 22))
        answer(session, "vo-1", "IFB", VoAnswer.not_yet, date(2024, 2, 5))
        # FAK: prep done, nothing late.
        done(session, "prep", "FAK", date(2024, 2, 15), by="dekan@example.org")
        session.commit()
        yield session


def states(status: UnitStatus) -> dict[str, str]:
    return {task.milestone_id: task.state for task in status.tasks}


# ---------------------------------------------------------------------------- tasks


def test_task_states_of_a_department(session: Session) -> None:
    status = unit_status(session, PLAN, "IFA", TODAY, CALENDAR)
    assert (status.unit_id, status.name, status.level) == ("IFA", "Institutt A", 3)
    assert states(status) == {
        "prep": "done",
        "dept-form": "late",
        "ongoing": "due",
        "action-plan": "upcoming",
        "vague": "unknown",
    }
    assert (status.done, status.due, status.late) == (1, 1, 1)


def test_done_late_and_who_marked_it(session: Session) -> None:
    ifa = unit_status(session, PLAN, "IFA", TODAY, CALENDAR)
    ifb = unit_status(session, PLAN, "IFB", TODAY, CALENDAR)
    prep = next(task for task in ifa.tasks if task.milestone_id == "prep")
    assert (prep.done_on, prep.done_by, prep.archive_ref) == (
        date(2024, 2, 10),
        "Anne Leder",
        "2024/123",
    )
    assert (prep.starts_on, prep.due_on) == (date(2024, 2, 1), date(2024, 2, 15))
    form = next(task for task in ifb.tasks if task.milestone_id == "dept-form")
    assert (form.state, form.done_on, form.done_by) == ("done_late", date(2024, 3, 22), None)
    assert states(ifb)["prep"] == "late"


def test_done_on_the_deadline_is_in_time(session: Session) -> None:
    fak = unit_status(session, PLAN, "FAK", TODAY, CALENDAR)
    assert states(fak)["prep"] == "done"


def test_level_decides_which_tasks_a_unit_has(session: Session) -> None:
    fak = unit_status(session, PLAN, "FAK", TODAY, CALENDAR)
    assert [task.milestone_id for task in fak.tasks] == [
        "prep",
        "ongoing",
        "faculty-report",
        "action-plan",
        "vague",
    ]
    vague = next(task for task in fak.tasks if task.milestone_id == "vague")
    assert (vague.starts_on, vague.due_on) == (None, None)
    month = next(task for task in fak.tasks if task.milestone_id == "action-plan")
    assert (month.starts_on, month.due_on) == (date(2024, 5, 1), date(2024, 5, 31))


def test_task_state_boundaries(session: Session) -> None:
    def state_on(day: date) -> str:
        return states(unit_status(session, PLAN, "IFB", day, CALENDAR))["ongoing"]

    assert state_on(date(2024, 2, 29)) == "upcoming"
    assert state_on(date(2024, 3, 1)) == "due"
    assert state_on(date(2024, 4, 12)) == "due"
    assert state_on(date(2024, 4, 13)) == "late"


def test_unknown_unit(session: Session) -> None:
    with pytest.raises(UnknownUnitError):
        unit_status(session, PLAN, "NOPE", TODAY, CALENDAR)
    assert unit_statuses(session, PLAN, ["NOPE", "IFA", "IFA"], TODAY, CALENDAR)[0].unit_id == (
        "IFA"
    )
    assert len(unit_statuses(session, PLAN, ["NOPE", "IFA", "IFA"], TODAY, CALENDAR)) == 1


# ---------------------------------------------------------------------------- VO points


def test_vo_point_answered_yes_is_not_overdue(session: Session) -> None:
    ifa = unit_status(session, PLAN, "IFA", TODAY, CALENDAR)
    first, second = ifa.vo_points
    assert first.milestone_id == "vo-1"
    assert first.asked_on == date(2024, 2, 1)  # first working day after January
    assert first.confirm_by == date(2024, 2, 16)
    assert first.answer is VoAnswer.yes
    assert first.answered_on == date(2024, 2, 5)
    assert first.involved_on == date(2024, 2, 2)
    assert first.comment == "Vi hadde møte"
    assert first.overdue is False
    # March ends on Easter Sunday, and Easter Monday is a holiday: asked on Tuesday 2 April.
    assert (second.asked_on, second.confirm_by) == (date(2024, 4, 2), date(2024, 4, 16))
    assert (second.answer, second.overdue) == (None, False)


def test_vo_point_not_yet_after_confirm_by_is_overdue(session: Session) -> None:
    ifb = unit_status(session, PLAN, "IFB", TODAY, CALENDAR)
    first = ifb.vo_points[0]
    assert (first.answer, first.overdue) == (VoAnswer.not_yet, True)
    on_the_day = unit_status(session, PLAN, "IFB", date(2024, 2, 16), CALENDAR)
    assert on_the_day.vo_points[0].overdue is False


def test_partly_counts_as_involved(session: Session) -> None:
    answer(session, "vo-1", "IFB", VoAnswer.partly, date(2024, 3, 1))
    session.commit()
    first = unit_status(session, PLAN, "IFB", TODAY, CALENDAR).vo_points[0]
    assert (first.answer, first.overdue) == (VoAnswer.partly, False)


def test_unanswered_point_overdue_after_asking_day_plus_14(session: Session) -> None:
    def second_on(day: date) -> bool:
        return unit_status(session, PLAN, "IFA", day, CALENDAR).vo_points[1].overdue

    assert second_on(date(2024, 4, 16)) is False
    assert second_on(date(2024, 4, 17)) is True


def test_units_without_a_vo_have_no_vo_points(session: Session) -> None:
    assert unit_status(session, PLAN, "FAK", TODAY, CALENDAR).vo_points == []


# ---------------------------------------------------------------------------- actions, failures


def test_action_items_and_failed_deliveries(engine: Engine, session: Session) -> None:
    item = add_action_item(
        session,
        cycle_id=PLAN.id,
        unit_id="IFA",
        title="Felles lunsj hver fredag",
        now=NOW,
        actor="leder.a@example.org",
        owner="Anne",
        due_on=date(2024, 6, 1),
        area=ActionArea.preserve,
    )
    add_action_item(
        session, cycle_id="other-cycle", unit_id="IFA", title="Old", now=NOW, actor="test"
    )
    session.commit()
    anne = pid(session, "leder.a@example.org")
    rows = [
        {
            "dedupe_key": f"{cycle}|prep|r3:IFA|p{anne}",
            "cycle_id": cycle,
            "milestone_id": "prep",
            "occurrence": "r3:IFA",
            "person_id": anne,
            "unit_id": "IFA",
            "role": "leader",
            "nudge": "reminder",
            "optional": False,
            "subject_id": None,
            "workspace": "default",
            "status": status.value,
            "attempts": 6,
            "due_at": NOW,
            "next_attempt_at": NOW,
            "expires_at": None,
            "created_at": NOW,
        }
        for cycle, status in (
            (PLAN.id, DeliveryStatus.failed),
            ("other-cycle", DeliveryStatus.failed),
        )
    ] + [
        {
            "dedupe_key": f"{PLAN.id}|ongoing|r3:IFA|p{anne}",
            "cycle_id": PLAN.id,
            "milestone_id": "ongoing",
            "occurrence": "r3:IFA",
            "person_id": anne,
            "unit_id": "IFA",
            "role": "leader",
            "nudge": "reminder",
            "optional": False,
            "subject_id": None,
            "workspace": "default",
            "status": DeliveryStatus.sent.value,
            "attempts": 1,
            "due_at": NOW,
            "next_attempt_at": NOW,
            "expires_at": None,
            "created_at": NOW,
        }
    ]
    assert insert_new(engine, rows) == 3
    ifa, ifb = unit_statuses(session, PLAN, ["IFA", "IFB"], TODAY, CALENDAR)
    assert ifa.failed_deliveries == 1
    assert ifb.failed_deliveries == 0
    assert [(a.id, a.title, a.owner, a.due_on, a.area, a.state) for a in ifa.actions] == [
        (
            item.id,
            "Felles lunsj hver fredag",
            "Anne",
            date(2024, 6, 1),
            ActionArea.preserve,
            ActionState.open,
        )
    ]
    assert ifb.actions == []


# ---------------------------------------------------------------------------- coordinator area


def test_coordinator_area_most_urgent_first(session: Session) -> None:
    kari = pid(session, "koord@example.org")
    area = coordinator_area(session, PLAN, kari, TODAY, CALENDAR)
    # IFB: one late task and an overdue VO point; IFA: one late task; FAK: nothing late.
    assert [status.unit_id for status in area] == ["IFB", "IFA", "FAK"]
    assert [(status.late, status.due) for status in area] == [(1, 1), (1, 1), (0, 1)]


def test_coordinator_area_follows_the_tree(session: Session) -> None:
    kari = pid(session, "koord@example.org")
    # Once IFB's VO has said "partly" and its prep is done, IFA (late) comes first.
    answer(session, "vo-1", "IFB", VoAnswer.partly, date(2024, 3, 20))
    done(session, "prep", "IFB", date(2024, 3, 20))
    session.commit()
    area = coordinator_area(session, PLAN, kari, TODAY, CALENDAR)
    assert [status.unit_id for status in area] == ["IFA", "FAK", "IFB"]


def test_no_area_for_non_coordinators(session: Session) -> None:
    anne = pid(session, "leder.a@example.org")
    assert coordinator_area(session, PLAN, anne, TODAY, CALENDAR) == []


# ---------------------------------------------------------------------------- person home


def test_home_of_a_leader(session: Session) -> None:
    anne = pid(session, "leder.a@example.org")
    home = person_home(session, PLAN, anne, TODAY, CALENDAR)
    assert (home.name, home.locale) == ("Anne Leder", "nb")
    assert home.memberships == [Membership("IFA", "Institutt A", Role.leader)]
    assert [(task.milestone_id, task.state) for task in home.due] == [
        ("dept-form", "late"),
        ("ongoing", "due"),
    ]
    assert [task.milestone_id for task in home.done] == ["prep"]
    assert [status.unit_id for status in home.units] == ["IFA"]
    assert (home.vo_open, home.area, home.paused_until) == ([], [], None)


def test_leaders_done_list_is_newest_first(session: Session) -> None:
    done(session, "ongoing", "IFA", date(2024, 3, 22), by="leder.a@example.org")
    done(session, "dept-form", "IFA", date(2024, 3, 21), by="leder.a@example.org")
    session.commit()
    home = person_home(session, PLAN, pid(session, "leder.a@example.org"), TODAY, CALENDAR)
    assert [(task.milestone_id, task.state) for task in home.done] == [
        ("ongoing", "done"),
        ("dept-form", "done_late"),
        ("prep", "done"),
    ]
    assert home.due == []


def test_home_of_a_vo(session: Session) -> None:
    vidar = pid(session, "vo.a@example.org")
    home = person_home(session, PLAN, vidar, TODAY, CALENDAR)
    assert [(m.unit_id, m.role) for m in home.memberships] == [
        ("IFA", Role.vo),
        ("IFB", Role.vo),
    ]
    # IFA's point 1 was answered yes; point 2 is not asked until 2 April.
    assert [(p.unit_id, p.milestone_id, p.answer, p.overdue) for p in home.vo_open] == [
        ("IFB", "vo-1", VoAnswer.not_yet, True)
    ]
    assert home.due == []  # a VO does not lead
    assert [status.unit_id for status in home.units] == ["IFB", "IFA"]  # most urgent first
    later = person_home(session, PLAN, vidar, date(2024, 4, 2), CALENDAR)
    assert [(p.unit_id, p.milestone_id) for p in later.vo_open] == [
        ("IFB", "vo-1"),
        ("IFA", "vo-2"),
        ("IFB", "vo-2"),
    ]


def test_home_of_an_employee(session: Session) -> None:
    ola = pid(session, "ansatt1@example.org")
    home = person_home(session, PLAN, ola, TODAY, CALENDAR)
    assert home.memberships == [Membership("IFA", "Institutt A", Role.employee)]
    assert (home.due, home.done, home.vo_open, home.units, home.area) == ([], [], [], [], [])


def test_home_of_a_coordinator(session: Session) -> None:
    kari = pid(session, "koord@example.org")
    home = person_home(session, PLAN, kari, TODAY, CALENDAR)
    assert home.memberships == [Membership("FAK", "Fakultetet", Role.coordinator)]
    assert [status.unit_id for status in home.area] == ["IFB", "IFA", "FAK"]
    assert (home.due, home.units) == ([], [])


def test_home_of_a_faculty_leader(session: Session) -> None:
    dag = pid(session, "dekan@example.org")
    home = person_home(session, PLAN, dag, TODAY, CALENDAR)
    assert [task.milestone_id for task in home.due] == ["ongoing"]  # the report is upcoming
    assert [task.milestone_id for task in home.done] == ["prep"]


def test_home_shows_the_last_paused_day(session: Session) -> None:
    ola = pid(session, "ansatt1@example.org")

    def pause_until(until: datetime) -> None:
        pause_person(session, person_id=ola, until=until, now=NOW, actor="ola")
        session.commit()

    def shown(today: date, now: datetime | None = None) -> date | None:
        return person_home(session, PLAN, ola, today, CALENDAR, now=now).paused_until

    # Until the send window opens on Monday 8 April (Oslo): paused up to and including 7 April.
    pause_until(CALENDAR.send_time(date(2024, 4, 8)))
    assert shown(TODAY) == date(2024, 4, 7)
    assert shown(date(2024, 4, 7)) == date(2024, 4, 7)
    assert shown(date(2024, 4, 8)) is None
    # Until midnight starting 8 April (22:00 UTC): the same last day.
    pause_until(datetime(2024, 4, 7, 22, tzinfo=UTC))
    assert shown(TODAY) == date(2024, 4, 7)
    # Until noon on 8 April: the morning of the 8th is held back too.
    pause_until(datetime(2024, 4, 8, 10, tzinfo=UTC))
    assert shown(TODAY) == date(2024, 4, 8)
    assert shown(date(2024, 4, 8), now=datetime(2024, 4, 8, 10, 30, tzinfo=UTC)) is None


def test_home_of_someone_unknown(session: Session) -> None:
    with pytest.raises(LookupError):
        person_home(session, PLAN, 999_999, TODAY, CALENDAR)


# ---------------------------------------------------------------------------- statements


def org_with(units: int, employees: int = 2) -> str:
    lines = ["unit_id,unit_name,parent_id,level,email,name,role", "UNI,Uni,,1,,,"]
    lines.append("FAK,Fak,UNI,2,koord@example.org,Kari,coordinator")
    for number in range(units):
        unit = f"D{number:04d}"
        lines.append(f"{unit},Dept {number},FAK,3,leader{number}@example.org,L{number},leader")
        lines.append(f"{unit},Dept {number},FAK,3,vo{number}@example.org,V{number},vo")
        for member in range(employees):
            lines.append(
                f"{unit},Dept {number},FAK,3,e{number}-{member}@example.org,E{number},employee"
            )
    return "\n".join(lines) + "\n"


def fill(session: Session, units: int) -> list[str]:
    ids = [f"D{number:04d}" for number in range(units)]
    for number, unit in enumerate(ids):
        if number % 2:
            mark_task_done(
                session,
                cycle_id=PLAN.id,
                milestone_id="prep",
                unit_id=unit,
                done_on=date(2024, 2, 2),
                now=NOW,
                actor="test",
                person_id=pid(session, f"leader{number}@example.org"),
            )
        if number % 3 == 0:
            record_vo_answer(
                session,
                cycle_id=PLAN.id,
                milestone_id="vo-1",
                unit_id=unit,
                person_id=pid(session, f"vo{number}@example.org"),
                answer=VoAnswer.yes,
                now=NOW,
                actor="test",
            )
        add_action_item(session, cycle_id=PLAN.id, unit_id=unit, title="T", now=NOW, actor="t")
    session.commit()
    return ids


@pytest.mark.parametrize("units", [5, 50])
def test_statement_count_does_not_grow_with_units(engine: Engine, units: int) -> None:
    import_org(engine, org_with(units), clock=FrozenClock(NOW), actor="test")
    with Session(engine) as session:
        ids = fill(session, units)
        kari = pid(session, "koord@example.org")
        leader = pid(session, "leader1@example.org")
        session.expire_all()
        with statements(engine) as bulk:
            found = unit_statuses(session, PLAN, ids, TODAY, CALENDAR)
        with statements(engine) as area_statements:
            area = coordinator_area(session, PLAN, kari, TODAY, CALENDAR)
        with statements(engine) as home_statements:
            home = person_home(session, PLAN, kari, TODAY, CALENDAR)
        with statements(engine) as leader_statements:
            person_home(session, PLAN, leader, TODAY, CALENDAR)
    assert len(found) == units
    assert sum(status.done for status in found) == units // 2
    assert all(len(status.actions) == 1 for status in found)
    assert len(area) == units + 1
    assert len(home.area) == units + 1
    # units, VOs, completions, VO answers, action items, failed deliveries
    assert len(bulk) == 6
    assert len(area_statements) == 7  # + the area's tree
    assert len(home_statements) == 9  # + the person, their memberships (one load for all)
    assert len(leader_statements) == 8  # no area to walk
