"""The chat apps of one `arkbot serve` process, on one conversation core.

Slack is on when `SLACK_BOT_TOKEN` (and the signing secret, or an app token for Socket
Mode) is set; Teams when `CLIENT_ID` and `CLIENT_SECRET` are. Both share the core, so a click
means the same in either; what it tells other people is queued for the sender, which reaches
each person on their own platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.conversation import Core
from bot.runtime import slack_configured, teams_configured
from schedules.calendar import WorkCalendar
from schedules.clock import Clock
from schedules.plan import Plan

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.slack.server import Route
    from bot.teams.app import TeamsEndpoint


@dataclass
class ChatApps:
    slack: App | None
    teams: TeamsEndpoint | None

    @property
    def any(self) -> bool:
        return self.slack is not None or self.teams is not None

    def routes(self) -> dict[str, Route]:
        if self.teams is None:
            return {}
        from bot.teams.app import MESSAGES

        return {MESSAGES: self.teams.route}


def build_chat_apps(
    settings: Settings,
    engine: Engine,
    plan: Plan,
    clock: Clock,
    calendar: WorkCalendar,
) -> ChatApps:
    """Raises ValueError (with what to set) when a platform is half configured."""
    tenant = settings.teams_tenant_id or None
    core = Core(
        engine=engine,
        plan=plan,
        clock=clock,
        calendar=calendar,
        you_said_we_did=settings.you_said_we_did,
        pulse_min_group=settings.pulse_min_group,
        workspaces=lambda platform: tenant if platform == "teams" else None,
    )
    slack = None
    if slack_configured(settings):
        from bot.slack.app import build_app

        slack = build_app(settings, engine, plan, clock, calendar=calendar, core=core)
    teams = None
    if teams_configured(settings):
        from bot.teams.app import build_endpoint

        teams = build_endpoint(settings, core)
    return ChatApps(slack, teams)
