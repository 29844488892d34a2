"""A dry run of a cycle over a virtual clock, with a throw-away database.

Used by `arkbot simulate` and `arkbot demo`. The planner and sender are the real ones; only
the clock is virtual and the transport records instead of talking to a platform.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.messages import Message
from bot.runtime import calendar_from, rules_from, sender_config_from
from bot.sender import Sender, SendStats, Sent
from bot.transports.base import Recipient, SendResult
from schedules.clock import FrozenClock
from schedules.events import Nudge
from schedules.plan import Plan
from schedules.planner import Planner
from storage.db import make_engine, session_scope, upgrade
from storage.deliveries import Claimed
from storage.directory import import_org
from storage.models import (
    ActionArea,
    ActionItem,
    ActionState,
    Delivery,
    DeliveryStatus,
    VoAnswer,
    table_of,
)
from storage.overrides import DateChangeError, set_milestone_date
from storage.records import add_action_item, mark_task_done, record_vo_answer, set_action_state


class RecordingTransport:
    """Keeps what would have been sent; optionally passes it on (to the console)."""

    platform = "simulation"
    workspace = "default"

    def __init__(self, forward: Callable[[Recipient, Message], None] | None = None) -> None:
        self.forward = forward
        self.count = 0

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        self.count += 1
        if self.forward is not None:
            self.forward(recipient, message)
        return SendResult(
            platform=self.platform, channel_id=recipient.email, message_id=str(self.count)
        )


@dataclass(frozen=True, slots=True)
class SentRecord:
    at: datetime
    recipient: str
    role: str
    unit_id: str | None
    kind: str
    milestone: str
    occurrence: str
    locale: str
    text: str
    # A digest covers several rows: every unit it names (the first is `unit_id`).
    units: tuple[str | None, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "recipient": self.recipient,
            "role": self.role,
            "unit_id": self.unit_id,
            "kind": self.kind,
            "milestone": self.milestone,
            "occurrence": self.occurrence,
            "locale": self.locale,
            "text": self.text,
            "units": list(self.units),
        }


@dataclass
class SimulationResult:
    records: list[SentRecord] = field(default_factory=list)
    stats: SendStats = field(default_factory=SendStats)


class Responder:
    """Simulated people: with a seeded randomness they mark tasks done, answer and follow up."""

    def __init__(self, seed: int, plan: Plan) -> None:
        self.rng = random.Random(seed)
        self.plan = plan
        self._action_plan_tasks = {
            m.id for m in plan.milestones if m.kind == "task" and m.phase >= 3
        }

    def respond(self, engine: Engine, sent: Sent, today: date) -> None:
        """The recipient answers for every row the message covers (a digest covers several)."""
        for delivery in sent.covers or (sent.delivery,):
            self._respond(engine, delivery, sent, today)

    def _respond(self, engine: Engine, delivery: Claimed, sent: Sent, today: date) -> None:
        nudge = Nudge(delivery.nudge)
        if nudge is Nudge.date_request:
            self._set_date(engine, delivery.milestone_id, sent)
            return
        actor = sent.recipient.email
        unit_id = delivery.unit_id
        if unit_id is None:
            return
        with session_scope(engine) as session:
            if nudge in (Nudge.task_open, Nudge.reminder) and delivery.role == "leader":
                chance = 0.7 if delivery.occurrence.startswith("r0") else 0.35
                if self.rng.random() < chance:
                    mark_task_done(
                        session,
                        cycle_id=delivery.cycle_id,
                        milestone_id=delivery.milestone_id,
                        unit_id=unit_id,
                        done_on=today,
                        now=sent.at,
                        actor=actor,
                        person_id=delivery.person_id,
                        archive_ref=f"2024/{self.rng.randint(1000, 9999)}",
                    )
                    if delivery.milestone_id in self._action_plan_tasks:
                        for number in range(self.rng.randint(1, 3)):
                            add_action_item(
                                session,
                                cycle_id=delivery.cycle_id,
                                unit_id=unit_id,
                                title=f"Tiltak {number + 1}",
                                now=sent.at,
                                actor=actor,
                                due_on=today + timedelta(days=self.rng.randint(60, 300)),
                                area=self.rng.choice(list(ActionArea)),
                            )
            elif nudge is Nudge.vo_question:
                answer = self.rng.choices(list(VoAnswer), weights=(7, 2, 1))[0]
                record_vo_answer(
                    session,
                    cycle_id=delivery.cycle_id,
                    milestone_id=delivery.milestone_id,
                    unit_id=unit_id,
                    person_id=delivery.person_id,
                    answer=answer,
                    now=sent.at,
                    actor=actor,
                    involved_on=today if answer is not VoAnswer.not_yet else None,
                )
            elif nudge is Nudge.checkin and delivery.subject_id is not None:
                item = session.get(ActionItem, delivery.subject_id)
                if item is not None:
                    state = self.rng.choices(
                        [
                            ActionState.on_track,
                            ActionState.delayed,
                            ActionState.done,
                            ActionState.dropped,
                        ],
                        weights=(12, 3, 4, 1),
                    )[0]
                    set_action_state(session, item, state, now=sent.at, actor=actor)

    def _set_date(self, engine: Engine, milestone_id: str, sent: Sent) -> None:
        """A coordinator asked for a date sets it: the 20th of the hint month (a weekday)."""
        hint = getattr(self.plan.milestone(milestone_id).when, "hint", None)
        if hint is None:
            return
        day = hint.first_day.replace(day=20)
        day -= timedelta(days=max(0, day.weekday() - 4))
        with session_scope(engine) as session:
            try:
                set_milestone_date(
                    session, self.plan, milestone_id, day, now=sent.at, actor=sent.recipient.email
                )
            except DateChangeError:
                return  # too late: the simulated coordinator gives up, as a real one might


@contextmanager
def throwaway_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="arkbot-sim-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'simulation.db'}")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def simulate(
    plan: Plan,
    org_csv: str,
    start: date,
    end: date,
    *,
    settings: Settings,
    respond_seed: int | None = None,
    forward: Callable[[Recipient, Message], None] | None = None,
    on_record: Callable[[SentRecord], None] | None = None,
    on_day: Callable[[date], None] | None = None,
    engine_hook: Callable[[Engine], None] | None = None,
    set_dates: Mapping[date, Sequence[DateSetting]] | None = None,
) -> SimulationResult:
    """Run the planner and the sender over [start, end] (inclusive) on a virtual clock.

    `set_dates` plays a coordinator who, at 10:00 on a day of the run, sets milestones' dates
    (`DateSetting`: milestone id, date, until) as `arkbot plan set-date` would.
    """
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    calendar, rules, config = (
        calendar_from(settings),
        rules_from(settings),
        sender_config_from(settings),
    )
    zone = ZoneInfo(calendar.timezone)
    clock = FrozenClock(datetime.combine(start, time(0), tzinfo=zone))
    result = SimulationResult()
    responder = Responder(respond_seed, plan) if respond_seed is not None else None
    pending: list[Sent] = []
    transport = RecordingTransport(forward)

    with throwaway_engine() as engine:
        import_org(engine, org_csv, clock=clock, actor="simulation")
        planner = Planner(engine, plan, calendar, clock, rules, horizon=timedelta(hours=23))
        sender = Sender(
            engine,
            plan,
            transport,
            calendar,
            clock,
            config=config,
            rng=random.Random(respond_seed or 0),
            on_sent=pending.append,
        )
        try:
            day = start
            while day <= end:
                midnight = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
                next_midnight = datetime.combine(
                    day + timedelta(days=1), time(0), tzinfo=zone
                ).astimezone(UTC)
                clock.set(max(midnight, clock.now()))
                for setting in (set_dates or {}).get(day, ()):
                    _set_date(engine, plan, setting, day, zone)
                planner.run()
                while True:
                    due = _next_due(engine, next_midnight)
                    if due is None:
                        break
                    clock.set(max(due, clock.now()))
                    result.stats.add(sender.run_once())
                    for sent in sorted(pending, key=lambda s: s.delivery.id or 0):
                        record = _record(sent, zone)
                        result.records.append(record)
                        if on_record is not None:
                            on_record(record)
                        if responder is not None:
                            responder.respond(engine, sent, calendar.local_date(sent.at))
                    pending.clear()
                if on_day is not None:
                    on_day(day)
                day += timedelta(days=1)
            if engine_hook is not None:
                engine_hook(engine)
        finally:
            sender.close()
    return result


@dataclass(frozen=True, slots=True)
class DateSetting:
    milestone_id: str
    day: date
    until: date | None = None


def _set_date(engine: Engine, plan: Plan, setting: DateSetting, day: date, zone: ZoneInfo) -> None:
    with session_scope(engine) as session:
        set_milestone_date(
            session,
            plan,
            setting.milestone_id,
            setting.day,
            setting.until,
            now=datetime.combine(day, time(10), tzinfo=zone).astimezone(UTC),
            actor="simulation",
        )


def _next_due(engine: Engine, before: datetime) -> datetime | None:
    table = table_of(Delivery)
    with engine.connect() as connection:
        found = connection.execute(
            select(func.min(table.c.next_attempt_at)).where(
                table.c.status == DeliveryStatus.pending.value, table.c.next_attempt_at < before
            )
        ).scalar()
    if found is None:
        return None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _record(sent: Sent, default_zone: ZoneInfo) -> SentRecord:
    zone = ZoneInfo(sent.recipient.timezone) if sent.recipient.timezone else default_zone
    return SentRecord(
        at=sent.at.astimezone(zone),
        recipient=sent.recipient.email,
        role=sent.delivery.role,
        unit_id=sent.delivery.unit_id,
        kind=sent.delivery.nudge,
        milestone=sent.delivery.milestone_id,
        occurrence=sent.delivery.occurrence,
        locale=sent.message.locale,
        text=sent.message.fallback,
        units=tuple(row.unit_id for row in sent.covers) or (sent.delivery.unit_id,),
    )
