"""Coordinators set or move a milestone's date from chat (`dato MILESTONE DATE [UNTIL]`);
the plan file stays as it is and the date is stored as an override (storage.overrides),
audited, and re-planned by the planner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.access import is_coordinator
from bot.compose import date_set_reply
from bot.conversation.base import NOT_COORDINATOR, Refusal, Turn, action
from bot.conversation.home import home_of, pending_dates
from bot.conversation.types import Outcome, Status
from storage.overrides import DateChangeError, set_milestone_date

USAGE = "conversation.dates.usage"


@dataclass(frozen=True, slots=True)
class DatesView:
    """What is still «Dato kommer», for a coordinator asking without a date."""

    milestones: list[tuple[str, str, str | None]]  # id, title, hint month (YYYY-MM)


def date_lines(locale: str, milestones: list[tuple[str, str, str | None]]) -> list[str]:
    from bot.i18n.catalog import t

    if not milestones:
        return [t(locale, "conversation.dates.none")]
    return [
        t(locale, "conversation.dates.line", id=i, title=title, hint=hint)
        if hint
        else t(locale, "conversation.dates.line_no_hint", id=i, title=title)
        for i, title, hint in milestones
    ]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refusal("conversation.dates.bad_date", value=text[:40]) from None


@action
def set_date(turn: Turn, words: list[str]) -> Outcome:
    if not is_coordinator(turn.session, turn.person_id):
        raise Refusal(NOT_COORDINATOR)
    if not words:
        return turn.outcome(Status.shown, turn.text(USAGE), data=DatesView(pending_dates(turn)))
    if len(words) not in (2, 3):
        raise Refusal(USAGE)
    day = _day(words[1])
    until = _day(words[2]) if len(words) == 3 else None
    try:
        change = set_milestone_date(
            turn.session,
            turn.core.plan,
            words[0][:64],
            day,
            until,
            now=turn.now,
            actor=turn.person.email,
        )
    except DateChangeError as error:
        refusal = Refusal(error.key)
        refusal.params = dict(error.values)
        raise refusal from None
    reply = date_set_reply(turn.core.plan, change, turn.locale)
    return turn.outcome(
        Status.recorded if change.changed else Status.already, reply, home=home_of(turn)
    )
