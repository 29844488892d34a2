"""What the HTTP endpoint writes to the log about requests it refuses, and what Bolt may write.

- **Refused before Bolt.** A request without a valid signature (missing headers, a timestamp
  older than five minutes, a wrong signature) or with an unreadable body is refused by
  `bot.slack.server` before Bolt sees it, with one line naming the reason: never the body,
  the headers or anything else the caller sent. Anyone on the internet can send such
  requests, so the lines are rate-limited per reason (`RefusalLog`): at most `per_minute` a
  minute, then one line counting the rest.
- **Bolt's own lines** (`BoltLogGuard`): Bolt logs the whole request body at INFO after a
  listener raised ("Request body: …"), and the body of a request with a bad signature. The
  body holds the Slack user id next to what they clicked or answered (a pulse answer!), so
  those records are dropped; every other Bolt record is kept to its first line, with CR/LF
  and other control characters escaped, so no request can write a line of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.escape import log_value

log = logging.getLogger("arkbot.slack")

MAX_AGE_SECONDS = 5 * 60  # Bolt's (and Slack's) limit for the request timestamp


def refusal_reason(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float
) -> str | None:
    """Why Slack's signature scheme refuses this request, or None when it is signed."""
    if not timestamp or not signature:
        return "unsigned"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad_timestamp"
    if abs(now - sent) > MAX_AGE_SECONDS:
        return "stale_timestamp"
    # Slack's scheme, over the raw bytes: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")
    base = b"v0:" + timestamp.encode("ascii", "replace") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        return "bad_signature"
    return None


@dataclass
class _Window:
    started: float  # a window runs a minute from its first refusal (not from a clock minute)
    logged: int = 0
    suppressed: int = 0


WINDOW_SECONDS = 60.0


class RefusalLog:
    """One warning per refused request and reason, at most `per_minute` a minute per reason;
    the rest are counted and reported in one line when the reason next comes up."""

    def __init__(
        self,
        per_minute: int = 10,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._log = logger
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def refused(self, reason: str, status: int) -> None:
        now = self._clock()
        with self._lock:
            window = self._windows.get(reason)
            if window is None or now - window.started >= WINDOW_SECONDS:
                if window is not None and window.suppressed:
                    self._log.warning(
                        "%d more Slack requests refused (%s) were not logged one by one",
                        window.suppressed,
                        reason,
                    )
                window = self._windows[reason] = _Window(now)
            if window.logged >= self.per_minute:
                window.suppressed += 1
                return
            window.logged += 1
        self._log.warning("refused a Slack request (%s): HTTP %d", log_value(reason, 40), status)


_DROPPED_PREFIXES = ("request body:", "invalid request signature detected")


class BoltLogGuard(logging.Filter):
    """Drops Bolt's records that carry a request body; keeps the others to one clean line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: keep it as Bolt made it
            return True
        if message.lower().startswith(_DROPPED_PREFIXES):
            return False
        first = message.split("\n", 1)[0]
        record.msg, record.args = log_value(first, 500), None
        return True


_GUARD = BoltLogGuard()


def guard_bolt_logs(*loggers: logging.Logger) -> None:
    """Install `BoltLogGuard` on the given loggers and on every ``slack_bolt`` logger there is
    (a filter applies only to records created on its own logger, not on its children)."""
    names = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name == "slack_bolt" or name.startswith("slack_bolt.")
    ]
    for logger in [*loggers, *(logging.getLogger(name) for name in names)]:
        if _GUARD not in logger.filters:
            logger.addFilter(_GUARD)
