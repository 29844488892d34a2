"""The platform-neutral message model: what a nudge says and which answers it offers.

Composition (domain → Message) lives in `bot.compose`; rendering (Message → Slack blocks,
Teams cards, console text) lives with each platform. Every message carries a plain-text
fallback for notifications and clients that show no blocks.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MessageKind(StrEnum):
    reminder = "reminder"
    vo_question = "vo_question"
    pulse_question = "pulse_question"
    action_checkin = "action_checkin"
    escalation = "escalation"
    information = "information"


class ActionId(StrEnum):
    """Stable ids of the buttons; the chat apps route clicks by them."""

    task_done = "task_done"
    task_snooze = "task_snooze"
    vo_yes = "vo_yes"
    vo_partly = "vo_partly"
    vo_not_yet = "vo_not_yet"
    pulse_answer = "pulse_answer"
    action_on_track = "action_on_track"
    action_delayed = "action_delayed"
    action_done = "action_done"
    action_dropped = "action_dropped"
    calendar_file = "calendar_file"
    open_link = "open_link"


class Button(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: ActionId
    label: str
    value: str
    style: Literal["primary", "danger"] | None = None


class Section(BaseModel):
    """One part of a digest: a unit's line and the buttons that answer for that unit.

    The buttons' `value` is the delivery id of that unit's row, as in a single message.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    buttons: list[Button] = Field(default_factory=list)
    delivery_id: int | None = None


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MessageKind
    locale: str
    headline: str
    body: str
    context: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    delivery_id: int | None = None
    # A digest (one message for several units or late units): a part per unit.
    sections: list[Section] = Field(default_factory=list)

    @property
    def fallback(self) -> str:
        """Plain text for notifications and for clients that cannot show buttons."""
        parts = [self.headline, self.body, *(section.text for section in self.sections)]
        if self.context:
            parts.append(self.context)
        return "\n".join(part for part in parts if part)
