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


# The parts one digest message holds (two Slack blocks each, with room for the headline
# and body; a Teams card has a size limit): `bot.digest` sends more as several messages.
SECTIONS_MAX = 20


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


# A fan-out sends one text to thousands of people; the messages differ only in the delivery
# id, which the buttons also carry as their value. Renderers build one payload per distinct
# text from a template message (delivery id and values `TEMPLATE_ID`) and put the id in after.
TEMPLATE_ID = 0
TemplateKey = tuple[object, ...]
# The fields a template shares with its messages, besides the buttons (action, label, style).
TEMPLATE_FIELDS = ("kind", "locale", "headline", "body", "context")
NOT_IN_TEMPLATES = ("buttons", "delivery_id", "sections")


def template_key(message: Message) -> TemplateKey | None:
    """Every field but the delivery id, cheaply; None when a button's value is not the
    delivery id or the message is a digest (then it is rendered on its own)."""
    delivery = message.delivery_id
    if delivery is None or message.sections:
        return None
    value = str(delivery)
    if any(button.value != value for button in message.buttons):
        return None
    buttons = tuple((button.action, button.label, button.style) for button in message.buttons)
    return (*(getattr(message, name) for name in TEMPLATE_FIELDS), buttons)


def template_of(key: TemplateKey) -> Message:
    *shared, buttons = key
    fields: dict[str, object] = dict(zip(TEMPLATE_FIELDS, shared, strict=True))
    fields["buttons"] = [
        {"action": action, "label": label, "value": str(TEMPLATE_ID), "style": style}
        for action, label, style in buttons  # type: ignore[attr-defined]
    ]
    fields["delivery_id"] = TEMPLATE_ID
    return Message.model_validate(fields)
