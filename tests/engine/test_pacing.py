"""Pacing: a token bucket per workspace, honoured by overlapping batches, in virtual time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.messages import Message
from bot.pacing import TokenBucket
from bot.sender import Sender, SenderConfig
from bot.transports.base import Recipient, SendResult
from schedules.calendar import WorkCalendar
from tests.engine.harness import ORG_CSV, build_world, make_plan, oslo

SURVEY = """
  - id: survey
    phase: 2
    kind: window
    title: {nb: Spørreundersøkelse, en: Survey}
    audience: [{role: employee}]
    when: {type: window, start: survey_start, end: survey_start + 3w}
"""


class Seconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_grants_its_rate_and_burst() -> None:
    seconds = Seconds()
    bucket = TokenBucket(rate=2.0, capacity=5, time_fn=seconds)
    assert bucket.take(10) == 5
    assert bucket.take(1) == 0
    assert bucket.seconds_until(1) == pytest.approx(0.5)
    seconds.now = 1.0
    assert bucket.take(10) == 2
    bucket.refund(1)
    assert bucket.available() == 1
    bucket.pause(30)
    seconds.now = 20.0
    assert bucket.take(1) == 0
    seconds.now = 31.0
    assert bucket.take(1) == 0  # the pause (until 31 s) has just ended: nothing refilled yet
    seconds.now = 32.0
    assert bucket.take(10) == 2  # one second after the pause at 2/s


def test_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBucket(rate=0, capacity=5)


def test_the_sender_never_outruns_its_bucket(sqlite_engine: Engine) -> None:
    org = ORG_CSV + "".join(
        f"IFB,Institutt B,FAK,3,p{n}@example.org,Person {n},employee,nb,\n" for n in range(297)
    )
    oslo_only = "".join(line for line in org.splitlines(True) if "New_York" not in line)
    start = oslo(date(2024, 3, 4), 9)
    world = build_world(sqlite_engine, make_plan(SURVEY), start, org_csv=oslo_only)
    seconds = Seconds()
    sends: list[float] = []

    class Timed:
        platform = "test"
        workspace = "default"

        def send(self, recipient: Recipient, message: Message) -> SendResult:
            sends.append(seconds.now)
            return SendResult(platform="test", message_id=str(len(sends)))

    def wait(delay: float) -> None:
        seconds.now += delay
        world.clock.set(start + timedelta(seconds=seconds.now))

    bucket = TokenBucket.per_minute(60, 5, time_fn=seconds)
    sender = Sender(
        sqlite_engine, world.plan, Timed(), WorkCalendar(), world.clock, bucket=bucket,
        config=SenderConfig(concurrency=4, batch_size=50),
    )  # fmt: skip
    world.planner.run()
    stats = sender.drain(wait=wait)
    sender.close()
    assert stats.sent == 299
    assert len(sends) == 299
    for first in sends:
        in_window = sum(1 for moment in sends if first <= moment < first + 60)
        assert in_window <= 60 + 5
    # 5 at once, then one a second.
    assert max(sends) == pytest.approx(299 - 5, abs=2)
