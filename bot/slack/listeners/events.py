"""Events: the App Home is drawn when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.context import Deps, locale_of, person_for
from bot.slack.homes import publish_home, publish_unknown
from storage.db import session_scope


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def app_home_opened(event: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event.get("user")
        with session_scope(deps.engine) as session:
            person = person_for(session, user_id)
            if person is None:
                if user_id:
                    publish_unknown(client, user_id, locale_of(None, body))
                return
            publish_home(client, deps, session, person)
