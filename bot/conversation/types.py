"""What goes into the conversation core and what comes out of it.

A platform turns its payload into an `Identity` and a typed request, calls the core, and
turns the `Outcome` back into its own medium. Nothing here knows Slack or Teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.messages import Message
from schedules.plan import PulseQuestion
from storage.models import ActionState, VoAnswer

if TYPE_CHECKING:
    from bot.conversation.home import HomeView


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request says it comes from, as the platform verified it.

    `workspace` is the Slack team or the Teams tenant of the request; `email` and `locale`
    are hints the platform may have (used only to find a person or to answer a stranger).
    In Teams `user_id` is the Entra object id and `alt_id` the Teams user id.
    """

    platform: str
    user_id: str
    workspace: str | None = None
    email: str | None = None
    locale: str | None = None
    alt_id: str | None = None  # a second id the platform has (Teams' "29:…" user id)


class Status(StrEnum):
    recorded = "recorded"  # something changed
    already = "already"  # it was done before; nothing changed
    form = "form"  # more is needed: show `form`
    shown = "shown"  # an answer to a question; nothing changed
    invalid = "invalid"  # the input was refused field by field; nothing changed
    refused = "refused"  # not allowed, unknown or stale; nothing changed


class FormKind(StrEnum):
    task_done = "task_done"
    vo_answer = "vo_answer"
    action_delayed = "action_delayed"
    action_dropped = "action_dropped"
    action_item = "action_item"
    pulse = "pulse"


@dataclass(frozen=True, slots=True)
class FormRef:
    """What a form acts on. A hint the platform carries back, never a credential: the core
    re-reads and re-checks everything it names when the form comes back."""

    delivery_id: int | None = None
    unit_id: str | None = None
    milestone_id: str | None = None
    item_id: int | None = None
    answer: VoAnswer | None = None
    state: ActionState | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.delivery_id is not None:
            out["d"] = self.delivery_id
        if self.unit_id:
            out["u"] = self.unit_id
        if self.milestone_id:
            out["m"] = self.milestone_id
        if self.item_id is not None:
            out["a"] = self.item_id
        if self.answer is not None:
            out["answer"] = self.answer.value
        if self.state is not None:
            out["state"] = self.state.value
        return out

    @classmethod
    def from_dict(cls, data: object) -> FormRef:
        """Read back what `to_dict` wrote; anything malformed is dropped, not trusted."""
        if not isinstance(data, dict):
            return cls()

        def integer(key: str) -> int | None:
            value = data.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                return None
            return value if 0 < value < 2**63 else None  # a database id, nothing else

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and 0 < len(value) <= 64 else None

        answer = text("answer")
        state = text("state")
        return cls(
            delivery_id=integer("d"),
            unit_id=text("u") or text("unit"),
            milestone_id=text("m"),
            item_id=integer("a"),
            answer=VoAnswer(answer) if answer and answer in VoAnswer._value2member_map_ else None,
            state=ActionState(state) if state and state in ActionState._value2member_map_ else None,
        )


@dataclass(frozen=True, slots=True)
class Form:
    """A form to show: what it asks and what it starts with, in the asker's language."""

    kind: FormKind
    locale: str
    ref: FormRef
    title: str = ""  # what it is about (milestone or action title)
    unit: str = ""  # the unit's name
    today: date | None = None
    initial_date: date | None = None
    units: list[tuple[str, str]] = field(default_factory=list)  # action item: (id, name)
    questions: list[PulseQuestion] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Redraw:
    """A message the bot sent that should now show its answered state (no buttons)."""

    delivery_id: int
    platform: str | None
    channel_id: str
    message_id: str
    message: Message


@dataclass(frozen=True, slots=True)
class File:
    """A file for the asker: the follow-up meeting's calendar invitation, a unit's report."""

    filename: str
    title: str
    comment: str
    content: bytes
    mime_type: str = "text/calendar"
    unit_id: str | None = None  # the unit a report is of (asked for again by that id)


@dataclass(slots=True)
class Outcome:
    """What happened, and everything a platform must show because of it."""

    status: Status
    locale: str
    reply: str | None = None  # a short answer to the asker (ephemeral where possible)
    reason: str | None = None  # the catalogue key of a refusal
    errors: dict[str, str] = field(default_factory=dict)  # field → text, for `invalid`
    form: Form | None = None
    redraw: list[Redraw] = field(default_factory=list)
    home: HomeView | None = None  # the asker's home view, when it changed
    files: list[File] = field(default_factory=list)  # for the asker, in their DM
    data: Any = None  # the answer to a question (`/ark plan`, `status`…), for the renderer

    @property
    def ok(self) -> bool:
        return self.status not in (Status.refused, Status.invalid)
