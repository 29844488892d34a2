"""Wiring: the pieces a running bot needs, built from the one Settings object."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.pacing import Bucket, SharedTokenBucket, TokenBucket
from bot.sender import SenderConfig
from bot.transports.base import Transport
from schedules.calendar import WorkCalendar
from schedules.events import Rules

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from schedules.clock import Clock


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


def _rate(settings: Settings, platform: str) -> tuple[float, float]:
    """(tokens a second, burst) of one platform.

    Slack: ``ARKBOT_RATE_PER_MINUTE`` with a burst of ``ARKBOT_RATE_BURST``. Teams: 50
    requests a second per tenant in any one-second window, so the bucket refills at
    ``rate - 2`` a second with a burst of 2 and never puts more than ``rate`` into a window.
    """
    if platform == "teams":
        rate = max(1, settings.teams_rate_per_second)
        burst = 2 if rate > 4 else 1
        return float(rate - burst), float(burst)
    return settings.rate_per_minute / 60.0, float(settings.rate_burst)


def bucket_from(
    settings: Settings,
    engine: Engine | None = None,
    transport: Transport | None = None,
    *,
    platform: str | None = None,
) -> Bucket:
    """A platform's rate budget (the transport's, or `platform`'s): in the database, shared
    by every instance, when an engine is given and ARKBOT_SHARED_RATE_LIMIT is on; else in
    this process only."""
    name = platform or (transport.platform if transport is not None else "slack")
    workspace = transport.workspace if transport is not None else "default"
    rate, burst = _rate(settings, name)
    if engine is not None and settings.shared_rate_limit:
        return SharedTokenBucket(engine, f"{name}:{workspace}", rate, burst)
    return TokenBucket(rate, burst)


def sender_bucket_from(
    settings: Settings, transport: Transport, engine: Engine | None = None
) -> Bucket:
    """The sender's bucket for `transport`: its platform's.

    A `RoutingTransport` paces each platform with its own bucket; the sender's then allows
    the sum of both, so it never claims many more rows than the platforms can take (a row
    whose platform is out of tokens is rescheduled, not waited for).
    """
    if transport.platform == "routing":
        (slack, slack_burst), (teams, teams_burst) = (
            _rate(settings, "slack"),
            _rate(settings, "teams"),
        )
        return TokenBucket(slack + teams, slack_burst + teams_burst)
    return bucket_from(settings, engine, transport)


def slack_configured(settings: Settings) -> bool:
    return bool(settings.slack_bot_token and settings.slack_bot_token.get_secret_value().strip())


def teams_configured(settings: Settings, token: Callable[..., Any] | None = None) -> bool:
    secret = settings.teams_app_password
    has_secret = bool(secret and secret.get_secret_value().strip())
    return bool((settings.teams_app_id or "").strip()) and (has_secret or token is not None)


TRANSPORTS = ("auto", "console", "slack", "teams", "routing")


def transport_from(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    teams_token: Callable[..., Any] | None = None,
) -> Transport:
    """The transport for what is configured, or the one ``ARKBOT_TRANSPORT`` names.

    ``auto`` (the default): Slack when ``SLACK_BOT_TOKEN`` is set, Teams when ``CLIENT_ID``
    and ``CLIENT_SECRET`` (or `teams_token`) are, both behind a `RoutingTransport` when
    both are, the console when neither is. `engine` lets Teams remember conversations.
    """
    choice = settings.transport.strip().lower()
    if choice not in TRANSPORTS:
        raise ValueError(
            f"unknown ARKBOT_TRANSPORT {settings.transport!r}: use {', '.join(TRANSPORTS)}"
        )
    slack = slack_configured(settings)
    teams = teams_configured(settings, teams_token)
    if choice == "auto":
        choice = "routing" if slack and teams else "slack" if slack else "teams" if teams else ""
        choice = choice or "console"
    if choice == "console":
        from bot.transports.console import ConsoleTransport

        return ConsoleTransport()
    if choice == "slack":
        from bot.transports.slack import SlackTransport

        return SlackTransport.from_settings(settings)
    if choice == "teams":
        return _teams(settings, engine, clock, teams_token)
    from bot.transports.routing import RoutingTransport
    from bot.transports.slack import SlackTransport

    return RoutingTransport(
        {
            "slack": SlackTransport.from_settings(settings),
            "teams": _teams(settings, engine, clock, teams_token),
        },
        default_platform=settings.default_platform,
        buckets={
            "slack": bucket_from(settings, engine, platform="slack"),
            "teams": bucket_from(settings, engine, platform="teams"),
        },
    )


def _teams(
    settings: Settings,
    engine: Engine | None,
    clock: Clock | None,
    token: Callable[..., Any] | None,
) -> Transport:
    from bot.transports.teams import TeamsTransport

    return TeamsTransport.from_settings(settings, engine=engine, clock=clock, token=token)
