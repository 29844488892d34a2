"""What a process remembers of its last look at a workspace's state (Slack's "is the app
installed again?"), so that a signed request does not ask the database each time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# How long a process trusts its last look at the workspace's state. Every signed request
# asks "is the workspace back?"; asking the database each time put a query in front of
# every ack. The price: after a removal seen by another process, a reinstall is noticed by
# this one at its first request after the interval (the process that saw the removal
# notices at once).
CHECK_EVERY_S = 60.0


class RecentChecks:
    """The teams whose state this process looked at within `interval` seconds."""

    def __init__(
        self, interval: float = CHECK_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, team_id: str) -> bool:
        with self._lock:
            at = self._checked.get(team_id)
            return at is None or self._clock() - at >= self._interval

    def checked(self, team_id: str) -> None:
        with self._lock:
            self._checked[team_id] = self._clock()

    def forget(self) -> None:
        with self._lock:
            self._checked.clear()
