"""Every recipient gets exactly one message: across re-planning, crashes and two senders."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from bot.sender import Sender, SenderConfig
from schedules.calendar import WorkCalendar
from schedules.planner import Planner
from storage.db import make_engine
from storage.deliveries import claim_due
from storage.models import DeliveryStatus
from tests.engine.harness import ORG_CSV, ScriptedTransport, build_world, make_plan, oslo

SURVEY = """
  - id: survey
    phase: 2
    kind: window
    title: {nb: Spørreundersøkelse, en: Survey}
    audience: [{role: employee}, {role: leader}, {role: vo}]
    when: {type: window, start: survey_start, end: survey_start + 3w}
"""

BIG_ORG = ORG_CSV + "".join(
    f"IFB,Institutt B,FAK,3,person{n}@example.org,Person {n},employee,nb,\n" for n in range(200)
)


def _per_recipient(transport: ScriptedTransport) -> Counter[str]:
    return Counter(recipient.email for recipient, _ in transport.sent)


def test_planning_twice_and_from_a_second_planner_inserts_nothing_new(engine: Engine) -> None:
    plan = make_plan(SURVEY)
    world = build_world(engine, plan, oslo(date(2024, 3, 4), 8), org_csv=BIG_ORG)
    first = world.planner.run()
    assert first.inserted == 207
    assert world.planner.run().inserted == 0
    other = Planner(engine, plan, WorkCalendar(), world.clock)
    assert other.run().inserted == 0
    # A plan edit (new title) keeps ids and dedupe keys: still nothing new.
    edited = make_plan(SURVEY.replace("Survey}", "The survey}"))
    assert Planner(engine, edited, WorkCalendar(), world.clock).run().inserted == 0
    world.at(oslo(date(2024, 3, 4), 9)).tick()
    world.at(oslo(date(2024, 3, 4), 15, 30)).tick()  # 09:30 for the one in New York
    counts = _per_recipient(world.transport)
    assert len(counts) == 207
    assert set(counts.values()) == {1}


def test_a_sender_killed_between_claim_and_send_is_reclaimed_after_its_lease(
    engine: Engine,
) -> None:
    plan = make_plan(SURVEY)
    world = build_world(engine, plan, oslo(date(2024, 3, 4), 9))
    world.planner.run()
    # The "dead" sender claimed every row and never sent: they are leased, not lost.
    dead = claim_due(engine, world.clock.now(), 100, timedelta(seconds=120))
    assert len(dead) == 6  # the one in New York is not due until 09:00 there
    assert world.sender.run_once().claimed == 0
    world.at(oslo(date(2024, 3, 4), 9, 3))  # past the two-minute lease
    stats = world.sender.run_once()
    assert stats.claimed == 6
    assert stats.sent == 6
    assert set(_per_recipient(world.transport).values()) == {1}
    assert sorted(d.attempts for d in world.deliveries()) == [0, 2, 2, 2, 2, 2, 2]
    world.at(oslo(date(2024, 3, 4), 9, 10)).tick()
    assert set(_per_recipient(world.transport).values()) == {1}


def test_two_senders_on_one_database_send_each_message_once(db_url: str) -> None:
    plan = make_plan(SURVEY)
    engine_a = make_engine(db_url)
    engine_b = make_engine(db_url)
    try:
        oslo_only = "".join(line for line in BIG_ORG.splitlines(True) if "New_York" not in line)
        world = build_world(engine_a, plan, oslo(date(2024, 3, 4), 9), org_csv=oslo_only)
        world.planner.run()
        shared = ScriptedTransport()
        config = SenderConfig(batch_size=7, concurrency=4)
        senders = [
            Sender(engine, plan, shared, WorkCalendar(), world.clock, config=config)
            for engine in (engine_a, engine_b)
        ]
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def drain(sender: Sender) -> None:
            try:
                start.wait()
                while sender.run_once().claimed:
                    pass
            except BaseException as error:  # surfaced below
                errors.append(error)

        threads = [threading.Thread(target=drain, args=(sender,)) for sender in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for sender in senders:
            sender.close()
        assert errors == []
        counts = _per_recipient(shared)
        assert len(counts) == 206
        assert set(counts.values()) == {1}
        statuses = Counter(d.status for d in world.deliveries())
        assert statuses == {DeliveryStatus.sent: 206}
    finally:
        engine_a.dispose()
        engine_b.dispose()


def test_a_reclaimed_row_is_checked_with_the_transport_before_it_is_resent(
    engine: Engine,
) -> None:
    from dataclasses import dataclass, field

    from bot.transports.base import Recipient, SendResult

    @dataclass
    class Checking(ScriptedTransport):
        arrived: set[int] = field(default_factory=set)
        asked: list[int] = field(default_factory=list)

        def already_delivered(self, recipient: Recipient, delivery_id: int) -> SendResult | None:
            self.asked.append(delivery_id)
            if delivery_id in self.arrived:
                return SendResult(self.platform, channel_id="D1", message_id="earlier")
            return None

    plan = make_plan(SURVEY)
    transport = Checking()
    world = build_world(engine, plan, oslo(date(2024, 3, 4), 9), transport=transport)
    world.planner.run()
    dead = claim_due(engine, world.clock.now(), 100, timedelta(seconds=120))
    transport.arrived = {dead[0].id, dead[1].id}  # the dead sender got two out
    world.at(oslo(date(2024, 3, 4), 9, 3))
    stats = world.sender.run_once()
    assert stats.sent == 6
    assert sorted(transport.asked) == sorted(row.id for row in dead)
    assert len(transport.sent) == 4  # the two that arrived are not sent again
    earlier = {d.id: d.message_id for d in world.deliveries() if d.id in transport.arrived}
    assert set(earlier.values()) == {"earlier"}
    assert all(d.error is None for d in world.deliveries() if d.status is DeliveryStatus.sent)
    world.at(oslo(date(2024, 3, 4), 9, 10)).tick()
    assert len(transport.asked) == 6  # rows sent normally are never checked
