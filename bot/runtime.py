"""Wiring: the pieces a running bot needs, built from the one Settings object."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.pacing import Bucket, SharedTokenBucket, TokenBucket
from bot.sender import SenderConfig
from bot.transports.base import Transport
from schedules.calendar import WorkCalendar
from schedules.events import Rules


def calendar_from(settings: Settings) -> WorkCalendar:
    return WorkCalendar.from_settings(settings)


def rules_from(settings: Settings) -> Rules:
    return Rules(
        reminder_offsets=tuple(settings.reminder_offsets),
        escalation_after_days=settings.escalation_after_days,
        checkin_interval_days=settings.checkin_interval_days,
    )


def sender_config_from(settings: Settings) -> SenderConfig:
    return SenderConfig(
        concurrency=settings.sender_concurrency,
        lease=timedelta(seconds=settings.lease_seconds),
        max_attempts=settings.max_attempts,
        optional_per_day=settings.optional_per_day,
        optional_per_week=settings.optional_per_week,
    )


def bucket_from(
    settings: Settings, engine: Engine | None = None, transport: Transport | None = None
) -> Bucket:
    """The transport's rate budget: in the database (shared by every instance) when an engine
    is given and ARKBOT_SHARED_RATE_LIMIT is on, else in this process only."""
    if engine is not None and settings.shared_rate_limit:
        key = f"{transport.platform}:{transport.workspace}" if transport else "slack:default"
        return SharedTokenBucket.per_minute(
            engine, key, settings.rate_per_minute, settings.rate_burst
        )
    return TokenBucket.per_minute(settings.rate_per_minute, settings.rate_burst)


def transport_from(settings: Settings) -> Transport:
    """The transport ARKBOT_TRANSPORT names: console (default) or slack."""
    if settings.transport == "console":
        from bot.transports.console import ConsoleTransport

        return ConsoleTransport()
    if settings.transport == "slack":
        from bot.transports.slack import SlackTransport

        return SlackTransport.from_settings(settings)
    raise ValueError(f"unknown ARKBOT_TRANSPORT {settings.transport!r}: use console or slack")
