"""Token buckets: pacing per workspace so Slack is paced, not hammered.

`TokenBucket` lives in one process; `SharedTokenBucket` keeps the same budget in the database
(`rate_buckets`), so several instances of the bot together stay under a platform's limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from storage.rate_buckets import BucketState, change, ensure, read, utc_from


class Bucket(Protocol):
    """What the sender needs from a bucket: the in-process one below or the shared one."""

    def available(self) -> int: ...

    def take(self, wanted: int = 1) -> int: ...

    def refund(self, tokens: int) -> None: ...

    def seconds_until(self, tokens: int = 1) -> float: ...

    def pause(self, seconds: float) -> None: ...


class TokenBucket:
    """`rate` tokens a second up to `capacity`; `time_fn` is injectable for virtual time.

    A 429 from the platform pauses the whole bucket until Retry-After has passed, so other
    rows of the same workspace do not run into the same wall.
    """

    def __init__(
        self, rate: float, capacity: float, time_fn: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs rate > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self._time = time_fn
        self._tokens = capacity
        self._stamp = time_fn()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def per_minute(
        cls, per_minute: int, burst: int, time_fn: Callable[[], float] = time.monotonic
    ) -> TokenBucket:
        return cls(per_minute / 60.0, float(burst), time_fn)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        start = max(now - elapsed, self._paused_until)
        if now > start:
            self._tokens = min(self.capacity, self._tokens + (now - start) * self.rate)

    def available(self) -> int:
        with self._lock:
            now = self._time()
            self._refill(now)
            return 0 if now < self._paused_until else int(self._tokens)

    def take(self, wanted: int = 1) -> int:
        """Take up to `wanted` whole tokens; returns how many were granted."""
        with self._lock:
            now = self._time()
            self._refill(now)
            if now < self._paused_until:
                return 0
            granted = min(wanted, int(self._tokens))
            self._tokens -= granted
            return granted

    def refund(self, tokens: int) -> None:
        """Give back tokens that were taken but not used (fewer rows were due than reserved)."""
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + max(0, tokens))

    def seconds_until(self, tokens: int = 1) -> float:
        with self._lock:
            now = self._time()
            self._refill(now)
            wait_pause = max(0.0, self._paused_until - now)
            missing = max(0.0, tokens - self._tokens)
            return wait_pause + missing / self.rate

    def pause(self, seconds: float) -> None:
        with self._lock:
            now = self._time()
            self._refill(now)
            self._paused_until = max(self._paused_until, now + seconds)
            self._tokens = 0.0


class SharedTokenBucket:
    """A TokenBucket whose tokens live in the database row `key`, shared by all instances.

    Same API and arithmetic as TokenBucket; each call is one short transaction. Refill uses
    `time_fn` (wall-clock seconds by default: the instances must agree on it, roughly), so
    it does not depend on the sender's clock, which may be frozen (`run-due --now`).
    """

    def __init__(
        self,
        engine: Engine,
        key: str,
        rate: float,
        capacity: float,
        time_fn: Callable[[], float] = time.time,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs rate > 0 and capacity >= 1")
        self.engine = engine
        self.key = key
        self.rate = rate
        self.capacity = capacity
        self._time = time_fn
        self._ready = False

    @classmethod
    def per_minute(
        cls,
        engine: Engine,
        key: str,
        per_minute: int,
        burst: int,
        time_fn: Callable[[], float] = time.time,
    ) -> SharedTokenBucket:
        return cls(engine, key, per_minute / 60.0, float(burst), time_fn)

    def _now(self) -> datetime:
        now = utc_from(self._time())
        if not self._ready:
            ensure(self.engine, self.key, self.capacity, now)
            self._ready = True
        return now

    def _state(self) -> tuple[BucketState, datetime]:
        now = self._now()
        state = read(self.engine, self.key)
        assert state is not None
        return state.refilled(now, self.rate, self.capacity), now

    def available(self) -> int:
        state, now = self._state()
        if state.paused_until is not None and now < state.paused_until:
            return 0
        return int(state.tokens)

    def take(self, wanted: int = 1) -> int:
        """Take up to `wanted` whole tokens; returns how many were granted."""
        if wanted <= 0:
            return 0
        now = self._now()

        def apply(old: BucketState) -> tuple[BucketState, float]:
            state = old.refilled(now, self.rate, self.capacity)
            if state.paused_until is not None and now < state.paused_until:
                return state, 0
            granted = min(wanted, int(state.tokens))
            return BucketState(
                state.tokens - granted, state.updated_at, state.paused_until
            ), granted

        return int(self._change(apply))

    def refund(self, tokens: int) -> None:
        if tokens <= 0:
            return
        now = self._now()

        def apply(old: BucketState) -> tuple[BucketState, float]:
            state = old.refilled(now, self.rate, self.capacity)
            full = min(self.capacity, state.tokens + tokens)
            return BucketState(full, state.updated_at, state.paused_until), 0

        self._change(apply)

    def seconds_until(self, tokens: int = 1) -> float:
        state, now = self._state()
        wait_pause = 0.0
        if state.paused_until is not None and state.paused_until > now:
            wait_pause = (state.paused_until - now).total_seconds()
        missing = max(0.0, tokens - state.tokens)
        return wait_pause + missing / self.rate

    def pause(self, seconds: float) -> None:
        now = self._now()
        until = now + timedelta(seconds=seconds)

        def apply(old: BucketState) -> tuple[BucketState, float]:
            state = old.refilled(now, self.rate, self.capacity)
            paused = until if state.paused_until is None else max(state.paused_until, until)
            return BucketState(0.0, state.updated_at, paused), 0

        self._change(apply)

    def _change(self, apply: Callable[[BucketState], tuple[BucketState, float]]) -> float:
        return change(self.engine, self.key, apply)
