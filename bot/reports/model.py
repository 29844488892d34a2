"""The coordinator's report as data: built once from the database, rendered three ways.

Everything a renderer shows is here, already counted, so the table, the CSV file and the HTML
page cannot disagree: they read the same numbers. Per unit the report holds the unit's
`UnitStatus` from `bot.overview` (tasks, VO meeting points, action items — the very objects the
App Home and `/ark report` read), its delivery health and the pulse results that may be shown.
`Totals` sums them in the same way `bot.slack.home.report_blocks` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.overview import ActionItemStatus, TaskState, TaskStatus, UnitStatus, VoPointStatus
from schedules.plan import Text
from storage.models import ActionState, VoAnswer

# The order task states are counted and drawn in (stacked bars, columns, CSV codes).
TASK_STATES: tuple[TaskState, ...] = ("done", "done_late", "due", "late", "upcoming", "unknown")
ACTION_STATES: tuple[ActionState, ...] = tuple(ActionState)
PHASES: tuple[int, ...] = (1, 2, 3, 4, 5)

# How a VO meeting point stands, one word: the answer when it shows involvement, else overdue
# when the confirm-by day has passed, else the answer given (not_yet) or none at all (waiting).
VoState = Literal["yes", "partly", "not_yet", "waiting", "overdue"]
VO_STATES: tuple[VoState, ...] = ("yes", "partly", "not_yet", "waiting", "overdue")


def vo_state(point: VoPointStatus) -> VoState:
    if point.answer is VoAnswer.yes:
        return "yes"
    if point.answer is VoAnswer.partly:
        return "partly"
    if point.overdue:
        return "overdue"
    return "not_yet" if point.answer is VoAnswer.not_yet else "waiting"


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What the report covers: the area (every active unit: `arkbot report` runs for the
    coordinator of the whole directory), or one unit and every active unit below it."""

    kind: Literal["area", "unit"]
    unit_id: str | None = None
    unit_name: str | None = None


@dataclass(frozen=True, slots=True)
class FailureReason:
    reason: str | None  # the error the transport gave; None when none was recorded
    count: int


@dataclass(frozen=True, slots=True)
class DeliveryHealth:
    """Nudges of this cycle for the unit's people: how many went out, how many failed, why."""

    sent: int = 0
    failed: int = 0
    reasons: tuple[FailureReason, ...] = ()


@dataclass(frozen=True, slots=True)
class PulseRound:
    """One round of one pulse ("p2" of "pulse-autumn"), opening on `opens_on` when known."""

    pulse_id: str
    round: str
    opens_on: date | None
    title: Text | None  # the pulse milestone's title; None for a pulse the plan does not name

    @property
    def key(self) -> str:
        return f"{self.pulse_id}:{self.round}"


@dataclass(frozen=True, slots=True)
class PulseQuestion:
    question_id: str
    text: Text | None  # from the plan; None for a question the plan does not name
    scale: Literal["1-5", "yes_no_unsure"] | None


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: PulseQuestion
    distribution: tuple[tuple[str, int], ...]  # (value, answers), in the scale's order
    mean: float | None  # 1–5 questions; None for yes/no/unsure

    @property
    def answers(self) -> int:
        return sum(count for _, count in self.distribution)

    @property
    def yes_share(self) -> float | None:
        """The share of "yes" among the answers (0–1), for yes/no/unsure questions."""
        if self.question.scale == "1-5" or not self.answers:
            return None
        return dict(self.distribution).get("yes", 0) / self.answers


@dataclass(frozen=True, slots=True)
class PulseResult:
    """A group's result for one round; only groups the aggregation allows to show get here."""

    round: PulseRound
    unit_id: str
    unit_name: str
    respondents: int
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    round: PulseRound
    respondents: int  # answers to this question over the groups shown in the round
    mean: float | None
    yes_share: float | None


@dataclass(frozen=True, slots=True)
class QuestionTrend:
    """A question across rounds: the answers of every group shown, taken together."""

    question: PulseQuestion
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class UnitReport:
    status: UnitStatus  # from bot.overview, as the App Home has it
    parent_id: str | None
    depth: int  # 0 for the scope's top units
    delivery: DeliveryHealth
    pulses: tuple[PulseResult, ...] = ()

    @property
    def unit_id(self) -> str:
        return self.status.unit_id

    @property
    def name(self) -> str:
        return self.status.name

    @property
    def level(self) -> int:
        return self.status.level

    @property
    def tasks(self) -> list[TaskStatus]:
        return self.status.tasks

    @property
    def vo_points(self) -> list[VoPointStatus]:
        return self.status.vo_points

    @property
    def actions(self) -> list[ActionItemStatus]:
        return self.status.actions

    def task_counts(self) -> dict[TaskState, int]:
        return _count_tasks(self.tasks)

    def vo_counts(self) -> dict[VoState, int]:
        counts = dict.fromkeys(VO_STATES, 0)
        for point in self.vo_points:
            counts[vo_state(point)] += 1
        return counts

    def action_counts(self) -> dict[ActionState, int]:
        counts = dict.fromkeys(ACTION_STATES, 0)
        for item in self.actions:
            counts[item.state] += 1
        return counts


def _count_tasks(tasks: list[TaskStatus]) -> dict[TaskState, int]:
    counts = dict.fromkeys(TASK_STATES, 0)
    for task in tasks:
        counts[task.state] += 1
    return counts


@dataclass(frozen=True, slots=True)
class TaskTotals:
    """Task milestones over units, counted like `/ark report`: open = due + late."""

    counts: Mapping[TaskState, int]

    @property
    def on_time(self) -> int:
        return self.counts["done"]

    @property
    def done_late(self) -> int:
        return self.counts["done_late"]

    @property
    def open(self) -> int:
        return self.counts["due"] + self.counts["late"]

    @property
    def late(self) -> int:
        return self.counts["late"]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class PhaseProgress:
    phase: int
    tasks: TaskTotals


@dataclass(frozen=True, slots=True)
class VoTotals:
    counts: Mapping[VoState, int]

    @property
    def confirmed(self) -> int:
        return self.counts["yes"]

    @property
    def partly(self) -> int:
        return self.counts["partly"]

    @property
    def overdue(self) -> int:
        return self.counts["overdue"]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Totals:
    units: int
    tasks: TaskTotals
    phases: tuple[PhaseProgress, ...]  # phases with at least one task for a unit in scope
    vo: VoTotals
    actions: Mapping[ActionState, int]
    sent: int
    failed: int

    @property
    def action_total(self) -> int:
        return sum(self.actions.values())


@dataclass(frozen=True, slots=True)
class Report:
    generated_on: date
    cycle_id: str
    plan_name: Text
    scope: ReportScope
    min_group: int
    units: tuple[UnitReport, ...]
    totals: Totals
    rounds: tuple[PulseRound, ...] = ()  # rounds with a result shown, in order
    trends: tuple[QuestionTrend, ...] = ()
    pulses_available: bool = True  # False: pulse aggregation is not installed


def totals_of(units: tuple[UnitReport, ...]) -> Totals:
    """The scope's totals, summed from the units (never counted separately)."""
    tasks = dict.fromkeys(TASK_STATES, 0)
    by_phase: dict[int, dict[TaskState, int]] = {}
    vo = dict.fromkeys(VO_STATES, 0)
    actions = dict.fromkeys(ACTION_STATES, 0)
    sent = failed = 0
    for unit in units:
        for task in unit.tasks:
            tasks[task.state] += 1
            by_phase.setdefault(task.phase, dict.fromkeys(TASK_STATES, 0))[task.state] += 1
        for state, count in unit.vo_counts().items():
            vo[state] += count
        for item in unit.actions:
            actions[item.state] += 1
        sent += unit.delivery.sent
        failed += unit.delivery.failed
    phases = tuple(
        PhaseProgress(phase, TaskTotals(counts)) for phase, counts in sorted(by_phase.items())
    )
    return Totals(
        units=len(units),
        tasks=TaskTotals(tasks),
        phases=phases,
        vo=VoTotals(vo),
        actions=actions,
        sent=sent,
        failed=failed,
    )
