"""The report's charts, drawn with matplotlib and handed over as inline SVG.

No pyplot and no global backend switch: each chart is a `Figure` on an Agg canvas, saved as
SVG. The SVG is made embeddable: no XML prologue, no metadata, ids prefixed per chart so
several charts can share one page, and its size left to the page's CSS. Text stays text (it
scales, can be selected and read by a screen reader) in the reader's own sans-serif font.

The layout is computed here from the number of legend entries and the length of the labels
rather than by matplotlib's layout engines, which measure every text twice: that halves the
time a chart takes, and a report of a thousand units must be ready in under two seconds.
"""

from __future__ import annotations

import io
import re
import textwrap
from typing import TYPE_CHECKING, Any

from bot.i18n.catalog import t
from bot.overview import TaskState
from bot.reports import words
from bot.reports.model import ACTION_STATES, TASK_STATES, QuestionTrend, Report, TrendPoint
from storage.models import ActionState

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TASK_COLOURS: dict[TaskState, str] = {
    "done": "#009E73",
    "done_late": "#E69F00",
    "due": "#56B4E9",
    "late": "#D55E00",
    "upcoming": "#D9D9D9",
    "unknown": "#8C8C8C",
}
ACTION_COLOURS: dict[ActionState, str] = {
    ActionState.open: "#56B4E9",
    ActionState.on_track: "#009E73",
    ActionState.delayed: "#E69F00",
    ActionState.done: "#0072B2",
    ActionState.dropped: "#8C8C8C",
}
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
MARKERS = ("o", "s", "^", "D", "v")
WIDTH = 5.0  # inches; the page scales the SVG to the screen
CHAR = 0.075  # inches: about the width of one character at 10 pt
LINE = 0.2  # inches: one line of 9–10 pt text

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "arkbot-report",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titlelocation": "left",
    "legend.frameon": False,
}
FONTS = "'DejaVu Sans', Verdana, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_SIZE = re.compile(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r"#([A-Za-z_][\w.-]*)")


def _embeddable(svg: str, prefix: str, label: str) -> str:
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = _METADATA.sub("", svg)
    svg = _COMMENT.sub("", svg)
    for _ in range(2):  # width and height, in whichever order
        svg = _SIZE.sub(r"\1", svg, count=1)
    svg = svg.replace("'DejaVu Sans'", FONTS)
    ids = set(_ID.findall(svg))
    if ids:
        svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
        svg = _REFERENCE.sub(
            lambda m: f"#{prefix}-{m.group(1)}" if m.group(1) in ids else m.group(0), svg
        )
    attributes = f' role="img" aria-label="{_attribute(label)}" class="chart-svg"'
    return svg.replace("<svg", "<svg" + attributes, 1).strip()


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _save(figure: Figure, prefix: str, label: str) -> str:
    buffer = io.StringIO()
    figure.savefig(
        buffer,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    return _embeddable(buffer.getvalue(), prefix, label)


def _figure(height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, height))
    FigureCanvasAgg(figure)
    return figure


def _margins(
    figure: Figure, height: float, *, left: float, bottom: float, top: float = 0.45
) -> None:
    """Margins in inches, turned into the figure fractions matplotlib wants."""
    figure.subplots_adjust(
        left=left / WIDTH, right=1 - 0.25 / WIDTH, bottom=bottom / height, top=1 - top / height
    )


def _integer_axis(axes: Axes, axis: str) -> None:
    from matplotlib.ticker import MaxNLocator

    (axes.yaxis if axis == "y" else axes.xaxis).set_major_locator(MaxNLocator(integer=True))


def phases_svg(report: Report, locale: str) -> str:
    """Stacked bars: every unit's task milestones per phase, by state."""
    import matplotlib

    phases = report.totals.phases
    title = t(locale, "report.chart.phases")
    states = [s for s in TASK_STATES if any(p.tasks.counts[s] for p in phases)]
    legend_rows = -(-len(states) // 3)
    height = 2.9 + legend_rows * LINE
    with matplotlib.rc_context(_RC):
        figure = _figure(height)
        _margins(figure, height, left=0.6, bottom=0.45 + legend_rows * LINE + 0.15)
        axes = figure.add_subplot()
        positions = list(range(len(phases)))
        bottoms = [0] * len(phases)
        for state in states:
            heights = [progress.tasks.counts[state] for progress in phases]
            axes.bar(
                positions,
                heights,
                bottom=bottoms,
                color=TASK_COLOURS[state],
                label=words.task_column(state, locale),
                width=0.62,
                edgecolor="white",
                linewidth=0.6,
            )
            bottoms = [base + height for base, height in zip(bottoms, heights, strict=True)]
        for position, progress in zip(positions, phases, strict=True):
            axes.annotate(
                str(progress.tasks.total),
                (position, progress.tasks.total),
                ha="center",
                va="bottom",
                xytext=(0, 2),
                textcoords="offset points",
                fontsize=9,
            )
        axes.set_xticks(positions, [words.phase(p.phase, locale) for p in phases])
        axes.set_ylabel(t(locale, "report.chart.tasks_axis"))
        axes.set_title(title)
        axes.margins(y=0.12)
        _integer_axis(axes, "y")
        if states:
            figure.legend(loc="lower center", bbox_to_anchor=(0.5, 0.01), ncols=3, fontsize=9)
        return _save(figure, "phases", title)


def actions_svg(report: Report, locale: str) -> str:
    """Horizontal bars: action items by state."""
    import matplotlib

    title = t(locale, "report.chart.actions")
    states = list(ACTION_STATES)
    labels = [words.action_state(state, locale) for state in states]
    counts = [report.totals.actions[state] for state in states]
    height = 2.7
    with matplotlib.rc_context(_RC):
        figure = _figure(height)
        _margins(figure, height, left=0.25 + CHAR * max(map(len, labels)), bottom=0.6)
        axes = figure.add_subplot()
        positions = list(range(len(states)))[::-1]
        axes.barh(
            positions,
            counts,
            color=[ACTION_COLOURS[state] for state in states],
            height=0.62,
        )
        for position, count in zip(positions, counts, strict=True):
            axes.annotate(
                str(count),
                (count, position),
                ha="left",
                va="center",
                xytext=(3, 0),
                textcoords="offset points",
                fontsize=9,
            )
        axes.set_yticks(positions, labels)
        axes.set_xlabel(t(locale, "report.chart.actions_axis"))
        axes.set_title(title)
        axes.margins(x=0.12)
        _integer_axis(axes, "x")
        return _save(figure, "actions", title)


def _figure_of(point: TrendPoint, is_share: bool) -> float | None:
    if is_share:
        return point.yes_share * 100 if point.yes_share is not None else None
    return point.mean


def _legend_label(number: int, trend: QuestionTrend, locale: str) -> str:
    text = textwrap.shorten(words.question_text(trend.question, locale), width=52, placeholder="…")
    return f"{number}. {text}"


def pulse_svg(report: Report, locale: str) -> str | None:
    """Lines over rounds: the mean of each 1–5 question, the share of "yes" of the others.

    One panel per kind of question, each with its legend below it. None when no round has a
    result that may be shown."""
    import matplotlib

    if not report.trends or not report.rounds:
        return None
    numbered = list(enumerate(report.trends, start=1))
    means = [(n, trend) for n, trend in numbered if trend.question.scale != "yes_no_unsure"]
    shares = [(n, trend) for n, trend in numbered if trend.question.scale == "yes_no_unsure"]
    panels = [(panel, panel is shares) for panel in (means, shares) if panel]
    title = t(locale, "report.chart.pulse")
    # "12. feb.\n2024": the year on a line of its own keeps the labels level and apart.
    labels = [
        "\n".join(words.round_label(pulse_round, locale).rsplit(" ", 1))
        for pulse_round in report.rounds
    ]
    index = {pulse_round.key: i for i, pulse_round in enumerate(report.rounds)}
    plot, ticks, top = 2.0, 0.55, 0.45  # inches: plotting area, tick labels, title
    heights = [plot + ticks + LINE * len(panel) + 0.25 for panel, _ in panels]
    height = top + sum(heights)
    with matplotlib.rc_context(_RC):
        figure = _figure(height)
        left, right = 0.6 / WIDTH, 1 - 0.25 / WIDTH
        y = height - top  # the top of the next panel, in inches from the bottom
        first = None
        for (panel, is_share), panel_height in zip(panels, heights, strict=True):
            axes = figure.add_axes((left, (y - plot) / height, right - left, plot / height))
            first = first or axes
            for number, trend in panel:
                points = [
                    (index[point.round.key], value)
                    for point in trend.points
                    if (value := _figure_of(point, is_share)) is not None
                ]
                if not points:
                    continue
                axes.plot(
                    [x for x, _ in points],
                    [value for _, value in points],
                    marker=MARKERS[(number - 1) % len(MARKERS)],
                    color=LINE_COLOURS[(number - 1) % len(LINE_COLOURS)],
                    linewidth=2,
                    label=_legend_label(number, trend, locale),
                )
            if is_share:
                axes.set_ylim(0, 100)
                axes.set_ylabel(t(locale, "report.chart.pulse_yes"))
            else:
                axes.set_ylim(1, 5)
                axes.set_ylabel(t(locale, "report.chart.pulse_mean"))
            axes.set_xticks(list(range(len(labels))), labels, fontsize=8)
            axes.set_xlim(-0.4, len(labels) - 0.6)
            axes.grid(axis="y", linewidth=0.5, alpha=0.5)
            axes.legend(
                loc="upper left",
                bbox_to_anchor=(-0.1, -ticks / plot),
                fontsize=9,
                borderaxespad=0,
            )
            y -= panel_height
        assert first is not None
        first.set_title(title)
        return _save(figure, "pulse", title)
