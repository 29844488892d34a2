"""The engine through the real slack_sdk client against the local fake Slack Web API."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from bot.sender import Sender, SenderConfig
from bot.transports.slack import SlackTransport, slack_client
from schedules.calendar import WorkCalendar
from storage.models import DeliveryStatus
from tests.engine.harness import World, build_world, make_plan, oslo
from tests.fakes.slack_api import FakeSlackAPI

INFO = """
  - id: news
    phase: 2
    kind: information
    title: {nb: Resultater, en: Results}
    audience: [{role: leader, level: 3}]
    when: {type: day, date: 2024-01-08}
"""

ORG = """unit_id,unit_name,parent_id,level,email,name,role,locale,timezone,slack_user_id
FAK,Fakultetet,,2,koord@example.org,Kari Koordinator,coordinator,nb,,
IFA,Institutt A,FAK,3,leder.a@example.org,Anne Leder,leader,nb,,U0000000A
IFB,Institutt B,FAK,3,leder.b@example.org,Bjørn Leder,leader,en,,
IFC,Institutt C,FAK,3,borte@example.org,Borte Bort,leader,nb,,
"""


def _world(engine: Engine, api: FakeSlackAPI) -> World:
    api.add_user("leder.a@example.org", "U0000000A")
    api.add_user("leder.b@example.org", "U0000000B")
    world = build_world(engine, make_plan(INFO), oslo(date(2024, 1, 8), 9), org_csv=ORG)
    transport = SlackTransport(slack_client(api.token, api.url))
    world.sender = Sender(
        engine,
        world.plan,
        transport,
        WorkCalendar(),
        world.clock,
        config=SenderConfig(concurrency=1, max_attempts=3),
        rng=random.Random(1),
    )
    world.planner.run()
    return world


def test_messages_reach_people_by_slack_id_and_by_email(
    engine: Engine, fake_slack: FakeSlackAPI
) -> None:
    world = _world(engine, fake_slack)
    stats = world.sender.run_once()
    assert (stats.sent, stats.failed) == (2, 1)
    posted = fake_slack.messages
    assert sorted(m.user_id or "" for m in posted) == ["U0000000A", "U0000000B"]
    english = next(m for m in posted if m.user_id == "U0000000B")
    assert english.text is not None
    assert english.text.startswith("Results")
    assert fake_slack.count("users.lookupByEmail") == 2  # B found, C unknown
    rows = {d.unit_id: d for d in world.deliveries()}
    assert rows["IFA"].status is DeliveryStatus.sent
    assert rows["IFA"].message_id == next(m.ts for m in posted if m.user_id == "U0000000A")
    assert rows["IFA"].channel_id is not None
    assert rows["IFA"].channel_id.startswith("D")
    # Permanent: nobody in Slack has that address. Failed with Slack's reason, not retried.
    assert rows["IFC"].status is DeliveryStatus.failed
    assert rows["IFC"].error == "users_not_found"
    world.at(oslo(date(2024, 1, 8), 11)).tick()
    assert len(fake_slack.messages) == 2


def test_rate_limited_rows_are_rescheduled_after_retry_after(
    engine: Engine, fake_slack: FakeSlackAPI
) -> None:
    world = _world(engine, fake_slack)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30, times=2)
    stats = world.sender.run_once()
    assert stats.rate_limited == 2
    rows = [d for d in world.deliveries() if d.unit_id in ("IFA", "IFB")]
    for row in rows:
        assert row.status is DeliveryStatus.pending
        assert row.attempts == 0  # a 429 is the platform's pace, not the row's failure
        assert row.next_attempt_at == oslo(date(2024, 1, 8), 9) + timedelta(seconds=30)
    world.at(oslo(date(2024, 1, 8), 9, 0) + timedelta(seconds=29))
    assert world.sender.run_once().claimed == 0
    world.at(oslo(date(2024, 1, 8), 9, 0) + timedelta(seconds=30))
    assert world.sender.run_once().sent == 2
    assert len(fake_slack.messages) == 2


def test_server_errors_are_retried_with_backoff_then_given_up(
    engine: Engine, fake_slack: FakeSlackAPI
) -> None:
    world = _world(engine, fake_slack)
    fake_slack.fail_next("chat.postMessage", status=503, times=1)
    stats = world.sender.run_once()
    assert stats.retried == 1
    assert stats.sent == 1
    retried = next(d for d in world.deliveries() if d.status is DeliveryStatus.pending)
    delay = retried.next_attempt_at - oslo(date(2024, 1, 8), 9)
    assert timedelta(seconds=15) <= delay <= timedelta(seconds=30)  # base 30 s, jittered
    assert retried.error is not None
    assert "internal_error" in retried.error
    world.at(retried.next_attempt_at)
    assert world.sender.run_once().sent == 1
    assert len(fake_slack.messages) == 2


def test_a_row_fails_after_max_attempts_of_server_errors(
    engine: Engine, fake_slack: FakeSlackAPI
) -> None:
    world = _world(engine, fake_slack)
    fake_slack.fail_next("chat.postMessage", status=500, times=10)
    moment = world.clock.now()
    for _ in range(3):
        world.at(moment)
        world.sender.run_once()
        moment += timedelta(hours=1)
    failed = sorted(
        (d.unit_id or "", d.attempts, d.error or "")
        for d in world.deliveries()
        if d.status is DeliveryStatus.failed
    )
    assert [(unit, attempts) for unit, attempts, _ in failed] == [
        ("IFA", 3),
        ("IFB", 3),
        ("IFC", 1),
    ]
    assert failed[0][2].startswith("gave up after 3 attempts")
    assert fake_slack.messages == []
