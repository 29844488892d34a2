"""Button clicks on reminders, VO questions, action check-ins, pulses and the App Home:
parse the click, ask the conversation core, show its outcome. Nothing is decided here."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.conversation import Core, Identity, Outcome, actions, pulses, tasks, vo
from bot.messages import ActionId
from bot.slack.context import Deps, Respond, identity_of, show
from bot.slack.home import parse_unit_milestone
from storage.models import ActionState, VoAnswer

Decide = Callable[[Core, Identity, str, str], Outcome]


def _delivery(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


def _home_target(value: str) -> tuple[str, str]:
    try:
        return parse_unit_milestone(value)
    except ValueError:
        return "", ""


def _vo_answer(action_id: str) -> VoAnswer:
    return VoAnswer(action_id.removeprefix("home_").removeprefix("vo_"))


CLICKS: dict[str, Decide] = {
    ActionId.task_done: lambda core, who, _a, value: tasks.done_clicked(
        core, who, _delivery(value)
    ),
    ActionId.task_snooze: lambda core, who, _a, value: tasks.snooze(core, who, _delivery(value)),
    ActionId.calendar_file: lambda core, who, _a, v: tasks.calendar_file(core, who, _delivery(v)),
    ActionId.pulse_answer: lambda core, who, _a, value: pulses.clicked(core, who, _delivery(value)),
    "home_task_done": lambda core, who, _a, value: tasks.done_from_home(
        core, who, *_home_target(value)
    ),
    "home_add_action": lambda core, who, _a, value: actions.new_item(core, who, value),
}
for _answer in VoAnswer:
    CLICKS[f"vo_{_answer.value}"] = lambda core, who, a, value: vo.clicked(
        core, who, _delivery(value), _vo_answer(a)
    )
    CLICKS[f"home_vo_{_answer.value}"] = lambda core, who, a, value: vo.from_home(
        core, who, *_home_target(value), _vo_answer(a)
    )
for _state in (ActionState.on_track, ActionState.delayed, ActionState.done, ActionState.dropped):
    CLICKS[f"action_{_state.value}"] = lambda core, who, a, value: actions.checkin_clicked(
        core, who, _delivery(value), ActionState(a.removeprefix("action_"))
    )
# The App Home's "turn nudges back on" button.
CLICKS["home_resume"] = lambda core, who, _a, _v: _resume(core, who)


def _resume(core: Core, who: Identity) -> Outcome:
    from bot.conversation import preferences

    return preferences.resume(core, who)


def register(app: App, deps: Deps) -> None:
    def click(
        ack: Callable[[], None], body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        action = _first_action(body)
        action_id = str(action.get("action_id", "")).split(":", 1)[0]
        decide = CLICKS.get(action_id)
        if decide is None:
            return
        who = identity_of(body)
        outcome = decide(deps.core, who, action_id, str(action.get("value", ""))[:200])
        show(
            deps,
            outcome,
            client,
            user_id=who.user_id,
            respond=respond,
            trigger_id=body.get("trigger_id"),
            # On the home view there is no message to answer in: the redrawn home is the answer.
            reply=not action_id.startswith("home_"),
        )

    app.action(re.compile(r"^(" + "|".join(map(re.escape, CLICKS)) + r")(:\d+)?$"))(click)


def _first_action(body: dict[str, Any]) -> dict[str, Any]:
    found = body.get("actions")
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return found[0]
    return {}
