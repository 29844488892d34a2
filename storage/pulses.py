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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from schedules.calendar import WorkCalendar, local_to_utc
from schedules.events import Nudge, Rules, plan_events
from schedules.plan import Milestone, Plan, PulseQuestion
from storage.models import (
    Membership,
    Person,
    PulseAnswer,
    PulseResponse,
    PulseRoundGroup,
    Unit,
    table_of,
)

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
    now: datetime | None = None,
) -> bool:
    """Store a person's answers to one pulse round, anonymously; False if they already had.

    Every question of the pulse must be answered with a value its scale allows ("1"…"5", or
    "yes" / "no" / "unsure"), the round must exist and be open on `today`, and the unit and
    the person must exist; otherwise ValueError, and nothing is written. A second answer to
    the same round returns False and writes nothing, also when two arrive at once (the
    marker's unique constraint decides). The answers and the marker are written in the
    caller's transaction, so either both are stored or neither is. No audit entry is
    written. Pass the calendar the planner uses (its holidays move the rounds' days).

    The round also ends at one instant for everyone (`round_closes_at`: its last day over in
    the latest time zone of its audience), after which results may be shown; nothing is
    accepted from then on. Pass `now` (UTC) to check that instant exactly; without it, an
    answer is refused when `today` began in the person's zone at or after it. The first
    answer freezes the round's groups (`freeze_round_groups`).
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
    person = session.get(Person, person_id)
    if person is None:
        raise ValueError(f"no person with id {person_id}")
    calendar = calendar or WorkCalendar()
    zone = person.timezone or calendar.timezone
    milestone = pulse_milestone(plan, pulse_id)
    closes_at = round_closes_at(session, plan.id, milestone, found, calendar, also=(zone,))
    moment = now if now is not None else local_to_utc(today, time(0), ZoneInfo(zone))
    if moment >= closes_at:
        raise ValueError(
            f"pulse '{pulse_id}' round '{round}' closed for everyone at {closes_at.isoformat()}"
        )
    freeze_round_groups(session, plan.id, milestone, found, unit_id, closes_at)

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


# -- the round's end, and its groups frozen -----------------------------------------------------


def end_of_day(day: date, zone: str) -> datetime:
    """The UTC instant `day` is over in `zone` (the next day's midnight there)."""
    return local_to_utc(day + timedelta(days=1), time(0), ZoneInfo(zone))


def audience_by_unit(session: Session, milestone: Milestone) -> dict[str, int]:
    """unit -> active people of the pulse's audience whose membership is in that unit."""
    rows = session.execute(
        select(_members().c.unit_id, func.count(func.distinct(_members().c.person_id)))
        .select_from(_audience_join())
        .where(_audience_condition(milestone))
        .group_by(_members().c.unit_id)
    )
    return {unit_id: int(n) for unit_id, n in rows}


def audience_zones(session: Session, milestone: Milestone, default_zone: str) -> set[str]:
    """The time zones of the pulse's audience (the calendar's zone for people without one)."""
    people = table_of(Person)
    rows = session.execute(
        select(people.c.timezone)
        .select_from(_audience_join())
        .where(_audience_condition(milestone))
        .distinct()
    ).scalars()
    return {zone or default_zone for zone in rows} or {default_zone}


def round_closes_at(
    session: Session,
    cycle_id: str,
    milestone: Milestone,
    found: PulseRound,
    calendar: WorkCalendar,
    *,
    also: Iterable[str] = (),
) -> datetime:
    """When the round is over for everyone: frozen with its groups at the first answer, or
    else the end of its last day in the latest zone of its audience (and of `also`)."""
    groups = table_of(PulseRoundGroup)
    frozen = session.execute(
        select(func.max(groups.c.closes_at)).where(
            groups.c.cycle_id == cycle_id,
            groups.c.pulse_id == found.pulse_id,
            groups.c.round == found.round,
        )
    ).scalar()
    if frozen is not None:
        return _utc(frozen)
    return closing_instant(
        found, (), audience_zones(session, milestone, calendar.timezone) | set(also)
    )


def closing_instant(
    found: PulseRound, groups: Iterable[PulseRoundGroup], zones: Iterable[str]
) -> datetime:
    """The round's end for everyone: its frozen `closes_at` when it has groups, else the end
    of its last day in the latest of `zones`."""
    frozen = [_utc(group.closes_at) for group in groups]
    if frozen:
        return max(frozen)
    return max(end_of_day(found.closes_on, zone) for zone in zones)


def frozen_groups(
    session: Session, cycle_id: str, pulse_id: str, rounds: Iterable[str]
) -> dict[str, list[PulseRoundGroup]]:
    """round -> its frozen groups (none for a round nobody has answered yet)."""
    groups = table_of(PulseRoundGroup)
    rows = session.execute(
        select(groups).where(
            groups.c.cycle_id == cycle_id,
            groups.c.pulse_id == pulse_id,
            groups.c.round.in_(list(rounds)),
        )
    ).mappings()
    found: dict[str, list[PulseRoundGroup]] = {}
    for row in rows:
        found.setdefault(row["round"], []).append(PulseRoundGroup.model_validate(dict(row)))
    return found


def freeze_round_groups(
    session: Session,
    cycle_id: str,
    milestone: Milestone,
    found: PulseRound,
    unit_id: str,
    closes_at: datetime,
) -> None:
    """Snapshot the round's groups if this is its first answer; later, add the answering
    unit (and the units above it) if the snapshot lacks it (a unit imported mid-round).

    Each group row holds the unit's parent and its audience count as they are now. Written
    with ON CONFLICT DO NOTHING, so two first answers at once leave one snapshot."""
    groups = table_of(PulseRoundGroup)
    of_round = and_(
        groups.c.cycle_id == cycle_id,
        groups.c.pulse_id == found.pulse_id,
        groups.c.round == found.round,
    )
    # the common case, every answer after the first: one primary-key lookup
    if session.execute(
        select(groups.c.unit_id).where(of_round, groups.c.unit_id == unit_id)
    ).first():
        return
    known = set(session.execute(select(groups.c.unit_id).where(of_round)).scalars())
    units = table_of(Unit)
    tree = {
        row.id: (row.parent_id, bool(row.active))
        for row in session.execute(select(units.c.id, units.c.parent_id, units.c.active))
    }
    wanted: list[str] = [] if known else [u for u, (_, active) in tree.items() if active]
    current: str | None = unit_id
    while current is not None and current in tree and current not in known:
        if current not in wanted:
            wanted.append(current)
        parent = tree[current][0]
        current = parent if parent != current else None
    if not wanted:
        return
    audience = audience_by_unit(session, milestone)
    rows = [
        {
            "cycle_id": cycle_id,
            "pulse_id": found.pulse_id,
            "round": found.round,
            "unit_id": unit,
            "parent_id": tree[unit][0],
            "audience": audience.get(unit, 0),
            "closes_at": closes_at,
        }
        for unit in wanted
    ]
    dialect_insert = (
        postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    session.execute(dialect_insert(groups).values(rows).on_conflict_do_nothing())


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _members() -> Any:
    return table_of(Membership)


def _audience_join() -> Any:
    members, people, units = table_of(Membership), table_of(Person), table_of(Unit)
    return members.join(people, people.c.id == members.c.person_id).join(
        units, units.c.id == members.c.unit_id
    )


def _audience_condition(milestone: Milestone) -> Any:
    members, people, units = table_of(Membership), table_of(Person), table_of(Unit)
    matches = []
    for audience in milestone.audience:
        condition = members.c.role == audience.role.value
        if audience.level is not None:
            condition = and_(condition, units.c.level == audience.level)
        matches.append(condition)
    return and_(members.c.active, people.c.active, units.c.active, or_(*matches))
