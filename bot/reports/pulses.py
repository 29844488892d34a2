"""Pulse results for the report, through the pulse aggregation's contract and nothing else.

The aggregation (`bot.pulse_aggregation.aggregate`) decides what may be shown: only closed
rounds, only groups with at least `min_group` answers, and no group that could be worked out by
subtraction. It returns one result per group with ``unit_id``, ``unit_name``, ``shown``,
``reason``, ``respondents`` (None when not shown) and ``questions`` (per question a
distribution of answers and a mean). This adapter keeps the groups marked ``shown`` and never
reads anything else from the others, so a group under the threshold cannot reach a report.

A unit's figures cover its own answers and those of every unit below it. The trend over the
whole scope therefore adds up only the top-most shown groups (those with no shown group above
them in the scope): disjoint parts, each already public, so the sum reveals nothing new.

The module is imported lazily: without it the report says that pulse results are not
available rather than failing.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, cast

from sqlalchemy import select
from sqlmodel import Session

from bot.reports.model import (
    PulseQuestion,
    PulseResult,
    PulseRound,
    QuestionResult,
    QuestionTrend,
    TrendPoint,
)
from schedules.calendar import WorkCalendar
from schedules.events import Nudge, Rules, plan_events
from schedules.plan import MilestoneKind, Plan
from storage.models import PulseAnswer, table_of

AGGREGATION_MODULE = "bot.pulse_aggregation"
SCALE_VALUES: dict[str, tuple[str, ...]] = {
    "1-5": ("1", "2", "3", "4", "5"),
    "yes_no_unsure": ("yes", "no", "unsure"),
}


class Aggregate(Protocol):
    """The pulse aggregation's entry point (see the module docstring)."""

    def __call__(
        self,
        session: Session,
        plan: Plan,
        *,
        pulse_id: str,
        round: str,
        today: date,
        min_group: int = ...,
        units: Collection[str] | None = ...,
    ) -> Sequence[Any]: ...


def _accepts_calendar(aggregate: Aggregate) -> bool:
    """Whether `aggregate` takes the planner's calendar (holidays move the rounds' days)."""
    try:
        parameters = inspect.signature(aggregate).parameters
    except (TypeError, ValueError):
        return False
    return "calendar" in parameters or any(
        parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values()
    )


def find_aggregate() -> Aggregate | None:
    """The aggregation's `aggregate`, or None while the module is not installed."""
    try:
        module = importlib.import_module(AGGREGATION_MODULE)
    except ModuleNotFoundError as error:
        if error.name != AGGREGATION_MODULE:
            raise  # the module is there but something it imports is not: a real error
        return None
    return cast(Aggregate, module.aggregate)


@dataclass(frozen=True, slots=True)
class PulseData:
    by_unit: dict[str, list[PulseResult]]
    rounds: tuple[PulseRound, ...]  # rounds with at least one group shown, in order
    trends: tuple[QuestionTrend, ...]


def _round_number(name: str) -> int:
    match = re.search(r"(\d+)$", name)
    return int(match.group(1)) if match else 0


def plan_questions(plan: Plan) -> dict[str, PulseQuestion]:
    """Every pulse question the plan names, by id (the first pulse naming it wins)."""
    found: dict[str, PulseQuestion] = {}
    for milestone in plan.milestones:
        if milestone.pulse is None:
            continue
        for question in milestone.pulse.questions:
            found.setdefault(question.id, PulseQuestion(question.id, question.text, question.scale))
    return found


def pulse_rounds(session: Session, plan: Plan, calendar: WorkCalendar) -> list[PulseRound]:
    """The plan's pulse rounds that have answers in this cycle, oldest first (one DISTINCT
    query; the rounds' days come from the plan, as the planner sends them)."""
    answers = table_of(PulseAnswer)
    answered = {
        (pulse_id, name)
        for pulse_id, name in session.execute(
            select(answers.c.pulse_id, answers.c.round)
            .where(answers.c.cycle_id == plan.id)
            .distinct()
        )
    }
    if not answered:
        return []
    titles = {m.id: m.title for m in plan.milestones if m.kind is MilestoneKind.pulse}
    rounds = [
        PulseRound(event.milestone_id, event.occurrence, event.day, titles.get(event.milestone_id))
        for event in plan_events(plan, calendar, Rules())
        if event.nudge is Nudge.pulse and (event.milestone_id, event.occurrence) in answered
    ]
    return sorted(
        rounds,
        key=lambda r: (r.opens_on or date.max, r.pulse_id, _round_number(r.round), r.round),
    )


def _pairs(raw: object) -> list[tuple[str, int]]:
    if isinstance(raw, Mapping):
        items: Iterable[Any] = raw.items()
    elif isinstance(raw, Iterable) and not isinstance(raw, str | bytes):
        items = raw
    else:
        return []
    pairs = []
    for item in items:
        value, count = item
        pairs.append((str(value), int(count)))
    return pairs


def _ordered(pairs: list[tuple[str, int]], scale: str | None) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for value, count in pairs:
        counts[value] = counts.get(value, 0) + count
    order = list(SCALE_VALUES.get(scale or "", ()))
    order += sorted(value for value in counts if value not in order)
    return tuple((value, counts.get(value, 0)) for value in order)


def _numeric_mean(distribution: tuple[tuple[str, int], ...]) -> float | None:
    total = sum(count for _, count in distribution)
    if not total:
        return None
    try:
        return sum(float(value) * count for value, count in distribution) / total
    except ValueError:
        return None


def _question_items(raw: object) -> list[tuple[str, Any]]:
    """(question id, per-question result) from a mapping by id or a sequence of results."""
    if isinstance(raw, Mapping):
        return [(str(key), value) for key, value in raw.items()]
    found = []
    for item in cast(Iterable[Any], raw or ()):
        question_id = getattr(item, "question_id", None) or getattr(item, "id", None)
        found.append((str(question_id), item))
    return found


def _question_result(
    question_id: str, raw: Any, known: Mapping[str, PulseQuestion]
) -> QuestionResult:
    question = known.get(question_id)
    if question is None:
        scale = raw.get("scale") if isinstance(raw, Mapping) else getattr(raw, "scale", None)
        known_scale = scale if scale in SCALE_VALUES else None
        question = PulseQuestion(question_id, None, cast(Any, known_scale))
    if isinstance(raw, Mapping):
        distribution_raw, mean_raw = raw.get("distribution"), raw.get("mean")
    else:
        distribution_raw, mean_raw = getattr(raw, "distribution", None), getattr(raw, "mean", None)
    distribution = _ordered(_pairs(distribution_raw), question.scale)
    mean = float(mean_raw) if mean_raw is not None else None
    if question.scale == "yes_no_unsure":
        mean = None
    elif mean is None and question.scale == "1-5":
        mean = _numeric_mean(distribution)
    return QuestionResult(question, distribution, mean)


def shown_results(
    groups: Iterable[Any],
    pulse_round: PulseRound,
    *,
    scope: Collection[str],
    known: Mapping[str, PulseQuestion],
) -> list[PulseResult]:
    """The groups of one round that may be shown and lie in scope; every other group is
    dropped unread (its respondents and answers are never looked at)."""
    results = []
    for group in groups:
        if getattr(group, "shown", False) is not True:
            continue
        unit_id = str(group.unit_id)
        respondents = group.respondents
        if unit_id not in scope or respondents is None:
            continue
        questions = tuple(
            _question_result(question_id, raw, known)
            for question_id, raw in _question_items(group.questions)
        )
        results.append(
            PulseResult(pulse_round, unit_id, str(group.unit_name), int(respondents), questions)
        )
    return results


def _trend_point(pulse_round: PulseRound, results: list[QuestionResult]) -> TrendPoint:
    """One question in one round over every group shown: their answers taken together."""
    question = results[0].question
    combined = _ordered([pair for result in results for pair in result.distribution], None)
    answers = sum(count for _, count in combined)
    mean: float | None = None
    yes_share: float | None = None
    if question.scale == "yes_no_unsure":
        yes_share = dict(combined).get("yes", 0) / answers if answers else None
    else:
        mean = _numeric_mean(combined)
        if mean is None:  # no usable distribution: weigh the groups' means by their answers
            weighted = [(r.mean, r.answers) for r in results if r.mean is not None and r.answers]
            weight = sum(count for _, count in weighted)
            mean = sum(m * count for m, count in weighted) / weight if weight else None
    return TrendPoint(pulse_round, answers, mean, yes_share)


def _top_most(results: list[PulseResult], parents: Mapping[str, str | None]) -> list[PulseResult]:
    """The results with no shown result above them (their figures already include the rest)."""
    shown = {result.unit_id for result in results}

    def covered(unit_id: str) -> bool:
        parent, steps = parents.get(unit_id), 0
        while parent is not None and steps <= len(parents):
            if parent in shown:
                return True
            parent, steps = parents.get(parent), steps + 1
        return False

    return [result for result in results if not covered(result.unit_id)]


def trends_of(
    rounds: Sequence[PulseRound],
    per_round: Mapping[str, list[PulseResult]],
    parents: Mapping[str, str | None],
    order: Sequence[str],
) -> tuple[QuestionTrend, ...]:
    """Each question over the rounds: the top-most shown groups of each round, together."""
    by_question: dict[str, dict[str, list[QuestionResult]]] = {}
    questions: dict[str, PulseQuestion] = {}
    for pulse_round in rounds:
        for result in _top_most(per_round.get(pulse_round.key, []), parents):
            for question in result.questions:
                question_id = question.question.question_id
                questions.setdefault(question_id, question.question)
                by_question.setdefault(question_id, {}).setdefault(pulse_round.key, []).append(
                    question
                )
    ranked = sorted(
        questions,
        key=lambda qid: (order.index(qid) if qid in order else len(order), qid),
    )
    trends = []
    for question_id in ranked:
        found = by_question[question_id]
        points = tuple(
            _trend_point(pulse_round, found[pulse_round.key])
            for pulse_round in rounds
            if pulse_round.key in found
        )
        trends.append(QuestionTrend(questions[question_id], points))
    return tuple(trends)


def collect(
    session: Session,
    plan: Plan,
    *,
    unit_ids: Sequence[str],
    parents: Mapping[str, str | None],
    today: date,
    calendar: WorkCalendar,
    min_group: int,
    aggregate: Aggregate,
) -> PulseData:
    """Shown pulse results of the units in scope: one aggregation call per round.

    `parents` maps each unit in scope to the unit above it in scope (None at the top)."""
    known = plan_questions(plan)
    scope = frozenset(unit_ids)
    extra: dict[str, Any] = {"calendar": calendar} if _accepts_calendar(aggregate) else {}
    by_unit: dict[str, list[PulseResult]] = {}
    per_round: dict[str, list[PulseResult]] = {}
    shown_rounds: list[PulseRound] = []
    for pulse_round in pulse_rounds(session, plan, calendar):
        groups = aggregate(
            session,
            plan,
            pulse_id=pulse_round.pulse_id,
            round=pulse_round.round,
            today=today,
            min_group=min_group,
            units=list(unit_ids),
            **extra,
        )
        results = shown_results(groups, pulse_round, scope=scope, known=known)
        if not results:
            continue
        shown_rounds.append(pulse_round)
        per_round[pulse_round.key] = results
        for result in results:
            by_unit.setdefault(result.unit_id, []).append(result)
    rounds = tuple(shown_rounds)
    return PulseData(by_unit, rounds, trends_of(rounds, per_round, parents, list(known)))
