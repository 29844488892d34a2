"""Keep the Teams SDK's HTTP client from writing a log line for every card it sends.

httpx logs each request at INFO ("HTTP Request: POST …/v3/conversations/a:1…/activities").
Under `arkbot serve` (INFO) that is a line per card and per token or key fetch: ten thousand
lines for one fan-out, each naming someone's conversation. Slack's client logs at DEBUG.

The level cannot simply be set on the `httpx` logger: the SDK sets it back to its own HTTP
logger's level every time it builds an HTTP client — three times for each incoming
activity. So a filter keeps httpx's records below WARNING out (failures still show), and
the logger ignores a `setLevel` that changes nothing, which otherwise clears the cache of
every logger in the process each time (≈ 3 % of a Teams click's CPU).
"""

from __future__ import annotations

import logging

HTTPX = "httpx"


class _SteadyLevel(logging.Logger):
    """A logger on which setting the level it already has costs nothing."""

    def setLevel(self, level: int | str) -> None:  # noqa: N802 (logging's name)
        wanted = (
            logging.getLevelNamesMapping().get(level, level) if isinstance(level, str) else level
        )
        if wanted != self.level:
            super().setLevel(level)


def _warnings_and_worse(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def quiet_http_requests() -> None:
    """Idempotent; called wherever the Teams SDK's `App` is built."""
    logger = logging.getLogger(HTTPX)
    if type(logger) is logging.Logger:
        logger.__class__ = _SteadyLevel  # same fields; only setLevel differs
    if _warnings_and_worse not in logger.filters:
        logger.addFilter(_warnings_and_worse)
