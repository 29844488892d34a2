"""Slack's lifecycle events: the app removed, its token revoked, a user deleted.

The decisions are in `storage.workspaces`; this module translates. A global middleware marks
the workspace active again when any other signed request from it arrives (Slack sends those
only to an installed app).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.context import BoltContext

from bot.conversation import lifecycle
from bot.slack.context import Deps
from storage.models import WorkspaceState

log = logging.getLogger("arkbot.slack")

LIFECYCLE_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})


def _team(body: dict[str, Any], context: BoltContext) -> str | None:
    team = context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
    return str(team) if team else None


def register(app: App, deps: Deps) -> None:
    @app.middleware
    def installed_again(body: dict[str, Any], context: BoltContext, next: Callable[[], Any]) -> Any:
        event = (body.get("event") or {}).get("type") if isinstance(body, dict) else None
        if event not in LIFECYCLE_EVENTS:
            try:
                if lifecycle.workspace_seen(deps.core, _team(body, context)):
                    log.info("the Slack workspace is active again: sending resumes")
            except Exception:  # never let this bookkeeping refuse a request
                log.warning("could not check the workspace's state", exc_info=True)
        return next()

    @app.event("app_uninstalled")
    def app_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        lifecycle.workspace_removed(deps.core, _team(body, context), WorkspaceState.uninstalled)
        log.warning("arkbot was removed from the Slack workspace: nothing is sent there now")

    @app.event("tokens_revoked")
    def tokens_revoked(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        if not (event.get("tokens") or {}).get("bot"):
            return  # only user tokens: the bot can still send
        lifecycle.workspace_removed(deps.core, _team(body, context), WorkspaceState.tokens_revoked)
        log.warning("the Slack bot token was revoked: nothing is sent to the workspace now")

    @app.event("user_change")
    def user_change(event: dict[str, Any]) -> None:
        user = event.get("user")
        if (
            not isinstance(user, dict)
            or not user.get("deleted")
            or not isinstance(user.get("id"), str)
        ):
            return
        lifecycle.slack_user_left(deps.core, user["id"])
