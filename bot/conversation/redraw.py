"""The answered state of a message the bot sent: the same message, no buttons, what happened.

A digest (one message for several units, `bot.digest.unit_digest`) is redrawn whole: the
part clicked shows what happened, the parts already settled (the task marked done or put off
until tomorrow, the VO's answer recorded) show that, and the parts still open keep their
buttons.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlmodel import col, select

from bot.compose import Composer, Subject
from bot.conversation.base import Turn
from bot.conversation.notes import done_note, snooze_note, vo_note
from bot.conversation.types import Redraw
from bot.digest import PER_MILESTONE, unit_digest
from bot.messages import Message
from schedules.events import Nudge
from schedules.plan import Milestone
from storage.deliveries import Claimed
from storage.models import ActionItem, Delivery, Person, TaskCompletion, Unit, VoConfirmation
from storage.records import snoozed_until

_TASKS = frozenset({Nudge.task_open.value, Nudge.reminder.value})


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
    parts = _same_message(turn, delivery) if delivery.nudge in PER_MILESTONE else [delivery]
    if len(parts) > 1:
        redrawn = _digest(turn, milestone, parts, {delivery.id: note} if note else {})
    else:
        message = _compose(turn, delivery, milestone, turn.unit_name(delivery.unit_id) or None)
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


# Built once: every click on a sent message asks it.
_SAME_MESSAGE = (
    select(Delivery)
    .where(
        col(Delivery.person_id) == bindparam("person_id"),
        col(Delivery.nudge) == bindparam("nudge"),
        col(Delivery.milestone_id) == bindparam("milestone_id"),
        col(Delivery.platform).is_not_distinct_from(bindparam("platform")),  # may be NULL
        col(Delivery.channel_id) == bindparam("channel_id"),
        col(Delivery.message_id) == bindparam("message_id"),
    )
    .order_by(col(Delivery.id))
)


def _same_message(turn: Turn, delivery: Delivery) -> list[Delivery]:
    """The rows the sender sent as this one message (more than one: a digest)."""
    keys = {
        "person_id": turn.person_id,
        "nudge": delivery.nudge,
        "milestone_id": delivery.milestone_id,
        "platform": delivery.platform,
        "channel_id": delivery.channel_id,
        "message_id": delivery.message_id,
    }
    return list(turn.session.exec(_SAME_MESSAGE, params=keys).all())


def _digest(
    turn: Turn, milestone: Milestone, parts: Sequence[Delivery], notes: dict[int, str]
) -> Message:
    unit_ids = [part.unit_id for part in parts if part.unit_id]
    names = {
        unit.id: unit.name
        for unit in turn.session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))
    }
    messages = [_compose(turn, part, milestone, names.get(part.unit_id or "")) for part in parts]
    digest = unit_digest([_claimed(part) for part in parts], messages, turn.plan, names)
    said = {**_settled(turn, milestone, parts), **notes}
    sections = [
        section.model_copy(update={"buttons": [], "text": f"{section.text}\n{said[number]}"})
        if (number := section.delivery_id) is not None and number in said
        else section
        for section in digest.sections
    ]
    return digest.model_copy(update={"sections": sections})


def _settled(turn: Turn, milestone: Milestone, parts: Sequence[Delivery]) -> dict[int, str]:
    """What settled each part already, by delivery id: a task done (or put off until
    tomorrow), a VO's answer."""
    by_unit = {part.unit_id: part.id for part in parts if part.unit_id and part.id is not None}
    notes: dict[int, str] = {}
    nudge = parts[0].nudge
    if nudge in _TASKS:
        for part_id, due_at in snoozed_until(turn.session, parts).items():
            day = turn.core.calendar.local_date(due_at, turn.person.timezone)
            notes[part_id] = snooze_note(turn, day)
        for done in turn.session.exec(
            select(TaskCompletion).where(
                col(TaskCompletion.cycle_id) == turn.cycle_id,
                col(TaskCompletion.milestone_id) == milestone.id,
                col(TaskCompletion.unit_id).in_(list(by_unit)),
            )
        ):
            who = turn.session.get(Person, done.done_by) if done.done_by else None
            notes[by_unit[done.unit_id]] = done_note(turn, who.name if who else "?", done.done_on)
    elif nudge == Nudge.vo_question.value:
        calendar = turn.core.calendar
        for answer in turn.session.exec(
            select(VoConfirmation).where(
                col(VoConfirmation.cycle_id) == turn.cycle_id,
                col(VoConfirmation.milestone_id) == milestone.id,
                col(VoConfirmation.unit_id).in_(list(by_unit)),
                col(VoConfirmation.person_id) == turn.person_id,
            )
        ):
            day = calendar.local_date(answer.recorded_at, turn.person.timezone)
            notes[by_unit[answer.unit_id]] = vo_note(turn, day, answer.answer)
    return notes


def _compose(
    turn: Turn, delivery: Delivery, milestone: Milestone, unit_name: str | None
) -> Message:
    item = turn.session.get(ActionItem, delivery.subject_id) if delivery.subject_id else None
    subject = Subject(milestone, unit_name, item)
    return Composer(turn.plan).compose(_claimed(delivery), turn.locale, subject, turn.today)


def _claimed(delivery: Delivery) -> Claimed:
    assert delivery.id is not None
    return Claimed(
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
