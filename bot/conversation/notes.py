"""The line an answered message shows in place of its buttons: one wording for the click
itself and for a digest part answered (or snoozed) earlier."""

from __future__ import annotations

from datetime import date

from bot.conversation.base import Turn
from bot.i18n.catalog import format_day
from storage.models import VoAnswer


def done_note(turn: Turn, who: str, done_on: date) -> str:
    return turn.text("conversation.done.marked", who=who, date=format_day(done_on, turn.locale))


def vo_note(turn: Turn, answered_on: date, answer: VoAnswer) -> str:
    return turn.text(
        "conversation.vo.recorded",
        date=format_day(answered_on, turn.locale),
        answer=turn.text(f"conversation.vo.answer.{answer.value}"),
    )


def snooze_note(turn: Turn, day: date) -> str:
    return turn.text("conversation.snooze.set", date=format_day(day, turn.locale))
