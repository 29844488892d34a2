"""The home view as data: what is due and done, my units, my area, and the pulse results
the privacy rules let this person see. Each platform renders it its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.access import roles_of
from bot.conversation.base import Turn
from bot.conversation.types import Outcome, Status
from bot.i18n.catalog import t
from bot.overview import PersonHome, person_home
from bot.pulse_aggregation import READERS, QuestionResult, aggregate, visible_to
from schedules.plan import Text
from storage.models import Role
from storage.overrides import dates_to_set
from storage.pulses import pulse_milestone


@dataclass(frozen=True, slots=True)
class PulseSummary:
    """One unit's results for one pulse, all closed rounds together (shown groups only)."""

    pulse_id: str
    title: Text
    unit_id: str
    unit_name: str
    respondents: int
    questions: tuple[tuple[Text, QuestionResult], ...]


@dataclass(frozen=True, slots=True)
class HomeView:
    person: PersonHome
    today: date
    pulses: list[PulseSummary] = field(default_factory=list)
    # Coordinators: milestones still «Dato kommer» (id, title, hint month), to set with `dato`.
    dates_to_set: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.person.locale


def stale_home(turn: Turn, reason: str) -> Outcome:
    """No to a home-view button that no longer applies to the asker (they left the unit):
    no words, as there is no message to answer in, but the home view as it is now, which no
    longer has that button."""
    return turn.outcome(Status.refused, reason=reason, home=home_of(turn))


def home_of(turn: Turn) -> HomeView:
    core = turn.core
    person = person_home(
        turn.session, turn.plan, turn.person_id, turn.today, core.calendar, now=turn.now
    )
    return HomeView(person, turn.today, _pulses(turn), _dates(turn, person))


def _dates(turn: Turn, person: PersonHome) -> list[tuple[str, str, str | None]]:
    if not any(m.role is Role.coordinator for m in person.memberships):
        return []
    return pending_dates(turn)


def pending_dates(turn: Turn) -> list[tuple[str, str, str | None]]:
    """(id, title, hint month) of the milestones still without a date."""
    return [
        (m.id, m.title.get(turn.locale), str(getattr(m.when, "hint", None) or "") or None)
        for m in dates_to_set(turn.plan)
    ]


def _pulses(turn: Turn) -> list[PulseSummary]:
    """Only leaders, VOs and coordinators read results, and only of their own units; a group
    below the threshold, or one still open, is never here (the aggregation decides)."""
    if not any(role in READERS for _, role in roles_of(turn.session, turn.person_id)):
        return []
    plan = turn.plan
    if not any(milestone.pulse is not None for milestone in plan.milestones):
        return []
    results = aggregate(
        turn.session,
        plan,
        pulse_id=None,
        round=None,
        today=turn.today,
        min_group=turn.core.pulse_min_group,
        calendar=turn.core.calendar,
        now=turn.now,
    )
    summaries: list[PulseSummary] = []
    for group in visible_to(turn.session, turn.person_id, results):
        if not group.shown or group.respondents is None:
            continue
        milestone = pulse_milestone(plan, group.pulse_id)
        assert milestone.pulse is not None
        texts = {question.id: question.text for question in milestone.pulse.questions}
        summaries.append(
            PulseSummary(
                pulse_id=group.pulse_id,
                title=milestone.title,
                unit_id=group.unit_id,
                unit_name=group.unit_name,
                respondents=group.respondents,
                questions=tuple(
                    (texts[q.question_id], q) for q in group.questions if q.question_id in texts
                ),
            )
        )
    return summaries


def pulse_line(text: Text, result: QuestionResult, locale: str) -> str:
    """ "Is it safe to speak up?: mean 4.2" or "…: 60 % yes", in the reader's language."""
    question = text.get(locale)
    if result.mean is not None:
        return t(locale, "home.pulses.mean", question=question, mean=f"{result.mean:.1f}")
    total = sum(result.distribution.values())
    share = round(100 * result.distribution.get("yes", 0) / total) if total else 0
    return t(locale, "home.pulses.yes_share", question=question, share=share)
