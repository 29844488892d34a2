"""Where things stand: what a person has due and done, and every unit's status.

Read-only views over the directory, the plan and what people recorded; the App Home, `/ark
status`, `/ark report` and (later) the coordinator's reports render these. Everything here is
computed for a given local `today`; nothing asks the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from schedules.calendar import WorkCalendar
from schedules.plan import Milestone, MilestoneKind, Plan, Text
from schedules.timing import Span, resolve
from storage.models import (
    ActionArea,
    ActionItem,
    ActionState,
    Delivery,
    DeliveryStatus,
    Person,
    Role,
    TaskCompletion,
    Unit,
    VoAnswer,
    VoConfirmation,
    table_of,
)
from storage.models import Membership as StoredMembership
from storage.queries import MAX_DEPTH, UnknownUnitError

TaskState = Literal["done", "done_late", "due", "late", "upcoming", "unknown"]


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """A task milestone for one unit."""

    milestone_id: str
    title: Text
    unit_id: str
    unit_name: str
    phase: int
    starts_on: date | None
    due_on: date | None
    # done, done_late (after the deadline), due (open, deadline ahead), late (open, deadline
    # passed), upcoming (not open yet), unknown (date not set)
    state: TaskState
    done_on: date | None = None
    done_by: str | None = None  # the name of who marked it done
    archive_ref: str | None = None


@dataclass(frozen=True, slots=True)
class VoPointStatus:
    """One leader–VO meeting point for one unit: has the VO confirmed involvement?"""

    milestone_id: str
    title: Text
    unit_id: str
    asked_on: date | None  # the day the question goes (or went) out; None when not known
    confirm_by: date | None
    answer: VoAnswer | None = None
    answered_on: date | None = None
    comment: str | None = None
    # No "yes" or "partly" and the confirm-by day (or, without one, the asking day + 14) passed.
    overdue: bool = False
    involved_on: date | None = None  # the day the VO says they were involved ("Yes, on …")


@dataclass(frozen=True, slots=True)
class ActionItemStatus:
    id: int
    unit_id: str
    title: str
    owner: str | None
    due_on: date | None
    area: ActionArea
    state: ActionState
    note: str | None = None


@dataclass(frozen=True, slots=True)
class UnitStatus:
    unit_id: str
    name: str
    level: int
    tasks: list[TaskStatus] = field(default_factory=list)
    vo_points: list[VoPointStatus] = field(default_factory=list)
    actions: list[ActionItemStatus] = field(default_factory=list)
    failed_deliveries: int = 0

    @property
    def done(self) -> int:
        return sum(1 for task in self.tasks if task.state in ("done", "done_late"))

    @property
    def due(self) -> int:
        return sum(1 for task in self.tasks if task.state == "due")

    @property
    def late(self) -> int:
        return sum(1 for task in self.tasks if task.state == "late")

    @property
    def urgency(self) -> tuple[int, int, int, str]:
        """Sort key, most urgent first: late tasks, overdue VO points, tasks due, then name."""
        overdue_vo = sum(1 for point in self.vo_points if point.overdue)
        return (-self.late, -overdue_vo, -self.due, self.name)


@dataclass(frozen=True, slots=True)
class Membership:
    unit_id: str
    unit_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class PersonHome:
    """What one person sees on their App Home."""

    person_id: int
    name: str
    locale: str
    memberships: list[Membership]
    due: list[TaskStatus]  # tasks of units they lead, not done, date known, soonest first
    done: list[TaskStatus]  # tasks they (or their unit) marked done, newest first
    vo_open: list[VoPointStatus]  # meeting points where they are the VO and have not said yes
    units: list[UnitStatus]  # units they lead or are VO for
    area: list[UnitStatus]  # coordinators: every unit of their area, most urgent first; else []
    # The last day (inclusive, the person's local time) optional nudges are held back.
    paused_until: date | None = None


# -- builders ---------------------------------------------------------------------------------
#
# Everything below reads; nothing writes. `unit_statuses` is the one place that loads what
# people recorded, with one query per kind of record for any number of units (no N+1), so the
# App Home of a coordinator with a thousand units costs the same handful of statements as
# that of a leader with one.

# How many ids go into one IN (...) list: well below SQLite's and PostgreSQL's parameter
# limits, so up to this many units the query count stays constant.
_IN_CHUNK = 5000
_VO_GRACE = timedelta(days=14)
_ANSWER_RANK = {VoAnswer.yes: 0, VoAnswer.partly: 1, VoAnswer.not_yet: 2}
_INVOLVED = (VoAnswer.yes, VoAnswer.partly)


@dataclass(frozen=True, slots=True)
class _TaskPoint:
    milestone: Milestone
    span: Span | None
    levels: frozenset[int] | None  # None: every level


@dataclass(frozen=True, slots=True)
class _VoPoint:
    milestone: Milestone
    asked_on: date | None
    confirm_by: date | None
    levels: frozenset[int] | None  # None: every level


@dataclass(frozen=True, slots=True)
class _Completion:
    done_on: date
    done_by: str | None
    archive_ref: str | None


@dataclass(frozen=True, slots=True)
class _Answer:
    person_id: int | None
    answer: VoAnswer
    involved_on: date | None
    comment: str | None
    recorded_at: datetime


@dataclass(slots=True)
class _Records:
    """What was recorded for a set of units, keyed for lookups without further queries."""

    units: dict[str, Unit]
    with_vo: set[str]
    completions: dict[tuple[str, str], _Completion]  # (milestone, unit)
    answers: dict[tuple[str, str], list[_Answer]]  # (milestone, unit)
    actions: dict[str, list[ActionItemStatus]]
    failed: dict[str, int]


def _levels(milestone: Milestone, role: Role) -> frozenset[int] | None:
    """The unit levels the milestone addresses for `role`; None means every level."""
    levels: set[int] = set()
    for audience in milestone.audience:
        if audience.role is role:
            if audience.level is None:
                return None
            levels.add(audience.level)
    return frozenset(levels)


def _applies(levels: frozenset[int] | None, level: int) -> bool:
    return levels is None or level in levels


def _task_points(plan: Plan) -> list[_TaskPoint]:
    points = []
    for milestone in plan.milestones:
        if milestone.kind is not MilestoneKind.task:
            continue
        levels = _levels(milestone, Role.leader)
        if levels is not None and not levels:
            continue  # a task for other roles only (e.g. coordinators): no unit has it
        points.append(_TaskPoint(milestone, resolve(plan, milestone), levels))
    return points


def _vo_points(plan: Plan, calendar: WorkCalendar) -> list[_VoPoint]:
    points = []
    for milestone in plan.milestones:
        if milestone.kind is not MilestoneKind.vo_meeting:
            continue
        span = resolve(plan, milestone)
        # The question goes out on the first working day after the meeting point's period.
        asked_on = calendar.next_working_day(span.ends_on + timedelta(days=1)) if span else None
        if milestone.confirm_by is not None:
            confirm_by: date | None = milestone.confirm_by.resolve(plan.anchors)
        else:
            confirm_by = asked_on + _VO_GRACE if asked_on is not None else None
        levels = _levels(milestone, Role.vo)
        # Like the planner: a meeting point that names no VO audience is for every VO.
        if levels is not None and not levels:
            levels = None
        points.append(_VoPoint(milestone, asked_on, confirm_by, levels))
    return points


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield list(ids[start : start + _IN_CHUNK])


def _load(session: Session, plan: Plan, unit_ids: Sequence[str]) -> _Records:
    records = _Records({}, set(), {}, {}, {}, {})
    for chunk in _chunks(unit_ids):
        _load_chunk(session, plan, chunk, records)
    return records


def _load_chunk(session: Session, plan: Plan, ids: list[str], records: _Records) -> None:
    cycle = plan.id
    for unit in session.exec(select(Unit).where(col(Unit.id).in_(ids))):
        records.units[unit.id] = unit

    members, people = table_of(StoredMembership), table_of(Person)
    with_vo = (
        core_select(members.c.unit_id)
        .join(people, people.c.id == members.c.person_id)
        .where(
            members.c.unit_id.in_(ids),
            members.c.role == Role.vo.value,
            members.c.active,
            people.c.active,
        )
        .distinct()
    )
    records.with_vo.update(session.execute(with_vo).scalars())

    done = table_of(TaskCompletion)
    completions = (
        core_select(
            done.c.milestone_id, done.c.unit_id, done.c.done_on, people.c.name, done.c.archive_ref
        )
        .outerjoin(people, people.c.id == done.c.done_by)
        .where(done.c.cycle_id == cycle, done.c.unit_id.in_(ids))
    )
    for milestone_id, unit_id, done_on, done_by, archive_ref in session.execute(completions):
        records.completions[(milestone_id, unit_id)] = _Completion(done_on, done_by, archive_ref)

    vo = table_of(VoConfirmation)
    answers = core_select(
        vo.c.milestone_id,
        vo.c.unit_id,
        vo.c.person_id,
        vo.c.answer,
        vo.c.involved_on,
        vo.c.comment,
        vo.c.recorded_at,
    ).where(vo.c.cycle_id == cycle, vo.c.unit_id.in_(ids))
    for milestone_id, unit_id, person_id, answer, involved_on, comment, at in session.execute(
        answers
    ):
        records.answers.setdefault((milestone_id, unit_id), []).append(
            _Answer(person_id, VoAnswer(answer), involved_on, comment, at)
        )

    items = table_of(ActionItem)
    actions = (
        core_select(
            items.c.id,
            items.c.unit_id,
            items.c.title,
            items.c.owner,
            items.c.due_on,
            items.c.area,
            items.c.state,
            items.c.note,
        )
        .where(items.c.cycle_id == cycle, items.c.unit_id.in_(ids))
        .order_by(items.c.id)
    )
    for item_id, unit_id, title, owner, due_on, area, state, note in session.execute(actions):
        records.actions.setdefault(unit_id, []).append(
            ActionItemStatus(
                item_id, unit_id, title, owner, due_on, ActionArea(area), ActionState(state), note
            )
        )

    deliveries = table_of(Delivery)
    failed = (
        core_select(deliveries.c.unit_id, func.count())
        .where(
            deliveries.c.cycle_id == cycle,
            deliveries.c.status == DeliveryStatus.failed.value,
            deliveries.c.unit_id.in_(ids),
        )
        .group_by(deliveries.c.unit_id)
    )
    for unit_id, count in session.execute(failed):
        records.failed[unit_id] = int(count)


def _task_status(point: _TaskPoint, unit: Unit, records: _Records, today: date) -> TaskStatus:
    milestone, span = point.milestone, point.span
    completion = records.completions.get((milestone.id, unit.id))
    state: TaskState
    if span is None:
        state = "unknown"
    elif completion is not None:
        due_on = span.due_on or span.ends_on
        state = "done" if completion.done_on <= due_on else "done_late"
    elif today < span.starts_on:
        state = "upcoming"
    elif today <= (span.due_on or span.ends_on):
        state = "due"
    else:
        state = "late"
    return TaskStatus(
        milestone_id=milestone.id,
        title=milestone.title,
        unit_id=unit.id,
        unit_name=unit.name,
        phase=milestone.phase,
        starts_on=span.starts_on if span else None,
        due_on=(span.due_on or span.ends_on) if span else None,
        state=state,
        done_on=completion.done_on if completion else None,
        done_by=completion.done_by if completion else None,
        archive_ref=completion.archive_ref if completion else None,
    )


def _best(answers: list[_Answer]) -> _Answer | None:
    """The unit's answer when several VOs answered: the most involved, then the latest."""
    if not answers:
        return None
    return min(answers, key=lambda a: (_ANSWER_RANK[a.answer], -a.recorded_at.timestamp()))


def _vo_status(
    point: _VoPoint,
    unit_id: str,
    answer: _Answer | None,
    today: date,
    calendar: WorkCalendar,
) -> VoPointStatus:
    involved = answer is not None and answer.answer in _INVOLVED
    overdue = point.confirm_by is not None and today > point.confirm_by and not involved
    return VoPointStatus(
        milestone_id=point.milestone.id,
        title=point.milestone.title,
        unit_id=unit_id,
        asked_on=point.asked_on,
        confirm_by=point.confirm_by,
        answer=answer.answer if answer else None,
        answered_on=calendar.local_date(answer.recorded_at) if answer else None,
        comment=answer.comment if answer else None,
        overdue=overdue,
        involved_on=answer.involved_on if answer else None,
    )


def _unit_status(
    unit: Unit,
    tasks: list[_TaskPoint],
    vo_points: list[_VoPoint],
    records: _Records,
    today: date,
    calendar: WorkCalendar,
) -> UnitStatus:
    task_statuses = [
        _task_status(point, unit, records, today)
        for point in tasks
        if _applies(point.levels, unit.level)
    ]
    vo_statuses = []
    if unit.id in records.with_vo:
        for point in vo_points:
            if _applies(point.levels, unit.level):
                answer = _best(records.answers.get((point.milestone.id, unit.id), []))
                vo_statuses.append(_vo_status(point, unit.id, answer, today, calendar))
    return UnitStatus(
        unit_id=unit.id,
        name=unit.name,
        level=unit.level,
        tasks=task_statuses,
        vo_points=vo_statuses,
        actions=list(records.actions.get(unit.id, [])),
        failed_deliveries=records.failed.get(unit.id, 0),
    )


def _statuses(
    session: Session,
    plan: Plan,
    unit_ids: Iterable[str],
    today: date,
    calendar: WorkCalendar,
) -> tuple[list[UnitStatus], _Records, list[_VoPoint]]:
    ids = list(dict.fromkeys(unit_ids))
    records = _load(session, plan, ids)
    tasks, vo_points = _task_points(plan), _vo_points(plan, calendar)
    statuses = [
        _unit_status(records.units[unit_id], tasks, vo_points, records, today, calendar)
        for unit_id in ids
        if unit_id in records.units
    ]
    return statuses, records, vo_points


def unit_statuses(
    session: Session,
    plan: Plan,
    unit_ids: Iterable[str],
    today: date,
    calendar: WorkCalendar,
) -> list[UnitStatus]:
    """The status of each unit, in the order given (repeats dropped, unknown ids skipped).

    Six statements for any number of units up to 5,000 (units, VOs, completions, VO answers,
    action items, failed deliveries); beyond that, six per 5,000.
    """
    return _statuses(session, plan, unit_ids, today, calendar)[0]


def unit_status(
    session: Session, plan: Plan, unit_id: str, today: date, calendar: WorkCalendar
) -> UnitStatus:
    """The status of one unit; raises `UnknownUnitError` for an id no unit has."""
    found = unit_statuses(session, plan, [unit_id], today, calendar)
    if not found:
        raise UnknownUnitError(unit_id)
    return found[0]


def _area_ids(session: Session, person_id: int) -> list[str]:
    """Every active unit the person coordinates and every active unit below those, in one
    query (a recursive CTE), tree order (nearest first)."""
    members, units = table_of(StoredMembership), table_of(Unit)
    start = (
        core_select(members.c.unit_id.label("id"), literal(0).label("depth"))
        .join(units, units.c.id == members.c.unit_id)
        .where(
            members.c.person_id == person_id,
            members.c.role == Role.coordinator.value,
            members.c.active,
            units.c.active,
        )
        .cte("area", recursive=True)
    )
    child = units.alias("child")
    tree = start.union_all(
        core_select(child.c.id, (start.c.depth + 1).label("depth")).where(
            child.c.parent_id == start.c.id, child.c.active, start.c.depth < MAX_DEPTH
        )
    )
    rows = session.execute(core_select(tree.c.id).order_by(tree.c.depth, tree.c.id))
    return list(dict.fromkeys(rows.scalars()))


def _most_urgent_first(statuses: Iterable[UnitStatus]) -> list[UnitStatus]:
    return sorted(statuses, key=lambda status: (status.urgency, status.unit_id))


def coordinator_area(
    session: Session, plan: Plan, person_id: int, today: date, calendar: WorkCalendar
) -> list[UnitStatus]:
    """Every unit the person coordinates, and every unit below those, most urgent first;
    [] for someone who coordinates nothing."""
    ids = _area_ids(session, person_id)
    if not ids:
        return []
    return _most_urgent_first(unit_statuses(session, plan, ids, today, calendar))


def person_home(
    session: Session,
    plan: Plan,
    person_id: int,
    today: date,
    calendar: WorkCalendar,
    *,
    now: datetime | None = None,
) -> PersonHome:
    """What the person sees on their App Home. Raises `LookupError` for an unknown or
    inactive person.

    `paused_until` is the last local day the pause holds back (a pause that ends when the
    send window opens, or before, leaves that day free), shown while that day is today or
    later (and, when `now` is given, the pause has not ended).
    """
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise LookupError(f"no active person with id {person_id}")
    rows = session.exec(
        select(StoredMembership, Unit)
        .join(Unit, col(Unit.id) == col(StoredMembership.unit_id))
        .where(
            col(StoredMembership.person_id) == person_id,
            col(StoredMembership.active),
            col(Unit.active),
        )
        .order_by(col(Unit.level), col(Unit.name), col(Unit.id), col(StoredMembership.role))
    ).all()
    memberships = [Membership(unit.id, unit.name, membership.role) for membership, unit in rows]
    leads = [m.unit_id for m in memberships if m.role is Role.leader]
    vo_for = [m.unit_id for m in memberships if m.role is Role.vo]
    coordinates = any(m.role is Role.coordinator for m in memberships)
    area_ids = _area_ids(session, person_id) if coordinates else []
    own_ids = list(dict.fromkeys(leads + vo_for))

    # One load for the person's own units and their area together.
    statuses, records, vo_points = _statuses(session, plan, own_ids + area_ids, today, calendar)
    by_id = {status.unit_id: status for status in statuses}

    lead_tasks = [task for unit_id in leads if unit_id in by_id for task in by_id[unit_id].tasks]
    far = date.max
    due = sorted(
        (task for task in lead_tasks if task.state in ("due", "late")),
        key=lambda task: (task.due_on or far, task.phase, task.unit_name, task.milestone_id),
    )
    done = sorted(
        (task for task in lead_tasks if task.state in ("done", "done_late")),
        key=lambda task: (task.done_on or date.min, task.due_on or date.min, task.milestone_id),
        reverse=True,
    )

    vo_open: list[VoPointStatus] = []
    for unit_id in vo_for:
        unit = records.units.get(unit_id)
        if unit is None:
            continue
        for point in vo_points:
            if not _applies(point.levels, unit.level):
                continue
            if point.asked_on is None or point.asked_on > today:
                continue
            own = [
                answer
                for answer in records.answers.get((point.milestone.id, unit_id), [])
                if answer.person_id == person_id
            ]
            answer = _best(own)
            if answer is not None and answer.answer is VoAnswer.yes:
                continue
            vo_open.append(_vo_status(point, unit_id, answer, today, calendar))
    vo_open.sort(key=lambda point: (point.asked_on or far, point.unit_id, point.milestone_id))

    paused_until = None
    if person.paused_until is not None and (now is None or person.paused_until > now):
        zone = ZoneInfo(person.timezone or calendar.timezone)
        local = person.paused_until.astimezone(zone)
        # A pause ending at or before the send window opens leaves that day free.
        last_day = local.date()
        if local.time() <= calendar.window_start:
            last_day -= timedelta(days=1)
        if last_day >= today:
            paused_until = last_day

    return PersonHome(
        person_id=person_id,
        name=person.name,
        locale=person.locale,
        memberships=memberships,
        due=due,
        done=done,
        vo_open=vo_open,
        units=_most_urgent_first(by_id[unit_id] for unit_id in own_ids if unit_id in by_id),
        area=_most_urgent_first(by_id[unit_id] for unit_id in area_ids if unit_id in by_id),
        paused_until=paused_until,
    )
