"""Milestone dates set in the database: overrides of the plan file, audited.

A coordinator sets the date of a milestone whose date was not known (`tbd`, «Dato kommer»)
or moves a deadline; the plan file stays as it is. `effective_plan` lays the overrides over
the plan, so the planner, `plan show`, the overview and the report all see the same dates.

`set_milestone_date` is the one way to change a date (the CLI's `plan set-date` and the chat
use it). It validates first and writes nothing on bad input; on success it writes the
override and an audit entry (old → new), and cancels the milestone's pending deliveries,
releasing their dedupe keys so that the planner re-plans them for the new date. Deliveries
already sent keep their keys: a reminder sent before the move is not sent again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, bindparam, cast, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from schedules.plan import (
    DateExpr,
    DayTiming,
    DeadlineTiming,
    Milestone,
    MilestoneKind,
    Plan,
    TbdTiming,
    WindowTiming,
)
from schedules.timing import Span, resolve
from storage.models import AuditEntry, Delivery, DeliveryStatus, MilestoneOverride, table_of

OVERRIDES = table_of(MilestoneOverride)
# Built once: every click reads the overrides of its cycle.
_OF_CYCLE = (
    select(OVERRIDES)
    .where(OVERRIDES.c.cycle_id == bindparam("cycle_id"))
    .order_by(OVERRIDES.c.milestone_id)
)
# How far outside the plan's own dates a date may be set: a cycle is two years, not ten.
MARGIN = timedelta(days=366)


class DateChangeError(ValueError):
    """A date that cannot be set; the message says why. Nothing was written.

    `str(error)` is the English text; `key` and `values` give the catalogue text in the
    reader's language (`bot.compose.date_error_text`).
    """

    def __init__(self, key: str, message: str, **values: str) -> None:
        super().__init__(message)
        self.key = f"cycle.error.{key}"
        self.values = values


class UnknownMilestone(DateChangeError):
    pass


@dataclass(frozen=True, slots=True)
class Override:
    milestone_id: str
    starts_on: date
    ends_on: date
    revision: int
    set_by: str
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """What `set_milestone_date` did: the dates before (None: not known) and after."""

    milestone_id: str
    old: tuple[date, date] | None
    new: tuple[date, date]
    revision: int
    changed: bool
    cancelled: int


def load_overrides(connection: Connection | Session, cycle_id: str) -> list[Override]:
    """The overrides of one cycle, by milestone id."""
    rows = connection.execute(_OF_CYCLE, {"cycle_id": cycle_id})
    return [
        Override(row.milestone_id, row.starts_on, row.ends_on, row.revision, row.set_by, row.set_at)
        for row in rows
    ]


def effective_plan(plan: Plan, overrides: Iterable[Override]) -> Plan:
    """The plan with the overridden milestones' timings replaced by their set dates.

    A task becomes a deadline (due on `ends_on`, opening on `starts_on` when earlier); any
    other milestone a day (or a window from `starts_on` to `ends_on`). Overrides of
    milestones no longer in the plan are ignored.
    """
    by_id = {override.milestone_id: override for override in overrides}
    if not by_id:
        return plan
    milestones = [
        _overridden(milestone, by_id[milestone.id], plan.anchors)
        if milestone.id in by_id
        else milestone
        for milestone in plan.milestones
    ]
    return plan.model_copy(update={"milestones": milestones})


def current_plan(engine: Engine, plan: Plan) -> Plan:
    """The plan as the database has it now (for commands that run once)."""
    with engine.connect() as connection:
        return effective_plan(plan, load_overrides(connection, plan.id))


class LivePlan:
    """The effective plan for a long-running process, re-read at most when asked."""

    def __init__(self, engine: Engine, plan: Plan) -> None:
        self.engine = engine
        self.base = plan
        self._overrides: list[Override] | None = None
        self._plan = plan

    def current(self) -> Plan:
        with self.engine.connect() as connection:
            overrides = load_overrides(connection, self.base.id)
        if overrides != self._overrides:
            self._overrides = overrides
            self._plan = effective_plan(self.base, overrides)
        return self._plan


def _overridden(milestone: Milestone, override: Override, anchors: dict[str, date]) -> Milestone:
    start, end = override.starts_on, override.ends_on
    when: DayTiming | WindowTiming | DeadlineTiming
    if milestone.kind is MilestoneKind.task:
        when = DeadlineTiming(
            type="deadline", due=DateExpr(on=end), opens=DateExpr(on=start) if start < end else None
        )
    elif start == end:
        time = milestone.when.time if isinstance(milestone.when, DayTiming) else None
        when = DayTiming(type="day", date=DateExpr(on=start), time=time)
    else:
        when = WindowTiming(type="window", start=DateExpr(on=start), end=DateExpr(on=end))
    changes: dict[str, object] = {"when": when}
    if milestone.confirm_by is not None and milestone.confirm_by.resolve(anchors) < end:
        changes["confirm_by"] = None  # the plan's day to answer by came before the new one
    return milestone.model_copy(update=changes)


def dates_to_set(plan: Plan) -> list[Milestone]:
    """The milestones of an (effective) plan whose date is not known yet, by hint month.

    For the coordinator's home view: what is still «Dato kommer».
    """
    found = [(m.when, m) for m in plan.milestones if isinstance(m.when, TbdTiming)]
    found.sort(key=lambda pair: (str(pair[0].hint or "9999"), pair[1].id))
    return [milestone for _, milestone in found]


def cycle_bounds(plan: Plan) -> tuple[date, date]:
    """The first and last day a date of this cycle may be set to."""
    days: list[date] = []
    for milestone in plan.milestones:
        span = resolve(plan, milestone)
        if span is not None:
            days += [span.starts_on, span.ends_on]
        elif isinstance(milestone.when, TbdTiming) and milestone.when.hint is not None:
            days += [milestone.when.hint.first_day, milestone.when.hint.last_day]
    return min(days) - MARGIN, max(days) + MARGIN


def set_milestone_date(
    session: Session,
    plan: Plan,
    milestone_id: str,
    due_or_start: date,
    until: date | None = None,
    *,
    now: datetime,
    actor: str,
) -> Change:
    """Set (or move) one milestone's date for the plan's cycle; the caller's session commits.

    For a task, `due_or_start` is the deadline, or with `until` the day the work opens and
    `until` the deadline; without `until` a task keeps the day it opens when that is
    earlier, and a task whose date was not known opens today (so its opening notice and
    reminders go as for any dated task). For any other milestone it is the day, or with
    `until` the first and last day.

    Raises `DateChangeError` (`UnknownMilestone` for an id not in the plan) with a message
    for the person who typed it, and writes nothing, when: the milestone is unknown, `until`
    is before the date, a date lies outside the cycle (a year around the plan's dates) or a
    task's deadline has already passed. Setting the dates it already has changes nothing
    (`Change.changed` is False).

    On a change the override is written, the audit log gets `milestone.date_set` with old →
    new, and the milestone's pending deliveries are cancelled with their keys released, so
    the planner plans the new date's nudges (an opening notice, reminders, an escalation, the
    VO's question) and tells the people concerned of the move once.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        milestone = plan.milestone(milestone_id)
    except KeyError:
        known = ", ".join(m.id for m in plan.milestones)
        raise UnknownMilestone(
            "unknown_milestone",
            f"unknown milestone {milestone_id!r}; the plan {plan.id} has: {known}",
            milestone=milestone_id,
            plan=plan.id,
            known=known,
        ) from None
    if until is not None and until < due_or_start:
        raise DateChangeError(
            "until_before",
            f"{until.isoformat()} (until) is before {due_or_start.isoformat()}: "
            "the last day cannot come before the first",
            until=until.isoformat(),
            day=due_or_start.isoformat(),
        )
    first, last = cycle_bounds(plan)
    for day in (due_or_start, until):
        if day is not None and not first <= day <= last:
            raise DateChangeError(
                "outside",
                f"{day.isoformat()} is outside the cycle {plan.id} "
                f"({first.isoformat()} – {last.isoformat()})",
                day=day.isoformat(),
                plan=plan.id,
                first=first.isoformat(),
                last=last.isoformat(),
            )
    existing = session.execute(
        select(OVERRIDES).where(
            OVERRIDES.c.cycle_id == plan.id, OVERRIDES.c.milestone_id == milestone_id
        )
    ).first()
    current = plan.milestone(milestone_id)
    if existing is not None:
        current = _overridden(milestone, _row_override(existing), plan.anchors)
    span = resolve(plan, current)
    today = now.astimezone(ZoneInfo(plan.timezone)).date()
    start, end = _new_span(milestone, span, due_or_start, until, today)
    if milestone.kind is MilestoneKind.task and end < today:
        raise DateChangeError(
            "passed",
            f"the deadline {end.isoformat()} has already passed (today is {today.isoformat()})",
            day=end.isoformat(),
            today=today.isoformat(),
        )
    old = (span.starts_on, span.ends_on) if span is not None else None
    if old == (start, end):
        revision = existing.revision if existing is not None else 0
        return Change(milestone_id, old, (start, end), revision, changed=False, cancelled=0)
    if existing is None:
        revision = 1
        session.execute(
            OVERRIDES.insert().values(
                cycle_id=plan.id,
                milestone_id=milestone_id,
                starts_on=start,
                ends_on=end,
                revision=revision,
                set_by=actor,
                set_at=now,
            )
        )
    else:
        revision = existing.revision + 1
        session.execute(
            update(OVERRIDES)
            .where(OVERRIDES.c.id == existing.id)
            .values(starts_on=start, ends_on=end, revision=revision, set_by=actor, set_at=now)
        )
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action="milestone.date_set",
            subject=f"{plan.id}/{milestone_id}",
            detail=f"{_describe(old)} -> {_describe((start, end))}",
        )
    )
    cancelled = release_pending(session, plan.id, [milestone_id], reason="date moved")
    return Change(milestone_id, old, (start, end), revision, changed=True, cancelled=cancelled)


def release_pending(
    connection: Connection | Session,
    cycle_id: str,
    milestone_ids: Sequence[str],
    *,
    reason: str,
    ids: Sequence[int] | None = None,
) -> int:
    """Cancel pending deliveries and free their dedupe keys for re-planning.

    The key gets the row's id appended, so the row stays as a record and the planner may
    insert the nudge again under its usual key. Rows being sent or already sent are left.
    """
    from schedules.events import NOTICES  # schedules.events imports this module

    table = table_of(Delivery)
    conditions = [
        table.c.status == DeliveryStatus.pending.value,
        table.c.cycle_id == cycle_id,
        table.c.milestone_id.in_(list(milestone_ids)),
        table.c.nudge.not_in(sorted(NOTICES)),  # not the plan's: the planner won't remake them
    ]
    if ids is not None:
        conditions.append(table.c.id.in_(list(ids)))
    result = connection.execute(
        update(table)
        .where(*conditions)
        .values(
            status=DeliveryStatus.cancelled.value,
            error=reason,
            dedupe_key=table.c.dedupe_key + "|x" + cast(table.c.id, String),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _row_override(row: object) -> Override:
    return Override(
        row.milestone_id,  # type: ignore[attr-defined]
        row.starts_on,  # type: ignore[attr-defined]
        row.ends_on,  # type: ignore[attr-defined]
        row.revision,  # type: ignore[attr-defined]
        row.set_by,  # type: ignore[attr-defined]
        row.set_at,  # type: ignore[attr-defined]
    )


def _new_span(
    milestone: Milestone, span: Span | None, day: date, until: date | None, today: date
) -> tuple[date, date]:
    if until is not None:
        return day, until
    if milestone.kind is MilestoneKind.task:
        if span is None and today < day:
            return today, day  # a date that comes later: the work opens now, reminders follow
        if span is not None and span.starts_on < day:
            return span.starts_on, day
    return day, day


def _describe(span: tuple[date, date] | None) -> str:
    if span is None:
        return "not known"
    start, end = span
    return start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"
