"""The typed commands (`/ark …` in Slack, the command menu and typed words in Teams): one
parser for every platform, so "pause 14" means the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation import actions, dates, preferences, questions
from bot.conversation.base import Core
from bot.conversation.types import Identity, Outcome, Status
from bot.i18n.catalog import t

CANONICAL = {
    "help": "help",
    "hjelp": "help",
    "status": "status",
    "home": "status",
    "hjem": "status",
    "plan": "plan",
    "tiltak": "tiltak",
    "lang": "lang",
    "språk": "lang",
    "pause": "pause",
    "report": "report",
    "rapport": "report",
    "date": "date",
    "dato": "date",
}
# The commands a platform lists in its menu, in this order.
MENU = ("help", "status", "plan", "tiltak", "lang", "pause", "report", "date")


@dataclass(frozen=True, slots=True)
class Answer:
    command: str  # the canonical name; "unknown" for a word we do not know
    outcome: Outcome


def _pause(core: Core, who: Identity, args: list[str]) -> Outcome:
    days = preferences.parse_pause(args[0] if args else None)
    if days == 0:
        return preferences.resume(core, who)
    return preferences.pause(core, who, days if days is not None else -1)


_RUN: dict[str, Callable[[Core, Identity, list[str]], Outcome]] = {
    "help": lambda core, who, _args: questions.help(core, who),
    "status": lambda core, who, _args: questions.home(core, who),
    "plan": lambda core, who, _args: questions.plan(core, who),
    "tiltak": lambda core, who, _args: actions.new_item(core, who),
    "lang": lambda core, who, args: preferences.language(core, who, args[0] if args else ""),
    "pause": _pause,
    "report": lambda core, who, _args: questions.report(core, who),
    "date": lambda core, who, args: dates.set_date(core, who, args),
}


def run(core: Core, who: Identity, text: str | None) -> Answer:
    words = (text or "").split()[:8]
    word = words[0].lower().lstrip("/") if words else "help"
    command = CANONICAL.get(word)
    if command is None:
        outcome = questions.help(core, who)
        if outcome.ok:
            outcome.reply = t(outcome.locale, "conversation.command.unknown", word=word[:40])
        return Answer("unknown", outcome)
    return Answer(command, _RUN[command](core, who, words[1:]))


__all__ = ["MENU", "Answer", "Status", "run"]
