"""The Bolt app: built from the settings and the domain's parts, listeners registered per feature.

Kept thin on purpose: listeners translate Slack's requests into domain actions and back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.conversation import Core
from bot.slack.after_ack import AFTER_ACK_THREADS, AfterAck
from bot.slack.context import Deps, at_once
from bot.slack.listeners import actions, commands, events, lifecycle, views
from bot.slack.workspace import SlackTeam
from bot.transports.slack import slack_client
from schedules.calendar import WorkCalendar
from schedules.clock import Clock
from schedules.plan import Plan


def build_app(
    settings: Settings,
    engine: Engine,
    plan: Plan,
    clock: Clock,
    *,
    calendar: WorkCalendar | None = None,
    client: WebClient | None = None,
    process_before_response: bool = False,
    core: Core | None = None,
) -> App:
    """The app. Listeners run on the server's thread and acknowledge at once; what a click,
    a command or a submitted form does after its ack runs on `AfterAck`'s few threads, so a
    burst of clicks is acknowledged first. `process_before_response=True` does that work
    before the HTTP answer instead, which makes tests deterministic."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    if not token:
        raise ValueError("SLACK_BOT_TOKEN is not set: the Slack app needs the bot token (xoxb-…)")
    if not secret and settings.slack_app_token is None:
        raise ValueError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode must verify Slack's signatures"
        )
    app = App(
        client=client or slack_client(token, settings.slack_api_url),
        signing_secret=secret or "socket-mode",
        # No auth.test at start-up: the app must come up even if Slack is briefly unreachable.
        token_verification_enabled=False,
        # Inline: no hand-off to Bolt's listener pool, which answers HTTP only when it sees
        # the ack (it looks every 10 ms) and shares the CPU between acks and work.
        process_before_response=True,
    )
    team = SlackTeam(app.client, settings.slack_team_id)
    core = core or Core(
        engine=engine,
        plan=plan,
        clock=clock,
        calendar=calendar or WorkCalendar.from_settings(settings),
        you_said_we_did=settings.you_said_we_did,
        pulse_min_group=settings.pulse_min_group,
    )
    # Requests from another workspace (team) than the bot's are refused by the core.
    core = replace(core, workspaces=_with_slack(core.workspaces, team))
    deps = Deps(
        core=core,
        after_ack=at_once if process_before_response else AfterAck(AFTER_ACK_THREADS),
    )
    for listeners in (lifecycle, actions, views, commands, events):
        listeners.register(app, deps)
    return app


def _with_slack(
    others: Callable[[str], str | None], team: SlackTeam
) -> Callable[[str], str | None]:
    def workspace(platform: str) -> str | None:
        return team() if platform == "slack" else others(platform)

    return workspace
