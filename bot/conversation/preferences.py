"""What a person sets for themselves: a pause of optional nudges, and the language."""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.base import Refusal, Turn, action
from bot.conversation.home import home_of
from bot.conversation.types import Outcome, Status
from bot.i18n.catalog import LOCALES, format_day, t
from storage.records import pause_person, set_locale

MAX_PAUSE_DAYS = 90
RESUME_WORDS = frozenset({"off", "av", "stop", "resume"})


@action
def pause(turn: Turn, days: int) -> Outcome:
    """Hold back optional nudges for `days` days (1–90); deadline reminders still go."""
    if not 1 <= days <= MAX_PAUSE_DAYS:
        raise Refusal("conversation.command.pause_usage")
    last_day = turn.today + timedelta(days=days - 1)
    until = turn.core.calendar.send_time(last_day + timedelta(days=1), turn.person.timezone)
    pause_person(
        turn.session, person_id=turn.person_id, until=until, now=turn.now, actor=turn.person.email
    )
    turn.session.refresh(turn.person)
    reply = turn.text("conversation.command.paused", date=format_day(last_day, turn.locale))
    return turn.outcome(Status.recorded, reply, home=home_of(turn))


@action
def resume(turn: Turn) -> Outcome:
    pause_person(
        turn.session, person_id=turn.person_id, until=None, now=turn.now, actor=turn.person.email
    )
    turn.session.refresh(turn.person)
    return turn.outcome(
        Status.recorded, turn.text("conversation.command.resumed"), home=home_of(turn)
    )


def parse_pause(word: str | None) -> int | None:
    """`/ark pause [N|off]`: days to pause, 0 to resume, None when not understood."""
    word = (word or "7").strip().lower()
    if word in RESUME_WORDS:
        return 0
    return int(word) if word.isdigit() and len(word) <= 3 else None


@action
def language(turn: Turn, wanted: str) -> Outcome:
    locale = wanted.strip().lower()
    if locale not in LOCALES:
        raise Refusal("conversation.command.lang_usage")
    set_locale(
        turn.session, person_id=turn.person_id, locale=locale, now=turn.now, actor=turn.person.email
    )
    turn.session.refresh(turn.person)
    return turn.outcome(
        Status.recorded, t(locale, "conversation.command.lang_set"), home=home_of(turn)
    )
