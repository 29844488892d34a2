"""Button clicks on reminders, VO questions, action check-ins, pulses and the App Home:
parse the click, ask the conversation core, show its outcome. Nothing is decided here."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.conversation.clicks import CLICKS, click
from bot.slack.context import Deps, Respond, identity_of, show


def register(app: App, deps: Deps) -> None:
    def clicked(
        ack: Callable[[], None], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        deps.after_ack(lambda: _answer(deps, body, client, respond))

    app.action(re.compile(r"^(" + "|".join(map(re.escape, CLICKS)) + r")(:\d+)?$"))(clicked)


def _answer(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    action = _first_action(body)
    action_id = str(action.get("action_id", "")).split(":", 1)[0]
    who = identity_of(body)
    outcome = click(deps.core, who, action_id, str(action.get("value", "")))
    if outcome is None:
        return
    show(
        deps,
        outcome,
        client,
        user_id=who.user_id,
        respond=respond,
        trigger_id=body.get("trigger_id"),
        # On the App Home there is no message to answer in: the redrawn home is the answer.
        reply=not action_id.startswith("home_"),
    )


def _first_action(body: dict[str, Any]) -> dict[str, Any]:
    found = body.get("actions")
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return found[0]
    return {}
