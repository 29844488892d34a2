"""The report's words: labels from the catalogue (`report.*`), numbers and dates as read.

The table and the HTML page both format through here, so a number reads the same in both.
Labels are cached per (value, locale): a report of a thousand units asks for the same few
words tens of thousands of times. Pass a normalised locale ("nb" or "en").
"""

from __future__ import annotations

from datetime import date
from functools import cache

from babel.dates import format_date

from bot.i18n.catalog import _BABEL_LOCALE, catalogue, format_day, normalise_locale, t
from bot.overview import TaskState
from bot.reports.model import (
    ACTION_STATES,
    PulseQuestion,
    PulseRound,
    QuestionResult,
    QuestionTrend,
    Report,
    TrendPoint,
    UnitReport,
    VoState,
)
from storage.models import ActionArea, ActionState


@cache
def task_state(state: TaskState, locale: str) -> str:
    return t(locale, f"report.task_state.{state}")


@cache
def task_column(state: TaskState, locale: str) -> str:
    """A short heading for a count of tasks in this state (columns, chart legends)."""
    return t(locale, f"report.task_column.{state}")


@cache
def vo_state(state: VoState, locale: str) -> str:
    return t(locale, f"report.vo_state.{state}")


@cache
def action_state(state: ActionState, locale: str) -> str:
    return t(locale, f"action_state.{state.value}")


@cache
def action_area(area: ActionArea, locale: str) -> str:
    return t(locale, f"report.action_area.{area.value}")


@cache
def phase(number: int, locale: str) -> str:
    return t(locale, "report.phase", phase=number)


@cache
def phase_name(number: int, locale: str) -> str:
    names = {
        1: t(locale, "report.phase_name.1"),
        2: t(locale, "report.phase_name.2"),
        3: t(locale, "report.phase_name.3"),
        4: t(locale, "report.phase_name.4"),
        5: t(locale, "report.phase_name.5"),
    }
    return names.get(number, phase(number, locale))


@cache
def _medium(day: date, locale: str) -> str:
    return str(format_date(day, format="medium", locale=_BABEL_LOCALE[locale]))


def day(value: date | None, locale: str) -> str:
    """A date, compact ("20. mars 2024" / "20 Mar 2024"); "" for none."""
    return _medium(value, locale) if value is not None else ""


def decimal(value: float | None, locale: str, digits: int = 1) -> str:
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if locale == "nb" else text


def percent(share: float | None, locale: str) -> str:
    if share is None:
        return ""
    return t(locale, "report.percent", value=f"{round(share * 100)}")


def round_label(pulse_round: PulseRound, locale: str) -> str:
    if pulse_round.opens_on is not None:
        return t(locale, "report.round_dated", date=day(pulse_round.opens_on, locale))
    return t(locale, "report.round_named", pulse=pulse_round.pulse_id, round=pulse_round.round)


def question_text(question: PulseQuestion, locale: str) -> str:
    return question.text.get(locale) if question.text else question.question_id


@cache
def question_label(number: int, locale: str) -> str:
    return t(locale, "report.question", number=number)


def reason(text: str | None, locale: str) -> str:
    if not text:
        return t(locale, "report.unknown_reason")
    known = f"security.reason.{text}"  # arkbot's own reasons (workspace removed, …) in words
    return t(locale, known) if known in catalogue(normalise_locale(locale)) else text


def scope(report: Report, locale: str) -> str:
    if report.scope.kind == "unit":
        unit = report.scope.unit_name or report.scope.unit_id or ""
        return t(locale, "report.scope_unit", unit=unit, count=report.totals.units)
    return t(locale, "report.scope_all", count=report.totals.units)


def title(report: Report, locale: str) -> str:
    return t(locale, "report.title", plan=report.plan_name.get(normalise_locale(locale)))


def generated(report: Report, locale: str) -> str:
    return t(locale, "report.generated", date=format_day(report.generated_on, locale))


def privacy(report: Report, locale: str) -> str:
    if not report.pulses_available:
        return t(locale, "report.pulses_unavailable")
    return t(locale, "report.privacy", min_group=report.min_group)


# ── figures shared by the table and the HTML page ─────────────────────────────────────────


def summary_rows(report: Report, locale: str) -> list[tuple[str, str, int]]:
    """(key, label, number) for the summary; the table and the HTML page show these rows."""
    totals = report.totals
    return [
        ("units", t(locale, "report.summary.units"), totals.units),
        ("tasks_on_time", t(locale, "report.summary.on_time"), totals.tasks.on_time),
        ("tasks_done_late", t(locale, "report.summary.done_late"), totals.tasks.done_late),
        ("tasks_open", t(locale, "report.summary.open"), totals.tasks.open),
        ("tasks_late", t(locale, "report.summary.late"), totals.tasks.late),
        ("tasks_upcoming", t(locale, "report.summary.upcoming"), totals.tasks.counts["upcoming"]),
        ("vo_confirmed", t(locale, "report.summary.vo_confirmed"), totals.vo.confirmed),
        ("vo_partly", t(locale, "report.summary.vo_partly"), totals.vo.partly),
        ("vo_overdue", t(locale, "report.summary.vo_overdue"), totals.vo.overdue),
        ("vo_total", t(locale, "report.summary.vo_total"), totals.vo.total),
        ("actions", t(locale, "report.summary.actions"), totals.action_total),
        ("sent", t(locale, "report.summary.sent"), totals.sent),
        ("failed", t(locale, "report.summary.failed"), totals.failed),
    ]


def trend_cell(point: TrendPoint | None, locale: str) -> str:
    """A question's figure in one round: the mean (1–5) or the share of "yes", with n."""
    if point is None:
        return ""
    figure = percent(point.yes_share, locale) if point.mean is None else decimal(point.mean, locale)
    return t(locale, "report.trend_cell", figure=figure, count=point.respondents)


def trend_points(trend: QuestionTrend) -> dict[str, TrendPoint]:
    return {point.round.key: point for point in trend.points}


def unit_vo_text(unit: UnitReport, locale: str) -> str:
    if not unit.vo_points:
        return t(locale, "report.vo_none_short")
    counts = unit.vo_counts()
    return t(
        locale,
        "report.vo_cell",
        confirmed=counts["yes"],
        partly=counts["partly"],
        overdue=counts["overdue"],
        total=len(unit.vo_points),
    )


def unit_actions_text(unit: UnitReport, locale: str) -> str:
    counts = unit.action_counts()
    parts = [
        f"{counts[state]} {action_state(state, locale)}" for state in ACTION_STATES if counts[state]
    ]
    return " · ".join(parts) if parts else "–"


def question_figure(question: QuestionResult, locale: str) -> str:
    """A group's figure for one question: the mean (1–5) or the share of "yes"."""
    if question.mean is not None:
        return decimal(question.mean, locale)
    return percent(question.yes_share, locale)


def distribution_text(distribution: tuple[tuple[str, int], ...], locale: str) -> str:
    """ "1: 0 · 2: 1 · …" or "ja: 4 · nei: 1 · usikker: 0"."""
    return " · ".join(f"{answer_word(value, locale)}: {count}" for value, count in distribution)


@cache
def answer_word(value: str, locale: str) -> str:
    return {
        "yes": t(locale, "report.answer.yes"),
        "no": t(locale, "report.answer.no"),
        "unsure": t(locale, "report.answer.unsure"),
    }.get(value, value)
