"""Pulse results, with the privacy rules that make the answers anonymous in practice.

A unit's figures cover every answer given in the unit and in the units below it. The rules:

- **Closed rounds only.** A round's results exist from the day after it closes.
- **Threshold.** A unit is shown only when at least `min_group` people answered in it and
  below it (default 5; a value below 3 is raised to 3, so results are never shown for fewer
  than 3 people). Respondents are counted as the answers to the pulse's first question:
  every question is mandatory. A unit under the threshold gets no line of its own; its
  answers count only in the figures of the units above it ("merged into its parent").
- **No subtraction.** A shown unit minus the shown units directly below it leaves a rest
  (its own answers and those of its hidden units below). Each rest must hold at least
  `min_group` answers, or none at all while nobody of the pulse's audience belongs to it.
  Otherwise the smallest shown unit below it is hidden too ("derivable by subtraction") and
  its rest joins the parent's, until the rest is safe. Example: a department with 9
  answers, groups of 5 and 4 below it: the 4 is hidden (below threshold), and the 5 as well
  (9 − 5 would reveal the 4); the department's 9 is shown.
- **Hidden means hidden.** A hidden group carries no figures at all, not even its count.

The whole tree is computed at once, whatever part of it a caller asks for, so every viewer
sees the same decisions and no two views can be subtracted from each other. All rounds
together ("round None") add up each unit's shown per-round figures, so they reveal nothing
the per-round results do not; their `respondents` then counts answers per round (a person
who answered three rounds counts three times).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from bot.access import roles_of
from schedules.calendar import WorkCalendar, local_to_utc
from schedules.events import Rules
from schedules.plan import Milestone, Plan, PulseQuestion
from storage.models import PulseAnswer, PulseRoundGroup, Role, Unit, table_of
from storage.pulses import (
    SCALE_VALUES,
    PulseRound,
    audience_by_unit,
    audience_zones,
    closing_instant,
    frozen_groups,
    pulse_milestone,
    pulse_rounds,
)
from storage.queries import unit_descendants

DEFAULT_MIN_GROUP = 5
MIN_GROUP_FLOOR = 3
READERS = frozenset({Role.leader, Role.vo, Role.coordinator})


class Reason(StrEnum):
    """Why a group is not shown."""

    not_closed = "not closed"
    below_threshold = "below threshold"
    derivable = "derivable by subtraction"


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question_id: str
    scale: str
    distribution: dict[str, int]  # every value of the scale, in its order, with its count
    mean: float | None  # 1-5 questions only, two decimals


@dataclass(frozen=True, slots=True)
class GroupResult:
    """One unit's results for one pulse and one round (`round` None: all closed rounds).

    A hidden group (`shown` False) has `reason` set and no figures: `respondents` is None,
    `questions` and `rounds` are empty."""

    pulse_id: str
    round: str | None
    unit_id: str
    unit_name: str
    shown: bool
    reason: Reason | None = None
    respondents: int | None = None
    questions: tuple[QuestionResult, ...] = ()
    rounds: tuple[str, ...] = ()  # the rounds whose answers the figures include


@dataclass(frozen=True, slots=True)
class PulseResults:
    """The groups of one pulse for one round (or for all rounds: `round` None)."""

    pulse_id: str
    round: str | None
    groups: tuple[GroupResult, ...]


def effective_min_group(min_group: int) -> int:
    """The threshold actually applied: never below 3."""
    return max(MIN_GROUP_FLOOR, min_group)


def by_pulse_and_round(results: Iterable[GroupResult]) -> list[PulseResults]:
    """`aggregate`'s flat list grouped per (pulse, round), keeping its order."""
    grouped: dict[tuple[str, str | None], list[GroupResult]] = {}
    for result in results:
        grouped.setdefault((result.pulse_id, result.round), []).append(result)
    return [
        PulseResults(pulse_id, round_id, tuple(groups))
        for (pulse_id, round_id), groups in grouped.items()
    ]


def aggregate(
    session: Session,
    plan: Plan,
    *,
    pulse_id: str | None,
    round: str | None,
    today: date,
    min_group: int = DEFAULT_MIN_GROUP,
    units: Iterable[str] | None = None,
    calendar: WorkCalendar | None = None,
    rules: Rules | None = None,
    now: datetime | None = None,
) -> list[GroupResult]:
    """Results per unit, with the privacy rules of this module applied.

    `pulse_id` None: every pulse of the plan. `round` None: each pulse's closed rounds added
    up; a round needs a pulse. `min_group` is the threshold, default 5, raised to 3 when
    lower (never below 3). `units` limits which units are returned, never what is decided.
    Returns a result for every active unit (and for an inactive one whose figures are
    shown), per pulse, ordered by pulse, then unit level and id. ValueError for an unknown
    pulse or round. Pass the planner's calendar: its holidays move the rounds' days.

    A round counts as closed from the instant it is over for all of its audience
    (`storage.pulses.round_closes_at`), compared with `now` (UTC) when given, else with the
    start of `today` in the calendar's zone.
    """
    threshold = effective_min_group(min_group)
    calendar = calendar or WorkCalendar()
    moment = now if now is not None else local_to_utc(today, time(0), ZoneInfo(calendar.timezone))
    if round is not None and pulse_id is None:
        raise ValueError("a round belongs to a pulse: give pulse_id as well")
    milestones = (
        [pulse_milestone(plan, pulse_id)]
        if pulse_id is not None
        else [milestone for milestone in plan.milestones if milestone.pulse is not None]
    )
    all_rounds = pulse_rounds(plan, calendar, rules)
    tree = _Tree.load(session)
    wanted = set(units) if units is not None else None
    results: list[GroupResult] = []
    for milestone in milestones:
        rounds = [found for found in all_rounds if found.pulse_id == milestone.id]
        if round is not None:
            rounds = [found for found in rounds if found.round == round]
            if not rounds:
                raise ValueError(f"pulse '{milestone.id}' has no round '{round}'")
        frozen = frozen_groups(session, plan.id, milestone.id, [r.round for r in rounds])
        zones: set[str] = set()
        if any(not frozen.get(found.round) for found in rounds if found.is_closed(today)):
            zones = audience_zones(session, milestone, calendar.timezone)
        closed = [
            found
            for found in rounds
            if found.is_closed(today)
            and moment >= closing_instant(found, frozen.get(found.round, ()), zones)
        ]
        decided = _decide(session, plan.id, milestone, closed, tree, threshold, frozen)
        label = round  # None for all rounds together
        for unit_id in tree.order:
            if wanted is not None and unit_id not in wanted:
                continue
            result = _combine(milestone.id, label, unit_id, tree, decided, closed)
            if result.shown or tree.active[unit_id]:
                results.append(result)
    return results


def visible_to(
    session: Session, person_id: int, results: Iterable[GroupResult]
) -> list[GroupResult]:
    """The results this person may read: leaders and VOs their own units and the units below
    them, coordinators the units they coordinate and everything below; anyone else nothing.
    Only active memberships in active units count."""
    allowed: set[str] = set()
    for unit_id, role in roles_of(session, person_id):
        if role in READERS and unit_id not in allowed:
            allowed.add(unit_id)
            allowed.update(
                unit.id for unit in unit_descendants(session, unit_id, include_inactive=True)
            )
    return [result for result in results if result.unit_id in allowed]


# -- the decisions ------------------------------------------------------------------------------

Figures = Counter[tuple[str, str]]  # (question id, value) -> answers


@dataclass
class _Tree:
    names: dict[str, str]
    parents: dict[str, str | None]
    active: dict[str, bool]
    order: list[str]  # by level, then id
    children: dict[str, list[str]] = field(default_factory=dict)
    bottom_up: list[str] = field(default_factory=list)  # every child before its parent

    @classmethod
    def load(cls, session: Session) -> _Tree:
        units = table_of(Unit)
        rows = session.execute(
            select(units.c.id, units.c.name, units.c.parent_id, units.c.active).order_by(
                units.c.level, units.c.id
            )
        ).all()
        return cls.build([(row.id, row.name, row.parent_id, bool(row.active)) for row in rows])

    @classmethod
    def build(cls, rows: Sequence[tuple[str, str, str | None, bool]]) -> _Tree:
        """From (id, name, parent id, active) rows, ordered by level and id."""
        tree = cls(
            names={unit_id: name for unit_id, name, _, _ in rows},
            parents={unit_id: parent for unit_id, _, parent, _ in rows},
            active={unit_id: active for unit_id, _, _, active in rows},
            order=[unit_id for unit_id, _, _, _ in rows],
        )
        roots: list[str] = []
        for unit_id in tree.order:
            parent = tree.parents[unit_id]
            if parent is None or parent not in tree.names or parent == unit_id:
                roots.append(unit_id)
            else:
                tree.children.setdefault(parent, []).append(unit_id)
        top_down: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(roots))
        while stack:  # iterative: a corrupt, very deep tree cannot overflow the stack
            unit_id = stack.pop()
            if unit_id in seen:
                continue
            seen.add(unit_id)
            top_down.append(unit_id)
            stack.extend(reversed(tree.children.get(unit_id, [])))
        tree.bottom_up = list(reversed(top_down))
        return tree


@dataclass
class _RoundDecision:
    """One round: which units are shown (with their subtree figures), and why others are not."""

    figures: dict[str, Figures]
    respondents: dict[str, int]
    reasons: dict[str, Reason]


def _decide(
    session: Session,
    cycle_id: str,
    milestone: Milestone,
    closed: Sequence[PulseRound],
    tree: _Tree,
    threshold: int,
    frozen: dict[str, list[PulseRoundGroup]],
) -> dict[str, _RoundDecision]:
    if not closed:
        return {}
    assert milestone.pulse is not None
    first_question = milestone.pulse.questions[0].id
    direct = _direct_figures(session, cycle_id, milestone.id, [r.round for r in closed])
    live: dict[str, int] | None = None
    decided: dict[str, _RoundDecision] = {}
    for found in closed:
        groups = frozen.get(found.round)
        if groups:  # the tree and the audience as they were at the round's first answer
            round_tree = _frozen_tree(groups, tree)
            population = {group.unit_id: group.audience for group in groups}
        else:  # nobody answered: nothing can be shown, whatever the tree
            if live is None:
                live = audience_by_unit(session, milestone)
            round_tree, population = tree, live
        decided[found.round] = _decide_round(
            direct.get(found.round, {}), population, first_question, round_tree, threshold
        )
    return decided


def _frozen_tree(groups: Sequence[PulseRoundGroup], live: _Tree) -> _Tree:
    ordered = sorted(groups, key=lambda group: group.unit_id)
    return _Tree.build(
        [
            (group.unit_id, live.names.get(group.unit_id, group.unit_id), group.parent_id, True)
            for group in ordered
        ]
    )


def _decide_round(
    direct: dict[str, Figures],
    population: dict[str, int],
    first_question: str,
    tree: _Tree,
    threshold: int,
) -> _RoundDecision:
    subtree: dict[str, Figures] = {}
    count: dict[str, int] = {}  # respondents in the unit and below it
    people: dict[str, int] = {}  # audience members in the unit and below it
    for unit_id in tree.bottom_up:
        figures = Counter(direct.get(unit_id, {}))
        members = population.get(unit_id, 0)
        for child in tree.children.get(unit_id, []):
            figures.update(subtree[child])
            members += people[child]
        subtree[unit_id] = figures
        count[unit_id] = sum(
            n for (question, _), n in figures.items() if question == first_question
        )
        people[unit_id] = members

    # A group in which everyone gave the same answer to a question tells each member's answer:
    # it is treated like a small one (hidden, its answers count only further up).
    shown = {
        unit_id: count[unit_id] >= threshold and not _uniform(subtree[unit_id])
        for unit_id in tree.bottom_up
    }
    reasons = {
        unit_id: Reason.below_threshold if count[unit_id] < threshold else Reason.derivable
        for unit_id, ok in shown.items()
        if not ok
    }
    below: dict[str, list[str]] = {}  # a shown unit's nearest shown units below it
    rest: dict[str, tuple[int, int]] = {}  # a shown unit's rest: (answers, audience members)

    for unit_id in tree.bottom_up:
        if not shown[unit_id]:
            continue
        # Counts only grow upwards, so nothing below a unit under the threshold is shown: the
        # nearest shown units are shown children, or what hid children had below them.
        nearest = [child for child in tree.children.get(unit_id, []) if shown[child]]
        answers = count[unit_id] - sum(count[other] for other in nearest)
        members = people[unit_id] - sum(people[other] for other in nearest)
        while not _safe_rest(answers, members, subtree, unit_id, nearest, threshold):
            # A rest of 1..threshold-1 (or 0 of some people), or one where everyone answered
            # alike, would be revealed by subtraction. The unit itself is a safe rest (it is
            # shown), so this ends at the latest when every unit below it is hidden.
            smallest = min(nearest, key=lambda other: (count[other], other))
            shown[smallest] = False
            reasons[smallest] = Reason.derivable
            nearest.remove(smallest)
            nearest.extend(below.pop(smallest))
            hidden_answers, hidden_members = rest.pop(smallest)
            answers += hidden_answers
            members += hidden_members
        below[unit_id] = nearest
        rest[unit_id] = (answers, members)

    return _RoundDecision(
        figures={unit_id: subtree[unit_id] for unit_id in below},
        respondents={unit_id: count[unit_id] for unit_id in below},
        reasons=reasons,
    )


def _uniform(figures: Figures) -> bool:
    """Whether every answer to some question is the same value (each member's answer known)."""
    values: dict[str, int] = {}
    for (question, _), n in figures.items():
        if n > 0:
            values[question] = values.get(question, 0) + 1
    return any(distinct == 1 for distinct in values.values())


def _safe_rest(
    answers: int,
    members: int,
    subtree: dict[str, Figures],
    unit_id: str,
    nearest: list[str],
    threshold: int,
) -> bool:
    if answers == 0:
        return members == 0
    if answers < threshold:
        return False
    rest = Counter(subtree[unit_id])
    for other in nearest:
        rest.subtract(subtree[other])
    return not _uniform(rest)


def _direct_figures(
    session: Session, cycle_id: str, pulse_id: str, rounds: list[str]
) -> dict[str, dict[str, Figures]]:
    """round -> unit -> (question, value) -> answers, counted by the database."""
    answers = table_of(PulseAnswer)
    rows = session.execute(
        select(
            answers.c.round,
            answers.c.unit_id,
            answers.c.question_id,
            answers.c.value,
            func.count().label("n"),
        )
        .where(
            answers.c.cycle_id == cycle_id,
            answers.c.pulse_id == pulse_id,
            answers.c.round.in_(rounds),
        )
        .group_by(answers.c.round, answers.c.unit_id, answers.c.question_id, answers.c.value)
    )
    found: dict[str, dict[str, Figures]] = {}
    for round_id, unit_id, question_id, value, n in rows.all():
        units = found.get(round_id)
        if units is None:
            units = found[round_id] = {}
        figures = units.get(unit_id)
        if figures is None:
            figures = units[unit_id] = Counter()
        figures[(question_id, value)] = n
    return found


def _combine(
    pulse_id: str,
    label: str | None,
    unit_id: str,
    tree: _Tree,
    decided: dict[str, _RoundDecision],
    closed: Sequence[PulseRound],
) -> GroupResult:
    name = tree.names[unit_id]
    if not closed:
        return GroupResult(pulse_id, label, unit_id, name, shown=False, reason=Reason.not_closed)
    figures: Figures = Counter()
    respondents = 0
    included: list[str] = []
    for found in closed:
        decision = decided[found.round]
        if unit_id in decision.figures:
            figures.update(decision.figures[unit_id])
            respondents += decision.respondents[unit_id]
            included.append(found.round)
    if not included:
        reason = decided[closed[-1].round].reasons.get(unit_id, Reason.below_threshold)
        return GroupResult(pulse_id, label, unit_id, name, shown=False, reason=reason)
    questions = closed[0].questions
    return GroupResult(
        pulse_id,
        label,
        unit_id,
        name,
        shown=True,
        respondents=respondents,
        questions=tuple(_question(question, figures) for question in questions),
        rounds=tuple(included),
    )


def _question(question: PulseQuestion, figures: Figures) -> QuestionResult:
    values = SCALE_VALUES[question.scale]
    distribution = {value: figures.get((question.id, value), 0) for value in values}
    mean: float | None = None
    if question.scale == "1-5":
        total = sum(distribution.values())
        if total:
            mean = round(sum(int(value) * n for value, n in distribution.items()) / total, 2)
    return QuestionResult(question.id, question.scale, distribution, mean)
