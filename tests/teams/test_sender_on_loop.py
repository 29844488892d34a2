"""The sender's Teams path: each worker's sends as one coroutine on the transport's loop.

Real SDK client, fake connector, real database. Batches are small so that they overlap; the
crash window (sends made but not yet recorded) must still never exceed the concurrency.
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections import Counter
from collections.abc import Collection, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

import bot.sender as sender_module
from bot.messages import Message
from bot.sender import Sender, SenderConfig
from bot.teams.loop import EventLoopThread
from bot.teams.sdk import make_teams_app
from bot.transports.base import Recipient, SendResult, SendsAsync
from bot.transports.teams import ConversationRef, DatabaseConversations, TeamsTransport
from schedules.calendar import WorkCalendar
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Person, table_of
from storage.teams import remember_conversation
from tests.engine.harness import build_world, make_plan, oslo
from tests.fakes.teams_connector import DEFAULT_TENANT, FakeTeamsConnector
from tests.teams.conftest import teams_settings

PEOPLE = 24
CONCURRENCY = 3
NEWS = """
  - id: news
    phase: 2
    kind: information
    title: {nb: Resultater, en: Results}
    audience: [{role: leader, level: 3}]
    when: {type: day, date: 2024-01-08}
"""


def aad_of(index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"leader{index}"))


def org_csv() -> str:
    lines = ["unit_id,unit_name,parent_id,level,email,name,role,teams_aad_object_id"]
    lines.append("FAK,Fakultetet,,2,koord@example.org,Kari Koordinator,coordinator,")
    for index in range(PEOPLE):
        lines.append(
            f"I{index:02},Institutt {index},FAK,3,leader{index}@example.org,"
            f"Leder {index},leader,{aad_of(index)}"
        )
    return "\n".join(lines) + "\n"


class CountingConversations(DatabaseConversations):
    def __init__(self, engine: Engine, clock: object) -> None:
        super().__init__(engine, clock)  # type: ignore[arg-type]
        self.gets = 0
        self.batch_reads: list[int] = []

    def get(self, person_id: int) -> ConversationRef | None:
        self.gets += 1
        return super().get(person_id)

    def get_many(self, person_ids: Collection[int]) -> dict[int, ConversationRef]:
        self.batch_reads.append(len(person_ids))
        return super().get_many(person_ids)


class Watched(TeamsTransport):
    """Records, at the start of every send, how many sends have no record yet."""

    def __init__(self, *args: object, engine: Engine, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.engine = engine
        self.started = 0
        self.unrecorded: list[int] = []
        self.on_loop = True

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        raise AssertionError("the sender must use send_async for a SendsAsync transport")

    async def send_async(self, recipient: Recipient, message: Message) -> SendResult:
        self.on_loop &= asyncio.get_running_loop() is self.loop.loop
        self.started += 1
        table = table_of(Delivery)
        with self.engine.connect() as connection:
            recorded = connection.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.status == DeliveryStatus.sent.value)
            ).scalar_one()
        self.unrecorded.append(self.started - recorded)
        return await super().send_async(recipient, message)


@pytest.fixture
def loop() -> Iterator[EventLoopThread]:
    with EventLoopThread(name="test-sender-loop") as running:
        yield running


def test_a_fan_out_runs_on_the_loop_with_at_most_concurrency_unrecorded(
    engine: Engine, fake_teams: FakeTeamsConnector, loop: EventLoopThread
) -> None:
    world = build_world(engine, make_plan(NEWS), oslo(date(2024, 1, 8), 9), org_csv=org_csv())
    persons = table_of(Person)
    with engine.connect() as connection:
        people = dict(
            connection.execute(
                select(persons.c.teams_aad_object_id, persons.c.id).where(
                    persons.c.teams_aad_object_id.is_not(None)
                )
            ).all()
        )
    # Half the leaders have installed the app (a stored reference); the others get a
    # conversation created through the connector.
    stored = {aad: pid for index, (aad, pid) in enumerate(sorted(people.items())) if index % 2}
    for aad in people:
        if aad in stored:
            fake_teams.add_conversation(fake_teams.conversation_id_for(aad), DEFAULT_TENANT)
    with session_scope(engine) as session:
        for aad, person_id in stored.items():
            remember_conversation(
                session,
                person_id,
                tenant_id=DEFAULT_TENANT,
                conversation_id=fake_teams.conversation_id_for(aad),
                service_url=fake_teams.url,
                now=world.clock.now(),
            )
    store = CountingConversations(engine, world.clock)
    app = make_teams_app(
        teams_settings(), token=fake_teams.token_provider, service_url=fake_teams.url
    )
    transport = Watched(
        app,
        engine=engine,
        loop=loop,
        tenant_id=DEFAULT_TENANT,
        conversations=store,
        conversation_rate=None,
    )
    assert isinstance(transport, SendsAsync)
    sender = Sender(
        engine,
        world.plan,
        transport,
        WorkCalendar(),
        world.clock,
        config=SenderConfig(concurrency=CONCURRENCY, batch_size=5),
        rng=random.Random(1),
    )
    world.planner.run()
    stats = sender.drain(wait=lambda seconds: None)
    sender.close()

    assert (stats.sent, stats.failed, stats.retried) == (PEOPLE, 0, 0)
    assert transport.on_loop
    assert max(transport.unrecorded) <= CONCURRENCY, transport.unrecorded
    # PostgreSQL: the records are awaited over asyncio, the loop never waits for the
    # database; SQLite: written in-process through the group commit.
    assert (sender._commits.transactions == 0) is (engine.dialect.name == "postgresql")
    received = fake_teams.activities_by_conversation()
    assert Counter(received.values()) == Counter({1: PEOPLE})
    assert set(received) == {fake_teams.conversation_id_for(aad) for aad in people}
    rows = world.deliveries()
    assert {(row.status, row.platform) for row in rows} == {(DeliveryStatus.sent, "teams")}
    # One read of the references per batch; only the people without one are looked up
    # one by one, on their way to a new conversation.
    assert len(store.batch_reads) == -(-PEOPLE // 5)
    assert store.gets == PEOPLE - len(stored)
    assert len(fake_teams.created) == PEOPLE - len(stored)


def test_failures_on_the_loop_become_the_same_outcomes(
    engine: Engine, fake_teams: FakeTeamsConnector, loop: EventLoopThread
) -> None:
    world = build_world(engine, make_plan(NEWS), oslo(date(2024, 1, 8), 9), org_csv=org_csv())
    fake_teams.not_installed_for(aad_of(0))
    fake_teams.fail_next("send", status=429, retry_after=7)
    fake_teams.fail_next("send", status=503)
    app = make_teams_app(
        teams_settings(), token=fake_teams.token_provider, service_url=fake_teams.url
    )
    transport = TeamsTransport(
        app,
        loop=loop,
        tenant_id=DEFAULT_TENANT,
        conversations=DatabaseConversations(engine, world.clock),
        conversation_rate=None,
    )
    sender = Sender(
        engine,
        world.plan,
        transport,
        WorkCalendar(),
        world.clock,
        config=SenderConfig(concurrency=1),
        rng=random.Random(1),
    )
    world.planner.run()
    stats = sender.run_once()
    sender.close()

    assert (stats.sent, stats.failed, stats.rate_limited, stats.retried) == (
        PEOPLE - 3,
        1,
        1,
        1,
    )
    errors = Counter(row.error for row in world.deliveries() if row.error)
    assert errors == Counter(
        {"teams_app_not_installed": 1, "rate limited": 1, "teams_http_503 (Http503)": 1}
    )


class Gated(TeamsTransport):
    """The first send waits on the loop until `gate` is set."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.entered = threading.Event()
        self.gate: asyncio.Event | None = None

    async def send_async(self, recipient: Recipient, message: Message) -> SendResult:
        if self.gate is None:
            self.gate = asyncio.Event()
            self.entered.set()
            await self.gate.wait()
        return await super().send_async(recipient, message)


def test_closing_the_sender_waits_for_the_sends_on_the_loop(
    engine: Engine,
    fake_teams: FakeTeamsConnector,
    loop: EventLoopThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(engine, make_plan(NEWS), oslo(date(2024, 1, 8), 9), org_csv=org_csv())
    app = make_teams_app(
        teams_settings(), token=fake_teams.token_provider, service_url=fake_teams.url
    )
    transport = Gated(app, loop=loop, tenant_id=DEFAULT_TENANT, conversation_rate=None)
    sender = Sender(
        engine,
        world.plan,
        transport,
        WorkCalendar(),
        world.clock,
        config=SenderConfig(concurrency=1),
        rng=random.Random(1),
    )
    world.planner.run()
    draining = threading.Thread(target=sender.run_once)
    draining.start()
    assert transport.entered.wait(timeout=30)
    real_wait = sender_module.futures_wait

    def open_gate_then_wait(futures: Any) -> Any:
        # close() has reached its wait: only now may the held send go on.
        assert transport.gate is not None
        loop.loop.call_soon_threadsafe(transport.gate.set)
        return real_wait(futures)

    monkeypatch.setattr(sender_module, "futures_wait", open_gate_then_wait)
    sender.close()  # a redeploy's SIGTERM: the scheduler stops, then the sender
    recorded = {row.status for row in world.deliveries()}
    draining.join(timeout=30)

    assert recorded == {DeliveryStatus.sent}
    assert sum(fake_teams.activities_by_conversation().values()) == PEOPLE
