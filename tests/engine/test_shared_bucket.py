"""The rate budget kept in the database: one budget for every instance, never overspent."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.pacing import SharedTokenBucket, TokenBucket
from bot.runtime import bucket_from
from storage.db import make_engine
from tests.engine.harness import ScriptedTransport


class Seconds:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_it_grants_its_rate_and_burst_like_the_in_process_bucket(engine: Engine) -> None:
    seconds = Seconds()
    bucket = SharedTokenBucket(engine, "slack:default", rate=2.0, capacity=5, time_fn=seconds)
    assert bucket.available() == 5
    assert bucket.take(10) == 5
    assert bucket.take(1) == 0
    assert bucket.seconds_until(1) == pytest.approx(0.5)
    seconds.now += 0.5
    assert bucket.take(3) == 1
    seconds.now += 100
    assert bucket.available() == 5  # never above the burst
    bucket.refund(3)
    assert bucket.available() == 5
    assert bucket.take(2) == 2
    bucket.refund(1)
    assert bucket.available() == 4


def test_a_429_pauses_every_instance(engine: Engine) -> None:
    seconds = Seconds()
    other = make_engine(str(engine.url.render_as_string(hide_password=False)))
    try:
        one = SharedTokenBucket(engine, "slack:T1", rate=10.0, capacity=20, time_fn=seconds)
        two = SharedTokenBucket(other, "slack:T1", rate=10.0, capacity=20, time_fn=seconds)
        elsewhere = SharedTokenBucket(other, "teams:x", rate=10.0, capacity=20, time_fn=seconds)
        assert one.take(15) == 15
        assert two.take(15) == 5
        one.pause(30)
        seconds.now += 10
        assert two.take(1) == 0
        assert two.seconds_until(1) == pytest.approx(20.1)
        assert elsewhere.take(20) == 20  # another key, another budget
        seconds.now += 21
        assert two.take(100) == 10  # refilled only since the pause ended
    finally:
        other.dispose()


def test_instances_taking_at_once_never_overspend(db_url: str) -> None:
    seconds = Seconds()
    engines = [make_engine(db_url) for _ in range(4)]
    buckets = [
        SharedTokenBucket(engine, "slack:default", rate=0.001, capacity=200, time_fn=seconds)
        for engine in engines
    ]
    buckets[0].available()  # the row exists before the race
    granted = [0] * len(buckets)
    start = threading.Barrier(len(buckets))
    errors: list[BaseException] = []

    def take(index: int) -> None:
        try:
            start.wait()
            for _ in range(100):
                granted[index] += buckets[index].take(1)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(buckets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert errors == []
    assert sum(granted) == 200


def test_the_runtime_shares_the_budget_unless_told_not_to(sqlite_engine: Engine) -> None:
    transport = ScriptedTransport(platform="slack", workspace="T0NTNU")
    shared = bucket_from(Settings(), sqlite_engine, transport)  # type: ignore[call-arg]
    assert isinstance(shared, SharedTokenBucket)
    assert shared.key == "slack:T0NTNU"
    alone = bucket_from(Settings(ARKBOT_SHARED_RATE_LIMIT=False), sqlite_engine, transport)  # type: ignore[call-arg]
    assert isinstance(alone, TokenBucket)
    assert isinstance(bucket_from(Settings()), TokenBucket)  # type: ignore[call-arg]
