"""The planner: expands due events to one delivery row per (event, recipient).

Idempotent by construction: every row has a dedupe key built from (cycle, milestone,
occurrence, recipient), inserted with ON CONFLICT DO NOTHING. Running it twice, after a
restart, after a plan edit or from two instances never duplicates a row. It keeps a little
memory (how far it has planned, and the directory's version) only to avoid redoing work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from schedules.calendar import WorkCalendar
from schedules.clock import Clock
from schedules.events import NOTICES, Event, Nudge, Rules, Scope, plan_events
from schedules.plan import Plan
from storage.deliveries import dedupe_key, insert_new
from storage.models import (
    ActionItem,
    ActionState,
    AuditEntry,
    Delivery,
    DeliveryStatus,
    TaskCompletion,
    table_of,
)
from storage.overrides import Override, load_overrides, release_pending
from storage.snapshot import DirectorySnapshot, Member, load_snapshot

CLOSED_ACTION_STATES = (ActionState.done.value, ActionState.dropped.value)
# Nudges that stand in for each other when catching up: a reminder makes the opening redundant.
_FAMILY = {
    Nudge.task_open: "task",
    Nudge.reminder: "task",
    Nudge.window_open: "window",
    Nudge.window_reminder: "window",
    Nudge.date_request: "date_request",
}


@dataclass(frozen=True, slots=True)
class PlannerStats:
    events: int
    candidates: int
    inserted: int


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Planner:
    def __init__(
        self,
        engine: Engine,
        plan: Plan,
        calendar: WorkCalendar,
        clock: Clock,
        rules: Rules | None = None,
        horizon: timedelta = timedelta(hours=36),
        workspace: str = "default",
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.calendar = calendar
        self.clock = clock
        self.horizon = horizon
        self.workspace = workspace
        self.rules = rules or Rules()
        self.events = plan_events(plan, calendar, self.rules)
        self._overrides: list[Override] | None = None
        self._planned_until: date | None = None
        self._version: int | None = None
        self._snapshot: DirectorySnapshot | None = None
        self._done: set[tuple[str, str]] = set()
        self._items: dict[str, list[int]] = {}

    def run(self, now: datetime | None = None) -> PlannerStats:
        now = now or self.clock.now()
        today = self.calendar.local_date(now)
        until = self.calendar.local_date(now + self.horizon)
        with self.engine.connect() as connection:
            version = connection.execute(select(func.max(table_of(AuditEntry).c.id))).scalar() or 0
            replan_all = version != self._version or self._planned_until is None
            # A date set or moved is audited, so it is seen here; its stale rows go below.
            changed = self._load_overrides(connection) if replan_all else set()
            events = self._due_events(today, until, replan_all)
            if not events and not changed:
                self._remember(until, version)
                return PlannerStats(0, 0, 0)
            # Everything that changes the directory, completions or action items is audited,
            # so an unchanged audit version means the last snapshot still holds.
            if self._snapshot is None or replan_all:
                self._snapshot = load_snapshot(connection)
                self._done = self._completions(connection)
                self._items = self._open_action_items(connection)
            snapshot, done, items = self._snapshot, self._done, self._items
        if changed:
            self._release_stale(changed, snapshot, done, items, now, today)
        rows = list(self._rows(events, snapshot, done, items, now))
        # One person's rows due at the same time get consecutive ids, so a sender's batch
        # (ordered by due time and id) cuts at most one person's digest (bot/digest.py).
        rows.sort(key=lambda row: (row["due_at"], row["person_id"]))
        inserted = insert_new(self.engine, rows)
        self._remember(until, version)
        return PlannerStats(len(events), len(rows), inserted)

    def _load_overrides(self, connection: Any) -> set[str]:
        """Re-read the date overrides; the ids of milestones whose dates changed."""
        overrides = load_overrides(connection, self.plan.id)
        if overrides == self._overrides:
            return set()
        before = {o.milestone_id: o for o in self._overrides or ()}
        after = {o.milestone_id: o for o in overrides}
        changed = {m for m in before.keys() | after.keys() if before.get(m) != after.get(m)}
        self._overrides = overrides
        self.events = plan_events(self.plan, self.calendar, self.rules, overrides)
        return changed

    def _release_stale(
        self,
        milestone_ids: set[str],
        snapshot: DirectorySnapshot,
        done: set[tuple[str, str]],
        items: dict[str, list[int]],
        now: datetime,
        today: date,
    ) -> int:
        """Cancel pending rows of moved milestones that no longer match an event's day.

        `set_milestone_date` already cancels them; this catches rows another planner
        inserted from the old dates while the change was being written.
        """
        events = [
            e for e in self.events if e.milestone_id in milestone_ids and e.expires_on >= today
        ]
        expected = {
            row["dedupe_key"]: row["due_at"]
            for row in self._rows(events, snapshot, done, items, now)
        }
        table = table_of(Delivery)
        with self.engine.begin() as connection:
            pending = connection.execute(
                select(table.c.id, table.c.dedupe_key, table.c.due_at).where(
                    table.c.cycle_id == self.plan.id,
                    table.c.milestone_id.in_(sorted(milestone_ids)),
                    table.c.status == DeliveryStatus.pending.value,
                    table.c.nudge.not_in(sorted(NOTICES)),
                )
            ).all()
            stale = [row.id for row in pending if expected.get(row.dedupe_key) != row.due_at]
            if not stale:
                return 0
            return release_pending(
                connection, self.plan.id, sorted(milestone_ids), reason="date moved", ids=stale
            )

    def _remember(self, until: date, version: int) -> None:
        self._planned_until = (
            until if self._planned_until is None else max(until, self._planned_until)
        )
        self._version = version

    def _due_events(self, today: date, until: date, replan_all: bool) -> list[Event]:
        if replan_all:
            # Up to where the last run planned, too: events may have moved into that stretch.
            if self._planned_until is not None:
                until = max(until, self._planned_until)
            candidates = [e for e in self.events if e.day <= until and e.expires_on >= today]
        else:
            assert self._planned_until is not None
            candidates = [e for e in self.events if self._planned_until < e.day <= until]
        # Catching up after downtime (or a first start mid-cycle): of the nudges of one kind
        # that are due by today, only the latest goes; nobody needs last month's reminder too.
        latest: dict[tuple[str, str], date] = {}
        for event in candidates:
            if event.day <= today:
                key = (event.milestone_id, _FAMILY.get(event.nudge, event.nudge.value))
                latest[key] = max(latest.get(key, event.day), event.day)
        return [
            event
            for event in candidates
            if event.day > today
            or latest[(event.milestone_id, _FAMILY.get(event.nudge, event.nudge.value))]
            == event.day
        ]

    def _completions(self, connection: Any) -> set[tuple[str, str]]:
        table = table_of(TaskCompletion)
        rows = connection.execute(
            select(table.c.milestone_id, table.c.unit_id).where(table.c.cycle_id == self.plan.id)
        )
        return {(row[0], row[1]) for row in rows}

    def _open_action_items(self, connection: Any) -> dict[str, list[int]]:
        table = table_of(ActionItem)
        rows = connection.execute(
            select(table.c.unit_id, table.c.id)
            .where(table.c.cycle_id == self.plan.id, table.c.state.not_in(CLOSED_ACTION_STATES))
            .order_by(table.c.id)
        )
        items: dict[str, list[int]] = {}
        for unit_id, item_id in rows:
            items.setdefault(unit_id, []).append(item_id)
        return items

    def _rows(
        self,
        events: Iterable[Event],
        snapshot: DirectorySnapshot,
        done: set[tuple[str, str]],
        items: dict[str, list[int]],
        now: datetime,
    ) -> Iterable[dict[str, Any]]:
        for event in events:
            for member, unit_id, occurrence, subject_id in self._recipients(
                event, snapshot, done, items
            ):
                yield self._row(event, member, unit_id, occurrence, subject_id, now)

    def _recipients(
        self,
        event: Event,
        snapshot: DirectorySnapshot,
        done: set[tuple[str, str]],
        items: dict[str, list[int]],
    ) -> Iterable[tuple[Member, str, str, int | None]]:
        if event.scope is Scope.escalation:
            yield from self._escalations(event, snapshot, done)
            return
        matching = _matching(event, snapshot)
        if event.scope is Scope.person:
            seen: set[int] = set()
            for member in matching:
                if member.person_id not in seen:
                    seen.add(member.person_id)
                    yield member, member.unit_id, event.occurrence, None
        elif event.scope is Scope.unit:
            seen_pairs: set[tuple[int, str]] = set()
            for member in matching:
                pair = (member.person_id, member.unit_id)
                if pair in seen_pairs or (event.milestone_id, member.unit_id) in done:
                    continue
                seen_pairs.add(pair)
                yield member, member.unit_id, f"{event.occurrence}:{member.unit_id}", None
        else:
            seen_items: set[tuple[int, int]] = set()
            for member in matching:
                for item_id in items.get(member.unit_id, ()):
                    if (member.person_id, item_id) not in seen_items:
                        seen_items.add((member.person_id, item_id))
                        yield member, member.unit_id, f"{event.occurrence}:a{item_id}", item_id

    def _escalations(
        self, event: Event, snapshot: DirectorySnapshot, done: set[tuple[str, str]]
    ) -> Iterable[tuple[Member, str, str, int | None]]:
        task = self.plan.milestone(event.milestone_id)
        units = sorted(
            {m.unit_id for a in task.audience for m in snapshot.matching(a.role, a.level)}
        )
        coordinators_by_id = {
            m.person_id: m for m in snapshot.members if m.role.value == "coordinator"
        }
        for unit_id in units:
            if (event.milestone_id, unit_id) in done:
                continue
            for person_id in snapshot.coordinators_for(unit_id):
                coordinator = coordinators_by_id[person_id]
                yield coordinator, unit_id, f"{event.occurrence}:{unit_id}", None

    def _row(
        self,
        event: Event,
        member: Member,
        unit_id: str,
        occurrence: str,
        subject_id: int | None,
        now: datetime,
    ) -> dict[str, Any]:
        zone = member.timezone or self.calendar.timezone
        due_at = self.calendar.send_time(event.day, zone)
        expires_at = datetime.combine(
            event.expires_on + timedelta(days=1), time(0), tzinfo=_zone(zone)
        ).astimezone(UTC)
        return {
            "dedupe_key": dedupe_key(
                self.plan.id, event.milestone_id, occurrence, member.person_id
            ),
            "cycle_id": self.plan.id,
            "milestone_id": event.milestone_id,
            "occurrence": occurrence,
            "person_id": member.person_id,
            "unit_id": unit_id,
            "role": member.role.value,
            "nudge": event.nudge.value,
            "optional": event.optional,
            "subject_id": subject_id,
            "workspace": self.workspace,
            "status": DeliveryStatus.pending.value,
            "attempts": 0,
            "due_at": due_at,
            "next_attempt_at": due_at,
            "expires_at": expires_at,
            "created_at": now,
        }


def _matching(event: Event, snapshot: DirectorySnapshot) -> list[Member]:
    found: list[Member] = []
    for audience in event.audience:
        found.extend(snapshot.matching(audience.role, audience.level))
    return found
