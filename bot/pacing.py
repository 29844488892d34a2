"""Token buckets: pacing per workspace so Slack is paced, not hammered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


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
