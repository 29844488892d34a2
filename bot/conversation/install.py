"""The app added or removed for a person: where the bot can reach them from now on."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.base import Turn, action
from bot.conversation.home import home_of
from bot.conversation.types import Outcome, Status
from storage.teams import forget_conversation, remember_conversation


@dataclass(frozen=True, slots=True)
class Conversation:
    """The 1:1 conversation a platform handed the bot (Teams: id, service URL, tenant)."""

    conversation_id: str
    service_url: str
    tenant_id: str | None


def _remember(turn: Turn, conversation: Conversation) -> bool:
    return turn.who.platform == "teams" and remember_conversation(
        turn.session,
        turn.person_id,
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.conversation_id,
        service_url=conversation.service_url,
        now=turn.now,
    )


@action
def installed(turn: Turn, conversation: Conversation) -> Outcome:
    """Remember the conversation and show the home."""
    _remember(turn, conversation)
    return turn.outcome(Status.recorded, home=home_of(turn))


@action
def remembered(turn: Turn, conversation: Conversation) -> Outcome:
    """Like `installed`, quietly: a message from the person keeps their reference fresh."""
    return turn.outcome(Status.recorded if _remember(turn, conversation) else Status.already)


@action
def uninstalled(turn: Turn) -> Outcome:
    """The app was removed: the bot can no longer write to the person there."""
    if turn.who.platform == "teams":
        forget_conversation(turn.session, turn.person_id, now=turn.now)
    return turn.outcome(Status.recorded)
