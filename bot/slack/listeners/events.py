"""Events: the App Home is drawn when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.conversation import Identity, Status, questions
from bot.slack.context import Deps, publish_unknown, show


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def app_home_opened(event: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        user_id = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user_id, str) or not user_id:
            return
        who = Identity("slack", user_id, workspace=body.get("team_id"))
        outcome = questions.home(deps.core, who)
        if outcome.status is Status.refused:
            publish_unknown(client, user_id, outcome.locale)
            return
        show(deps, outcome, client, user_id=user_id)
