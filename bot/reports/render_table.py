"""The report as Rich tables on a console (`arkbot report`, the default format).

Totals first (summary, progress per phase, action items by state, pulse trends), then one row
per unit, then every failed delivery with its reason. Each unit's details (tasks with dates and
archive references, VO points, action items, pulse results) follow when the report covers at
most `DETAIL_LIMIT` units, or when asked for; a whole organisation reads better as HTML or CSV.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.escape import rich_text as escape
from bot.escape import strip_controls
from bot.i18n.catalog import normalise_locale, t
from bot.reports import words
from bot.reports.model import ACTION_STATES, TASK_STATES, Report, UnitReport, vo_state

DETAIL_LIMIT = 20


def _table(title: str, *columns: str, numeric: Collection[int] | None = None) -> Table:
    """A table whose `numeric` columns (by index; default: all but the first) align right."""
    right = range(1, len(columns)) if numeric is None else numeric
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for index, column in enumerate(columns):
        table.add_column(column, justify="right" if index in right else "left")
    return table


def render_table(
    report: Report, console: Console, *, locale: str, details: bool | None = None
) -> None:
    """Print the report; `details` None shows each unit's details up to `DETAIL_LIMIT` units."""
    locale = normalise_locale(locale)
    console.print(Text(words.title(report, locale), style="bold"))
    console.print(words.generated(report, locale) + " · " + words.scope(report, locale))
    console.print(Text(words.privacy(report, locale), style="dim"))
    console.print()
    if not report.units:
        console.print(t(locale, "report.no_units"))
        return

    summary = _table(
        t(locale, "report.section.summary"),
        t(locale, "report.column.what"),
        t(locale, "report.column.count"),
    )
    for _, label, number in words.summary_rows(report, locale):
        summary.add_row(escape(label), str(number))
    console.print(summary)

    phases = _table(
        t(locale, "report.section.phases"),
        t(locale, "report.column.phase"),
        *(words.task_column(state, locale) for state in TASK_STATES),
        t(locale, "report.column.total"),
    )
    for progress in report.totals.phases:
        label = f"{words.phase(progress.phase, locale)}: {words.phase_name(progress.phase, locale)}"
        phases.add_row(
            escape(label),
            *(str(progress.tasks.counts[state]) for state in TASK_STATES),
            str(progress.tasks.total),
        )
    console.print(phases)

    actions = _table(
        t(locale, "report.section.actions"),
        t(locale, "report.column.state"),
        t(locale, "report.column.count"),
    )
    for state in ACTION_STATES:
        actions.add_row(
            escape(words.action_state(state, locale)), str(report.totals.actions[state])
        )
    actions.add_row(t(locale, "report.column.total"), str(report.totals.action_total))
    console.print(actions)

    _print_trends(report, console, locale)
    _print_units(report, console, locale)
    _print_failures(report, console, locale)

    show_details = len(report.units) <= DETAIL_LIMIT if details is None else details
    if show_details:
        for unit in report.units:
            _print_unit_details(unit, console, locale)
    else:
        console.print(Text(t(locale, "report.details_hint", limit=DETAIL_LIMIT), style="dim"))


def _print_trends(report: Report, console: Console, locale: str) -> None:
    if not report.trends:
        console.print(Text(t(locale, "report.section.pulse") + ": " + t(locale, "report.no_pulse")))
        console.print()
        return
    table = _table(
        t(locale, "report.section.pulse"),
        t(locale, "report.column.question"),
        *(words.round_label(pulse_round, locale) for pulse_round in report.rounds),
    )
    for number, trend in enumerate(report.trends, start=1):
        points = words.trend_points(trend)
        label = (
            f"{words.question_label(number, locale)}: {words.question_text(trend.question, locale)}"
        )
        table.add_row(
            escape(label),
            *(
                words.trend_cell(points.get(pulse_round.key), locale)
                for pulse_round in report.rounds
            ),
        )
    console.print(table)
    console.print(Text(t(locale, "report.trend_note"), style="dim"))
    console.print()


def _print_units(report: Report, console: Console, locale: str) -> None:
    headers = [
        t(locale, "report.column.unit"),
        t(locale, "report.column.level"),
        words.task_column("done", locale),
        words.task_column("done_late", locale),
        t(locale, "report.column.open"),
        words.task_column("late", locale),
        t(locale, "report.column.vo"),
        t(locale, "report.column.actions"),
        t(locale, "report.column.sent"),
        t(locale, "report.column.failed"),
    ]
    rows = []
    for unit in report.units:
        counts = unit.task_counts()
        rows.append(
            [
                "  " * unit.depth + strip_controls(unit.name),
                str(unit.level),
                str(counts["done"]),
                str(counts["done_late"]),
                str(counts["due"] + counts["late"]),
                str(counts["late"]),
                words.unit_vo_text(unit, locale),
                words.unit_actions_text(unit, locale),
                str(unit.delivery.sent),
                str(unit.delivery.failed),
            ]
        )
    _print_grid(
        console, t(locale, "report.section.units"), headers, rows, numeric=(1, 2, 3, 4, 5, 8, 9)
    )


def _print_grid(
    console: Console,
    title: str,
    headers: list[str],
    rows: list[list[str]],
    *,
    numeric: Collection[int],
) -> None:
    """A table drawn like Rich's default (heavy head) for any number of rows, fast.

    Rich lays out every cell of a `Table` as a renderable, which takes a second for a
    thousand units; these rows are plain text of one line, so the widths are simply counted.
    """
    widths = [cell_len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], cell_len(cell))

    def line(cells: list[str], left: str, middle: str, right: str) -> str:
        padded = [
            (" " * (width - cell_len(cell)) + cell)
            if index in numeric
            else (cell + " " * (width - cell_len(cell)))
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return left + " " + f" {middle} ".join(padded) + " " + right

    def border(left: str, middle: str, right: str, fill: str) -> str:
        return left + middle.join(fill * (width + 2) for width in widths) + right

    out = Text(no_wrap=True, overflow="ignore")
    out.append(title + "\n", style="bold")
    out.append(border("┏", "┳", "┓", "━") + "\n")
    out.append("┃ ")
    for index, (header, width) in enumerate(zip(headers, widths, strict=True)):
        if index:
            out.append(" ┃ ")
        pad = " " * (width - cell_len(header))
        out.append(pad + header if index in numeric else header, style="bold")
        if index not in numeric:
            out.append(pad)
    out.append(" ┃\n")
    out.append(border("┡", "╇", "┩", "━") + "\n")
    out.append("".join(line(row, "│", "│", "│") + "\n" for row in rows))
    out.append(border("└", "┴", "┘", "─"))
    console.print(out, soft_wrap=True)


def _print_failures(report: Report, console: Console, locale: str) -> None:
    failing = [unit for unit in report.units if unit.delivery.failed]
    if not failing:
        console.print(t(locale, "report.section.failures") + ": " + t(locale, "report.no_failures"))
        console.print()
        return
    headers = [
        t(locale, "report.column.unit"),
        t(locale, "report.column.reason"),
        t(locale, "report.column.count"),
    ]
    rows = [
        [
            strip_controls(unit.name),
            strip_controls(words.reason(reason.reason, locale)),
            str(reason.count),
        ]
        for unit in failing
        for reason in unit.delivery.reasons
    ]
    _print_grid(console, t(locale, "report.section.failures"), headers, rows, numeric=(2,))


def _print_unit_details(unit: UnitReport, console: Console, locale: str) -> None:
    heading = t(locale, "report.unit_heading", unit=strip_controls(unit.name), level=unit.level)
    console.rule(Text(heading, style="bold"), align="left")
    tasks = _table(
        t(locale, "report.section.tasks"),
        t(locale, "report.column.task"),
        t(locale, "report.column.phase"),
        t(locale, "report.column.state"),
        t(locale, "report.column.due"),
        t(locale, "report.column.done_on"),
        t(locale, "report.column.done_by"),
        t(locale, "report.column.archive_ref"),
        numeric=(),
    )
    for task in unit.tasks:
        tasks.add_row(
            escape(task.title.get(locale)),
            str(task.phase),
            escape(words.task_state(task.state, locale)),
            words.day(task.due_on, locale),
            words.day(task.done_on, locale),
            escape(task.done_by or ""),
            escape(task.archive_ref or ""),
        )
    console.print(tasks if unit.tasks else t(locale, "report.no_tasks"))

    if unit.vo_points:
        points = _table(
            t(locale, "report.section.vo_points"),
            t(locale, "report.column.point"),
            t(locale, "report.column.state"),
            t(locale, "report.column.confirm_by"),
            t(locale, "report.column.answered_on"),
            t(locale, "report.column.involved_on"),
            t(locale, "report.column.comment"),
            numeric=(),
        )
        for point in unit.vo_points:
            points.add_row(
                escape(point.title.get(locale)),
                escape(words.vo_state(vo_state(point), locale)),
                words.day(point.confirm_by, locale),
                words.day(point.answered_on, locale),
                words.day(point.involved_on, locale),
                escape(point.comment or ""),
            )
        console.print(points)
    else:
        console.print(t(locale, "report.no_vo"))

    if unit.actions:
        actions = _table(
            t(locale, "report.section.unit_actions"),
            t(locale, "report.column.action"),
            t(locale, "report.column.state"),
            t(locale, "report.column.owner"),
            t(locale, "report.column.due"),
            t(locale, "report.column.area"),
            t(locale, "report.column.note"),
            numeric=(),
        )
        for item in unit.actions:
            actions.add_row(
                escape(item.title),
                escape(words.action_state(item.state, locale)),
                escape(item.owner or ""),
                words.day(item.due_on, locale),
                escape(words.action_area(item.area, locale)),
                escape(item.note or ""),
            )
        console.print(actions)
    else:
        console.print(t(locale, "report.no_actions"))

    if unit.pulses:
        pulses = _table(
            t(locale, "report.section.unit_pulse"),
            t(locale, "report.column.round"),
            t(locale, "report.column.question"),
            t(locale, "report.column.respondents"),
            t(locale, "report.column.figure"),
            t(locale, "report.column.distribution"),
            numeric=(2, 3),
        )
        for result in unit.pulses:
            for question in result.questions:
                figure = words.question_figure(question, locale)
                pulses.add_row(
                    escape(words.round_label(result.round, locale)),
                    escape(words.question_text(question.question, locale)),
                    str(result.respondents),
                    figure,
                    escape(words.distribution_text(question.distribution, locale)),
                )
        console.print(pulses)

    health = t(
        locale,
        "report.delivery_line",
        sent=unit.delivery.sent,
        failed=unit.delivery.failed,
    )
    console.print(health)
    console.print()
