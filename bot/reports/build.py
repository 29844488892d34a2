"""Build the coordinator's report from the database, once, for any number of units.

The units' tasks, VO points, action items and failed deliveries come from
`bot.overview.unit_statuses` (the same objects the App Home and `/ark report` read); this
module adds the tree order, the delivery health (sent, failed with reasons) and the pulse
results the aggregation allows. A handful of statements for the whole scope: the units, the
six of `unit_statuses`, one grouped count of deliveries, and one aggregation per pulse round.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from bot.overview import unit_statuses
from bot.reports.model import (
    DeliveryHealth,
    FailureReason,
    Report,
    ReportScope,
    UnitReport,
    totals_of,
)
from bot.reports.pulses import Aggregate, PulseData, collect, find_aggregate
from schedules.calendar import WorkCalendar
from schedules.plan import Plan
from storage.models import Delivery, DeliveryStatus, Unit, table_of
from storage.overrides import effective_plan, load_overrides
from storage.queries import MAX_DEPTH, UnknownUnitError

MIN_GROUP_FLOOR = 3  # never show a group smaller than this, whatever is asked for
_IN_CHUNK = 5000


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while a report is built and rendered.

    A report of a thousand units creates a few hundred thousand small objects that all stay
    alive until it is written; every full collection walks all of them again, which costs
    about a third of the time. Nothing a report makes needs the collector (no cycles worth
    freeing early), and it runs again as soon as the block ends. `arkbot report` uses this.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Node:
    unit_id: str
    parent_id: str | None
    depth: int


def _tree(session: Session, unit_id: str | None) -> list[_Node]:
    """Active units in tree order (depth first, siblings by name), from every root or from
    `unit_id`; one query for the whole directory. Raises `UnknownUnitError` for an id no
    active unit has."""
    units = table_of(Unit)
    rows = session.execute(
        select(units.c.id, units.c.name, units.c.parent_id).where(units.c.active)
    ).all()
    names: dict[str, str] = {row.id: row.name for row in rows}
    # A unit whose parent is gone (or inactive) counts as a root.
    parents = {row.id: row.parent_id if row.parent_id in names else None for row in rows}
    children: dict[str | None, list[str]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    for siblings in children.values():
        siblings.sort(key=lambda child: (names[child].casefold(), child))
    if unit_id is not None and unit_id not in names:
        raise UnknownUnitError(unit_id)
    starts = [unit_id] if unit_id is not None else children.get(None, [])
    order: list[_Node] = []
    stack = [(start, 0) for start in reversed(starts)]
    seen: set[str] = set()
    while stack:
        current, depth = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        order.append(_Node(current, None if current == unit_id else parents[current], depth))
        if depth < MAX_DEPTH:
            stack.extend((child, depth + 1) for child in reversed(children.get(current, [])))
    return order


def _delivery_health(
    session: Session, cycle_id: str, unit_ids: Sequence[str]
) -> tuple[dict[str, int], dict[str, list[FailureReason]]]:
    """Sent counts and failure reasons per unit: one grouped statement per 5,000 units."""
    deliveries = table_of(Delivery)
    sent: dict[str, int] = {}
    reasons: dict[str, list[FailureReason]] = {}
    wanted = (DeliveryStatus.sent.value, DeliveryStatus.failed.value)
    for start in range(0, len(unit_ids), _IN_CHUNK):
        chunk = list(unit_ids[start : start + _IN_CHUNK])
        rows = session.execute(
            select(deliveries.c.unit_id, deliveries.c.status, deliveries.c.error, func.count())
            .where(
                deliveries.c.cycle_id == cycle_id,
                deliveries.c.status.in_(wanted),
                deliveries.c.unit_id.in_(chunk),
            )
            .group_by(deliveries.c.unit_id, deliveries.c.status, deliveries.c.error)
        )
        for unit_id, status, error, count in rows:
            if DeliveryStatus(status) is DeliveryStatus.sent:
                sent[unit_id] = sent.get(unit_id, 0) + int(count)
            else:
                reasons.setdefault(unit_id, []).append(FailureReason(error, int(count)))
    for found in reasons.values():
        found.sort(key=lambda reason: (-reason.count, reason.reason or ""))
    return sent, reasons


def build_report(
    session: Session,
    plan: Plan,
    *,
    unit_id: str | None,
    today: date,
    calendar: WorkCalendar,
    min_group: int,
    aggregate: Aggregate | None = None,
) -> Report:
    """The report for every active unit (`unit_id` None) or for one unit and every active
    unit below it, as of `today`.

    Pulse results come from `aggregate` (by default `bot.pulse_aggregation.aggregate`, when
    installed) and only for groups it marks shown. Raises `UnknownUnitError` for an id no
    active unit has and `ValueError` for a `min_group` below 3.
    """
    if min_group < MIN_GROUP_FLOOR:
        raise ValueError(f"min_group must be at least {MIN_GROUP_FLOOR}, not {min_group}")
    plan = effective_plan(plan, load_overrides(session, plan.id))  # dates set in the database
    nodes = _tree(session, unit_id)
    ids = [node.unit_id for node in nodes]
    statuses = {
        status.unit_id: status for status in unit_statuses(session, plan, ids, today, calendar)
    }
    sent, reasons = _delivery_health(session, plan.id, ids)

    aggregate = aggregate if aggregate is not None else find_aggregate()
    pulses = PulseData({}, (), ())
    if aggregate is not None and ids:
        pulses = collect(
            session,
            plan,
            unit_ids=ids,
            parents={node.unit_id: node.parent_id for node in nodes},
            today=today,
            calendar=calendar,
            min_group=min_group,
            aggregate=aggregate,
        )

    units = []
    for node in nodes:
        status = statuses.get(node.unit_id)
        if status is None:
            continue
        health = DeliveryHealth(
            sent=sent.get(node.unit_id, 0),
            failed=status.failed_deliveries,  # as the App Home counts it
            reasons=tuple(reasons.get(node.unit_id, ())),
        )
        results = tuple(pulses.by_unit.get(node.unit_id, ()))
        units.append(UnitReport(status, node.parent_id, node.depth, health, results))

    scope = ReportScope("area")
    if unit_id is not None:
        scope = ReportScope(
            "unit", unit_id, statuses[unit_id].name if unit_id in statuses else None
        )
    unit_reports = tuple(units)
    return Report(
        generated_on=today,
        cycle_id=plan.id,
        plan_name=plan.name,
        scope=scope,
        min_group=min_group,
        units=unit_reports,
        totals=totals_of(unit_reports),
        rounds=pulses.rounds,
        trends=pulses.trends,
        pulses_available=aggregate is not None,
    )
