"""The sender: claims due deliveries, checks they still make sense, sends, records.

Each send's outcome is written as soon as it is known (group commits: whoever finishes while
nobody is writing writes everything queued so far), and a worker starts its next send only once
its last outcome is committed. A worker is a thread, or, for a transport whose sends are
coroutines (`SendsAsync`: Teams), a coroutine on the transport's event loop, which writes its
records itself (the loop waits for the write).

So if the process is killed, at most `concurrency` messages (the ones on the wire or awaiting
their commit) went out without a record; their rows come back after the lease, marked as
maybe sent, and a transport that can look (Slack's DM history) is asked before the message is
sent again.

No worker ever sleeps on a platform's behalf: a 429 reschedules the row after Retry-After
and pauses the workspace's bucket; 5xx and timeouts back off exponentially with jitter;
permanent errors fail the row with the platform's reason for the coordinator to see.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.engine import Engine

from bot import digest
from bot.compose import Composer, Subject
from bot.messages import Message
from bot.pacing import Bucket
from bot.transports.base import (
    PermanentFailure,
    RateLimited,
    Recipient,
    SendResult,
    SendsAsync,
    Transport,
    TransportError,
    recipient_of,
)
from schedules.calendar import WorkCalendar
from schedules.clock import Clock
from schedules.events import Nudge
from schedules.plan import Plan
from storage.async_outcomes import AsyncOutcomeWriter
from storage.deliveries import Claimed, Outcome, OutcomeWriter, claim_due
from storage.models import (
    ActionItem,
    ActionState,
    Delivery,
    DeliveryStatus,
    Membership,
    Person,
    TaskCompletion,
    Unit,
    VoConfirmation,
    table_of,
)
from storage.overrides import LivePlan
from storage.workspaces import blocked_workspaces

TASK_NUDGES = frozenset({Nudge.task_open.value, Nudge.reminder.value, Nudge.escalation.value})


@dataclass(frozen=True, slots=True)
class SenderConfig:
    batch_size: int = 200
    concurrency: int = 8
    lease: timedelta = timedelta(seconds=120)
    max_attempts: int = 6
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=1)
    optional_per_day: int = 1
    optional_per_week: int = 3


@dataclass(slots=True)
class SendStats:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    deferred: int = 0
    cancelled: int = 0
    expired: int = 0

    def add(self, other: SendStats) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class Sent:
    """What the sender hands to observers (the simulator, the demo) after each send."""

    delivery: Claimed
    recipient: Recipient
    message: Message
    at: datetime
    # A digest: every row the one message covers (the first is `delivery`).
    covers: tuple[Claimed, ...] = ()


@dataclass(slots=True)
class _Pending:
    decided: list[Outcome]
    futures: list[Future[list[Outcome]]]


@dataclass(slots=True)
class _Batch:
    people: dict[int, Recipient]  # active people only
    paused_until: dict[int, datetime]
    units: dict[str, str]
    memberships: set[tuple[int, str, str]]
    done: set[tuple[str, str]]
    answered: set[tuple[str, str, int]]
    items: dict[int, ActionItem]
    optional_day: dict[int, int] = field(default_factory=dict)
    optional_week: dict[int, int] = field(default_factory=dict)
    # The frequency cap's decision per digest (`digest.group_key`): a digest counts once.
    capped: dict[tuple[object, ...], datetime | None] = field(default_factory=dict)


class _GroupCommit:
    """Outcomes written as soon as they are known, many per transaction when they pile up.

    `commit` returns once the caller's outcomes are in the database. A caller that finds no
    write in progress writes everything queued (its own and what others queued meanwhile);
    the others wait for that write. A failed write puts its outcomes back for the next writer.
    """

    def __init__(self, engine: Engine, write_lock: threading.Lock | None = None) -> None:
        self._writer = OutcomeWriter(engine)
        self._write_lock = write_lock or threading.Lock()
        self._cond = threading.Condition()
        self._queue: list[Outcome] = []
        self._writing = False
        self._queued = 0  # tickets handed out
        self._written = 0  # every ticket up to this one is committed
        self.transactions = 0

    def commit(self, outcomes: Sequence[Outcome]) -> None:
        with self._cond:
            self._queue.extend(outcomes)
            self._queued += 1
            ticket = self._queued
            while True:
                if self._written >= ticket:
                    return
                if not self._writing:
                    break
                self._cond.wait()
            self._writing = True
            group, self._queue = self._queue, []
            upto = self._queued
        try:
            with self._write_lock:
                self._writer.write(group)
        except BaseException:
            with self._cond:
                self._queue[:0] = group
                self._writing = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._written = max(self._written, upto)
            self._writing = False
            self.transactions += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._writer.close()


class Sender:
    def __init__(
        self,
        engine: Engine,
        plan: Plan,
        transport: Transport,
        calendar: WorkCalendar,
        clock: Clock,
        bucket: Bucket | None = None,
        config: SenderConfig | None = None,
        rng: random.Random | None = None,
        on_sent: Callable[[Sent], None] | None = None,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.transport = transport
        self.calendar = calendar
        self.clock = clock
        self.bucket = bucket
        self.config = config or SenderConfig()
        self.rng = rng or random.Random()
        self.on_sent = on_sent
        self._pool = ThreadPoolExecutor(
            max_workers=self.config.concurrency, thread_name_prefix="send"
        )
        self._live = LivePlan(engine, plan)  # the plan with the dates set in the database
        self._use_plan(plan)
        # SQLite has one writer at a time, and a writer that finds the file locked sleeps in
        # SQLite's busy handler (1, 2, 5… ms). The claim and the outcome writes of this process
        # therefore take turns on a lock of ours, which wakes the next one at once.
        self._sqlite_writes = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._commits = _GroupCommit(engine, self._sqlite_writes)
        # Optional (ChecksDelivery): was a maybe-sent row's message delivered already?
        self._already_delivered: Callable[[Recipient, int], SendResult | None] | None = getattr(
            transport, "already_delivered", None
        )
        self._async = transport if isinstance(transport, SendsAsync) else None
        self._async_workers: asyncio.Semaphore | None = None
        # On PostgreSQL the coroutines' records go over an asyncio connection, so the loop
        # keeps sending while one waits for the database (storage.async_outcomes).
        self._async_writes = (
            AsyncOutcomeWriter(engine)
            if self._async is not None and engine.dialect.name == "postgresql"
            else None
        )
        self._on_loop: set[Future[list[Outcome]]] = set()  # shares not finished yet
        self._lock = threading.Lock()

    def _use_plan(self, plan: Plan) -> None:
        self._plan_now = plan
        self._milestones = {milestone.id: milestone for milestone in plan.milestones}
        self._composer = Composer(plan, self.calendar)

    def close(self) -> None:
        """Wait for every send handed to a worker (threads or coroutines), then stop."""
        self._pool.shutdown(wait=True)
        with self._lock:
            shares = list(self._on_loop)
        futures_wait(shares)
        self._commits.close()
        if self._async_writes is not None and self._async is not None:
            loop = self._async.event_loop
            if loop.is_running():
                closing = asyncio.run_coroutine_threadsafe(self._async_writes.close(), loop)
                with contextlib.suppress(Exception):  # closing a connection the loop lost
                    closing.result(5)

    def run_once(self, limit: int | None = None) -> SendStats:
        """Claim and handle one batch of due rows, waiting for its sends."""
        stats, pending = self._start_batch(limit)
        if pending is not None:
            stats.add(self._finish_batch(pending))
        return stats

    def drain(self, wait: Callable[[float], None], until: datetime | None = None) -> SendStats:
        """Send everything due now, waiting for the bucket between batches (never past `until`).

        Batches overlap: while one batch's messages are on the wire, the next is claimed and
        composed, so the database work hides behind the network.
        """
        total = SendStats()
        in_flight: _Pending | None = None
        try:
            while until is None or self.clock.now() < until:
                stats, pending = self._start_batch(None)
                total.add(stats)
                if in_flight is not None:
                    total.add(self._finish_batch(in_flight))
                    in_flight = None
                in_flight = pending
                if stats.claimed:
                    continue
                if self.bucket is not None and self.bucket.available() == 0 and self._has_due():
                    wait(max(self.bucket.seconds_until(1), 0.001))
                    continue
                break
        finally:
            if in_flight is not None:
                total.add(self._finish_batch(in_flight))
        return total

    def _start_batch(self, limit: int | None) -> tuple[SendStats, _Pending | None]:
        wanted = min(limit or self.config.batch_size, self.config.batch_size)
        if self.bucket is not None:
            # Tokens are reserved before claiming, so overlapping batches cannot overspend.
            wanted = self.bucket.take(wanted)
        now = self.clock.now()
        if self._sqlite_writes is not None:
            with self._sqlite_writes:
                claimed = claim_due(self.engine, now, wanted, self.config.lease)
        else:
            claimed = claim_due(self.engine, now, wanted, self.config.lease)
        if self.bucket is not None and len(claimed) < wanted:
            self.bucket.refund(wanted - len(claimed))
        reserved = len(claimed)
        if reserved == wanted:  # a full batch may have cut a digest in two
            claimed += digest.claim_rest(self.engine, claimed, now, self.config.lease)
        stats = SendStats(claimed=len(claimed))
        if not claimed:
            return stats, None
        batch = self._load(claimed, now)
        blocked = blocked_workspaces(self.engine)  # the app uninstalled or its token revoked
        if (plan := self._live.current()) is not self._plan_now:
            self._use_plan(plan)
        decided: list[Outcome] = []
        jobs: list[tuple[Claimed, Recipient, Message]] = []
        for delivery in claimed:
            reason = blocked.get(delivery.workspace)
            outcome = (
                Outcome(delivery.id or 0, DeliveryStatus.failed, error=reason)
                if reason
                else self._check(delivery, batch, now)
            )
            if outcome is not None:
                decided.append(outcome)
                continue
            person = batch.people[delivery.person_id]
            subject = Subject(
                milestone=self._milestones[delivery.milestone_id],
                unit_name=batch.units.get(delivery.unit_id or ""),
                item=batch.items.get(delivery.subject_id) if delivery.subject_id else None,
            )
            today = self.calendar.local_date(now, person.timezone)
            message = self._composer.compose(delivery, person.locale, subject, today)
            jobs.append((delivery, person, message))
        bundles = digest.bundle(
            jobs,
            plan=self._plan_now,
            unit_names=batch.units,
            leaders=lambda units: digest.unit_leaders(self.engine, units),
        )
        if self.bucket is not None and (unsent := reserved - len(bundles)) > 0:
            self.bucket.refund(unsent)  # rows not sent (cancelled, deferred, in a digest)
        if decided:
            self._commits.commit(decided)
        # One task per worker rather than per message: submitting is not free at 10,000 rows.
        workers = self.config.concurrency
        shares = [bundles[start::workers] for start in range(min(workers, len(bundles)))]
        if self._async is not None:
            self._async.prepare([recipient for _, recipient, _ in bundles])
            loop = self._async.event_loop
            # Known to close() before the loop can start them: handed over first, a share could
            # be on the wire while close() still saw nothing to wait for.
            with self._lock:
                futures = [
                    asyncio.run_coroutine_threadsafe(self._send_all_async(share), loop)
                    for share in shares
                ]
                self._on_loop.update(futures)
            for future in futures:
                future.add_done_callback(self._left_loop)
        else:
            futures = [self._pool.submit(self._send_all, share) for share in shares]
        return stats, _Pending(decided, futures)

    def _send_all(self, jobs: list[tuple[list[Claimed], Recipient, Message]]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for rows, recipient, message in jobs:
            # One message for all the rows of a digest: they share its outcome.
            outcome = self._send(rows[0], recipient, message, tuple(rows[1:]))
            shared = [outcome, *(replace(outcome, delivery_id=row.id) for row in rows[1:])]
            # The next send waits for this record: a crash leaves at most one unrecorded
            # message per worker.
            self._commits.commit(shared)
            outcomes.extend(shared)
        return outcomes

    def _left_loop(self, future: Future[list[Outcome]]) -> None:
        with self._lock:
            self._on_loop.discard(future)

    async def _send_all_async(
        self, jobs: list[tuple[list[Claimed], Recipient, Message]]
    ) -> list[Outcome]:
        """`_send_all` as one coroutine on the transport's loop (`SendsAsync`).

        Like a share on the thread pool it occupies one of `concurrency` workers until done,
        so overlapping batches never have more than `concurrency` sends unrecorded.
        """
        if self._async_workers is None:  # made on the loop, used only there
            self._async_workers = asyncio.Semaphore(self.config.concurrency)
        async with self._async_workers:
            return await self._send_share_async(jobs)

    async def _send_share_async(
        self, jobs: list[tuple[list[Claimed], Recipient, Message]]
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for rows, recipient, message in jobs:
            outcome = await self._send_async(rows[0], recipient, message, tuple(rows[1:]))
            shared = [outcome, *(replace(outcome, delivery_id=row.id) for row in rows[1:])]
            # On the loop itself, which waits for the write: any hand-off costs more. Outcomes
            # resolved together would wake their coroutines together, and requests started
            # in the same few loop iterations race for one idle connection in httpcore's
            # pool (ConnectionNotAvailable, then queued again): measured 5,000 such retries
            # for 3,000 cards and 2.2 against 1.6 ms of CPU a card, on SQLite and PostgreSQL.
            # On PostgreSQL the write is awaited instead (one connection: one waker at a time).
            if self._async_writes is not None:
                await self._async_writes.write(shared)
            else:
                self._commits.commit(shared)
            outcomes.extend(shared)
        return outcomes

    def _finish_batch(self, pending: _Pending) -> SendStats:
        """Wait for a batch's sends; their outcomes are already recorded."""
        outcomes = list(pending.decided)
        for future in pending.futures:
            outcomes.extend(future.result())
        stats = SendStats()
        for outcome in outcomes:
            _count(stats, outcome)
        return stats

    def _has_due(self) -> bool:
        table = table_of(Delivery)
        now = self.clock.now()
        with self.engine.connect() as connection:
            found = connection.execute(
                select(table.c.id)
                .where(
                    table.c.status == DeliveryStatus.pending.value, table.c.next_attempt_at <= now
                )
                .limit(1)
            ).first()
        return found is not None

    # -- checks before sending --------------------------------------------------------------

    def _check(self, delivery: Claimed, batch: _Batch, now: datetime) -> Outcome | None:
        assert delivery.id is not None
        person = batch.people.get(delivery.person_id)
        if delivery.expires_at is not None and delivery.expires_at <= now:
            return Outcome(delivery.id, DeliveryStatus.expired, error="too late to make sense")
        if delivery.milestone_id not in self._milestones:
            return Outcome(
                delivery.id, DeliveryStatus.cancelled, error="milestone no longer in the plan"
            )
        if person is None:
            return Outcome(
                delivery.id, DeliveryStatus.cancelled, error="person is no longer active"
            )
        if (
            delivery.nudge != Nudge.escalation.value
            and delivery.unit_id
            and ((delivery.person_id, delivery.unit_id, delivery.role) not in batch.memberships)
        ):
            return Outcome(delivery.id, DeliveryStatus.cancelled, error="person left the unit")
        if (
            delivery.nudge in TASK_NUDGES
            and (delivery.milestone_id, delivery.unit_id) in batch.done
        ):
            return Outcome(delivery.id, DeliveryStatus.cancelled, error="task marked done")
        if (
            delivery.nudge == Nudge.vo_question.value
            and (
                delivery.milestone_id,
                delivery.unit_id,
                delivery.person_id,
            )
            in batch.answered
        ):
            return Outcome(delivery.id, DeliveryStatus.cancelled, error="already answered")
        if delivery.nudge == Nudge.checkin.value:
            item = batch.items.get(delivery.subject_id or -1)
            if item is None or item.state in (ActionState.done, ActionState.dropped):
                return Outcome(delivery.id, DeliveryStatus.cancelled, error="action item closed")
        zone = person.timezone or self.calendar.timezone
        if not self.calendar.in_send_window(now, zone):
            return self._defer(delivery, self.calendar.next_send_slot(now, zone), now)
        if delivery.optional:
            key = digest.group_key(delivery)
            if key not in batch.capped:
                batch.capped[key] = self._capped_until(person, batch, now, zone)
            slot = batch.capped[key]
            if slot is not None:
                return self._defer(delivery, slot, now)
        return None

    def _capped_until(
        self, person: Recipient, batch: _Batch, now: datetime, zone: str
    ) -> datetime | None:
        """When an optional nudge may go if the pause or the cap holds it back (else None)."""
        paused_until = batch.paused_until.get(person.person_id)
        if paused_until is not None and paused_until > now:
            return self.calendar.next_send_slot(paused_until, zone)
        day_count = batch.optional_day.get(person.person_id, 0)
        week_count = batch.optional_week.get(person.person_id, 0)
        if day_count >= self.config.optional_per_day or week_count >= self.config.optional_per_week:
            today = self.calendar.local_date(now, zone)
            if week_count >= self.config.optional_per_week:
                next_day = today + timedelta(days=7 - today.weekday())
            else:
                next_day = today + timedelta(days=1)
            return self.calendar.send_time(self.calendar.next_working_day(next_day), zone)
        batch.optional_day[person.person_id] = day_count + 1
        batch.optional_week[person.person_id] = week_count + 1
        return None

    def _defer(self, delivery: Claimed, at: datetime, now: datetime) -> Outcome:
        assert delivery.id is not None
        if delivery.expires_at is not None and at >= delivery.expires_at:
            return Outcome(delivery.id, DeliveryStatus.expired, error="could not be sent in time")
        return Outcome(delivery.id, DeliveryStatus.pending, next_attempt_at=at, refund_attempt=True)

    # -- sending ------------------------------------------------------------------------------

    def _send(
        self,
        delivery: Claimed,
        recipient: Recipient,
        message: Message,
        covers: tuple[Claimed, ...] = (),
    ) -> Outcome:
        assert delivery.id is not None
        try:
            if delivery.maybe_sent and self._already_delivered is not None:
                earlier = self._already_delivered(recipient, delivery.id)
                if earlier is not None:
                    return self._sent(delivery, earlier)
            result = self.transport.send(recipient, message)
        except Exception as error:
            return self._not_sent(delivery, error)
        return self._delivered(delivery, recipient, message, covers, result)

    async def _send_async(
        self,
        delivery: Claimed,
        recipient: Recipient,
        message: Message,
        covers: tuple[Claimed, ...] = (),
    ) -> Outcome:
        assert delivery.id is not None
        assert self._async is not None
        try:
            if delivery.maybe_sent and self._already_delivered is not None:
                earlier = await asyncio.to_thread(self._already_delivered, recipient, delivery.id)
                if earlier is not None:
                    return self._sent(delivery, earlier)
            result = await self._async.send_async(recipient, message)
        except Exception as error:
            return self._not_sent(delivery, error)
        return self._delivered(delivery, recipient, message, covers, result)

    def _delivered(
        self,
        delivery: Claimed,
        recipient: Recipient,
        message: Message,
        covers: tuple[Claimed, ...],
        result: SendResult,
    ) -> Outcome:
        outcome = self._sent(delivery, result)
        if self.on_sent is not None:
            assert outcome.sent_at is not None
            self.on_sent(Sent(delivery, recipient, message, outcome.sent_at, (delivery, *covers)))
        return outcome

    def _sent(self, delivery: Claimed, result: SendResult) -> Outcome:
        assert delivery.id is not None
        return Outcome(
            delivery.id,
            DeliveryStatus.sent,
            sent_at=self.clock.now(),
            platform=result.platform,
            channel_id=result.channel_id,
            message_id=result.message_id,
        )

    def _not_sent(self, delivery: Claimed, error: Exception) -> Outcome:
        """The row's next state after a failed send (a bug in a transport must not lose it)."""
        assert delivery.id is not None
        if isinstance(error, RateLimited):
            if self.bucket is not None:
                self.bucket.pause(error.retry_after)
            at = self.clock.now() + timedelta(seconds=error.retry_after)
            return Outcome(
                delivery.id,
                DeliveryStatus.pending,
                next_attempt_at=at,
                error="rate limited",
                refund_attempt=True,
            )
        if isinstance(error, PermanentFailure):
            return Outcome(delivery.id, DeliveryStatus.failed, error=error.reason)
        if isinstance(error, TransportError):  # TemporaryFailure, or one of our own
            return self._retry(delivery, error.reason)
        return self._retry(delivery, f"{type(error).__name__}: {error}")

    def _retry(self, delivery: Claimed, reason: str) -> Outcome:
        assert delivery.id is not None
        if delivery.attempts >= self.config.max_attempts:
            return Outcome(
                delivery.id,
                DeliveryStatus.failed,
                error=f"gave up after {delivery.attempts} attempts: {reason}",
            )
        ceiling = min(
            self.config.backoff_max.total_seconds(),
            self.config.backoff_base.total_seconds() * 2 ** max(0, delivery.attempts - 1),
        )
        delay = self.rng.uniform(ceiling / 2, ceiling)
        return Outcome(
            delivery.id,
            DeliveryStatus.pending,
            next_attempt_at=self.clock.now() + timedelta(seconds=delay),
            error=reason,
        )

    # -- loading what a batch refers to --------------------------------------------------------

    def _load(self, claimed: Sequence[Claimed], now: datetime) -> _Batch:
        person_ids = {d.person_id for d in claimed}
        unit_ids = {d.unit_id for d in claimed if d.unit_id}
        item_ids = {d.subject_id for d in claimed if d.subject_id}
        pairs = {
            (d.milestone_id, d.unit_id) for d in claimed if d.unit_id and d.nudge in TASK_NUDGES
        }
        people_t = table_of(Person)
        units_t = table_of(Unit)
        with self.engine.connect() as connection:
            people: dict[int, Recipient] = {}
            paused_until: dict[int, datetime] = {}
            for row in connection.execute(
                select(people_t).where(people_t.c.id.in_(person_ids), people_t.c.active)
            ):
                people[row.id] = recipient_of(row)
                if row.paused_until is not None:
                    paused_until[row.id] = row.paused_until
            units = {
                row.id: row.name
                for row in connection.execute(
                    select(units_t.c.id, units_t.c.name).where(units_t.c.id.in_(unit_ids))
                )
            }
            members_t = table_of(Membership)
            memberships = {
                (row.person_id, row.unit_id, str(row.role))
                for row in connection.execute(
                    select(members_t.c.person_id, members_t.c.unit_id, members_t.c.role).where(
                        members_t.c.person_id.in_(person_ids), members_t.c.active
                    )
                )
            }
            done_t = table_of(TaskCompletion)
            done: set[tuple[str, str]] = set()
            if pairs:
                done = {
                    (row.milestone_id, row.unit_id)
                    for row in connection.execute(
                        select(done_t.c.milestone_id, done_t.c.unit_id).where(
                            done_t.c.cycle_id == self.plan.id,
                            tuple_(done_t.c.milestone_id, done_t.c.unit_id).in_(list(pairs)),
                        )
                    )
                }
            vo_t = table_of(VoConfirmation)
            asked = {d.person_id for d in claimed if d.nudge == Nudge.vo_question.value}
            answered: set[tuple[str, str, int]] = set()
            if asked:
                answered = {
                    (row.milestone_id, row.unit_id, row.person_id)
                    for row in connection.execute(
                        select(vo_t.c.milestone_id, vo_t.c.unit_id, vo_t.c.person_id).where(
                            vo_t.c.cycle_id == self.plan.id, vo_t.c.person_id.in_(asked)
                        )
                    )
                }
            items_t = table_of(ActionItem)
            items = (
                {
                    row.id: ActionItem.model_validate(dict(row._mapping))
                    for row in connection.execute(select(items_t).where(items_t.c.id.in_(item_ids)))
                }
                if item_ids
                else {}
            )
            optional = {d.person_id for d in claimed if d.optional}
            day_counts, week_counts = (
                self._optional_counts(connection, optional, now) if optional else ({}, {})
            )
        return _Batch(
            people, paused_until, units, memberships, done, answered, items, day_counts, week_counts
        )

    def _optional_counts(
        self, connection: object, person_ids: set[int], now: datetime
    ) -> tuple[dict[int, int], dict[int, int]]:
        """Optional nudges already sent today and this week (Monday–Sunday, local)."""
        table = table_of(Delivery)
        zone = ZoneInfo(self.calendar.timezone)
        today = self.calendar.local_date(now)
        day_start = _local_midnight(today, zone)
        week_start = _local_midnight(today - timedelta(days=today.weekday()), zone)
        rows = connection.execute(  # type: ignore[attr-defined]
            select(
                table.c.id,
                table.c.person_id,
                table.c.sent_at,
                table.c.message_id,
                table.c.nudge,
                table.c.milestone_id,
                table.c.occurrence,
                table.c.unit_id,
            ).where(
                table.c.person_id.in_(person_ids),
                table.c.optional,
                table.c.status == DeliveryStatus.sent.value,
                table.c.sent_at >= week_start,
            )
        )
        day: dict[int, int] = {}
        week: dict[int, int] = {}
        seen: set[tuple[object, ...]] = set()
        for row in rows:
            # The rows of one digest count as one nudge: they share its message, or, when
            # it went as several messages, its group and day.
            units = digest.unit_group(
                row.person_id, row.nudge, row.milestone_id, row.occurrence, row.unit_id
            )
            if units is not None:
                key: tuple[object, ...] = (*units, self.calendar.local_date(row.sent_at))
            else:
                key = (row.person_id, str(row.message_id) if row.message_id else f"row{row.id}")
            if key in seen:
                continue
            seen.add(key)
            week[row.person_id] = week.get(row.person_id, 0) + 1
            if row.sent_at >= day_start:
                day[row.person_id] = day.get(row.person_id, 0) + 1
        return day, week


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _count(stats: SendStats, outcome: Outcome) -> None:
    if outcome.status is DeliveryStatus.sent:
        stats.sent += 1
    elif outcome.status is DeliveryStatus.failed:
        stats.failed += 1
    elif outcome.status is DeliveryStatus.cancelled:
        stats.cancelled += 1
    elif outcome.status is DeliveryStatus.expired:
        stats.expired += 1
    elif outcome.error == "rate limited":
        stats.rate_limited += 1
    elif outcome.refund_attempt:
        stats.deferred += 1
    else:
        stats.retried += 1
