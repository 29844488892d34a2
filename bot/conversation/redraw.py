"""The answered state of a message the bot sent: the same message, no buttons, what happened."""

from __future__ import annotations

from bot.compose import Composer, Subject
from bot.conversation.base import Turn
from bot.conversation.types import Redraw
from storage.deliveries import Claimed
from storage.models import ActionItem, Delivery


def answered(turn: Turn, delivery: Delivery, note: str) -> list[Redraw]:
    """The redraw of `delivery` with `note`, if the bot sent it to the asker and knows where.

    Where comes from the delivery row only, never from the request, so nobody can have the
    bot rewrite a message it did not send them.
    """
    return _redraw(turn, delivery, note)


def current_message(turn: Turn, delivery: Delivery) -> list[Redraw]:
    """The delivery's message as it was sent, buttons and all (after a cancelled form)."""
    return _redraw(turn, delivery, None)


def _redraw(turn: Turn, delivery: Delivery, note: str | None) -> list[Redraw]:
    if (
        delivery.id is None
        or delivery.person_id != turn.person_id
        or not delivery.channel_id
        or not delivery.message_id
    ):
        return []
    milestone = turn.core.milestone(delivery.milestone_id)
    if milestone is None:
        return []
    item = turn.session.get(ActionItem, delivery.subject_id) if delivery.subject_id else None
    claimed = Claimed(
        id=delivery.id,
        cycle_id=delivery.cycle_id,
        milestone_id=delivery.milestone_id,
        occurrence=delivery.occurrence,
        person_id=delivery.person_id,
        unit_id=delivery.unit_id,
        role=delivery.role,
        nudge=delivery.nudge,
        optional=delivery.optional,
        subject_id=delivery.subject_id,
        workspace=delivery.workspace,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        expires_at=delivery.expires_at,
    )
    subject = Subject(milestone, turn.unit_name(delivery.unit_id) or None, item)
    message = Composer(turn.plan).compose(claimed, turn.locale, subject, turn.today)
    if note is None:
        redrawn = message
    else:
        context = f"{message.context}\n{note}" if message.context else note
        redrawn = message.model_copy(update={"buttons": [], "context": context})
    return [
        Redraw(
            delivery_id=delivery.id,
            platform=delivery.platform,
            channel_id=delivery.channel_id,
            message_id=delivery.message_id,
            message=redrawn,
        )
    ]
