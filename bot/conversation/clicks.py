"""A click on a button, by the button's action id and value, for every platform.

The ids are those of `bot.messages.ActionId` (buttons on messages, whose value is the
delivery id) and of the home view (`home_*`, whose value is ``unit|milestone`` or a unit).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation import actions, preferences, pulses, tasks, vo
from bot.conversation.base import Core
from bot.conversation.types import Identity, Outcome
from bot.messages import ActionId
from storage.models import ActionState, VoAnswer

Click = Callable[[Core, Identity, str, str], Outcome]
HOME_SEPARATOR = "|"


def delivery_id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def unit_and_milestone(value: str) -> tuple[str, str]:
    unit_id, separator, milestone_id = value.rpartition(HOME_SEPARATOR)
    return (unit_id, milestone_id) if separator and unit_id and milestone_id else ("", "")


def _vo_answer(action_id: str) -> VoAnswer:
    return VoAnswer(action_id.removeprefix("home_").removeprefix("vo_"))


CLICKS: dict[str, Click] = {
    ActionId.task_done: lambda core, who, _a, v: tasks.done_clicked(core, who, delivery_id(v)),
    ActionId.task_snooze: lambda core, who, _a, v: tasks.snooze(core, who, delivery_id(v)),
    ActionId.calendar_file: lambda core, who, _a, v: tasks.calendar_file(core, who, delivery_id(v)),
    ActionId.pulse_answer: lambda core, who, _a, v: pulses.clicked(core, who, delivery_id(v)),
    "home_task_done": lambda core, who, _a, v: tasks.done_from_home(
        core, who, *unit_and_milestone(v)
    ),
    "home_add_action": lambda core, who, _a, v: actions.new_item(core, who, v.strip()),
    "home_resume": lambda core, who, _a, _v: preferences.resume(core, who),
}
for _answer in VoAnswer:
    CLICKS[f"vo_{_answer.value}"] = lambda core, who, a, v: vo.clicked(
        core, who, delivery_id(v), _vo_answer(a)
    )
    CLICKS[f"home_vo_{_answer.value}"] = lambda core, who, a, v: vo.from_home(
        core, who, *unit_and_milestone(v), _vo_answer(a)
    )
for _state in (ActionState.on_track, ActionState.delayed, ActionState.done, ActionState.dropped):
    CLICKS[f"action_{_state.value}"] = lambda core, who, a, v: actions.checkin_clicked(
        core, who, delivery_id(v), ActionState(a.removeprefix("action_"))
    )


def click(core: Core, who: Identity, action_id: str, value: str) -> Outcome | None:
    """The outcome of the click, or None for a button arkbot does not have."""
    found = CLICKS.get(action_id)
    return None if found is None else found(core, who, action_id, value[:200])
