"""The report as ONE self-contained HTML file, readable on a phone.

Inline CSS, charts as inline SVG (matplotlib, see `bot.reports.charts`), no script, no font,
no image or style sheet from anywhere else: the file can be mailed, archived and opened
offline. The page is as wide as the screen up to a reading width; wide tables scroll sideways
inside their box; each unit's details fold away under its name. Every figure comes from the
same `Report` (and the same formatting in `bot.reports.words`) as the table, and every text
from the catalogue in the chosen language, which the `lang` attribute names.

Summary figures carry ``data-key`` (``units``, ``tasks_on_time``, …) and the per-phase cells
``data-phase``/``data-state``, so a check can read the numbers without parsing prose.
"""

from __future__ import annotations

from functools import cache, lru_cache
from html import escape

from bot.escape import strip_controls
from bot.i18n.catalog import normalise_locale, t
from bot.reports import charts, words
from bot.reports.model import ACTION_STATES, TASK_STATES, Report, UnitReport, vo_state

CSS = """
:root{color-scheme:light;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;
--accent:#0b5cad;--bad:#b42318;--good:#067647}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#fff;color:var(--ink);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;line-height:1.25;margin:.2rem 0 .4rem}
h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid var(--line)}
h3{font-size:1rem;margin:1.1rem 0 .4rem}
p{margin:.3rem 0}
.meta{color:var(--muted)}
.note{color:var(--muted);font-size:.9rem;background:var(--soft);padding:.5rem .7rem;
border-radius:6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(7.4rem,1fr));gap:.4rem;
margin:0;padding:0;list-style:none}
.cards li{border:1px solid var(--line);border-radius:8px;padding:.4rem .5rem}
.cards .num{display:block;font-size:1.3rem;font-weight:650;font-variant-numeric:tabular-nums}
.cards .label{display:block;color:var(--muted);font-size:.8rem;line-height:1.2}
.cards .bad .num{color:var(--bad)}
figure{margin:.5rem 0 1rem}
figure svg.chart-svg{display:block;width:100%;height:auto;max-width:42rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.4rem 0 1rem;
border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.35rem .55rem;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
thead th{background:var(--soft);white-space:nowrap}
tbody tr:last-child td,tbody tr:last-child th{border-bottom:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.date{white-space:nowrap}
tr.total th,tr.total td{font-weight:650}
#units tbody th,#failures tbody th{min-width:10rem}
.s-late,.s-overdue,.s-failed,.s-delayed{color:var(--bad);font-weight:600}
.s-done,.s-yes,.s-on_track{color:var(--good)}
details{border:1px solid var(--line);border-radius:8px;margin:.5rem 0;padding:0 .7rem}
details[open]{padding-bottom:.5rem}
summary{cursor:pointer;padding:.55rem 0;font-weight:600}
summary .meta{font-weight:400;font-size:.9rem}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:.8rem;margin:2rem 0 1rem}
@media (max-width:30rem){main{padding:.6rem}h1{font-size:1.25rem}table{font-size:.85rem}}
@media print{details{border:0}.scroll{overflow:visible;border:0}}
""".strip()


def _e(text: object) -> str:
    if isinstance(text, int):
        return str(text)
    return escape(strip_controls(text), quote=True)  # controls are not allowed in HTML text


def _table(head: list[tuple[str, bool]], rows: list[str]) -> str:
    """A table in a sideways-scrolling box; `head` is (label, numeric) per column."""
    return (
        f'<div class="scroll"><table><thead><tr>{_head_cells(tuple(head))}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


@cache
def _head_cells(head: tuple[tuple[str, bool], ...]) -> str:
    return "".join(f'<th scope="col"{" class=n" if n else ""}>{_e(h)}</th>' for h, n in head)


@lru_cache(maxsize=16384)  # the same states, dates and titles fill thousands of cells
def _td(value: object, cls: str = "") -> str:
    return f'<td class="{cls}">{_e(value)}</td>' if cls else f"<td>{_e(value)}</td>"


def _n(value: int | str, **data: str) -> str:
    attributes = "".join(f' data-{key.replace("_", "-")}="{_e(v)}"' for key, v in data.items())
    return f'<td class="n"{attributes}>{_e(value)}</td>'


def render_html(report: Report, *, locale: str) -> str:
    """The whole page as text; write it encoded as UTF-8."""
    locale = normalise_locale(locale)
    title = words.title(report, locale)
    parts: list[str] = [
        f'<!doctype html>\n<html lang="{locale}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<main>\n",
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="meta">{_e(words.generated(report, locale))} · '
        f"{_e(words.scope(report, locale))}</p>"
        f'<p class="note">{_e(words.privacy(report, locale))}</p></header>\n',
    ]
    if not report.units:
        parts.append(f'<p class="empty">{_e(t(locale, "report.no_units"))}</p>')
    else:
        parts += [
            _summary(report, locale),
            _phases(report, locale),
            _actions(report, locale),
            _pulse(report, locale),
            _units(report, locale),
            _failures(report, locale),
            _details(report, locale),
        ]
    parts.append(f"<footer>{_e(t(locale, 'report.footer', cycle=report.cycle_id))}</footer>\n")
    parts.append("</main>\n</body>\n</html>\n")
    return "".join(parts)


def _summary(report: Report, locale: str) -> str:
    items = []
    for key, label, number in words.summary_rows(report, locale):
        bad = key in ("tasks_late", "vo_overdue", "failed") and number > 0
        items.append(
            f'<li{" class=bad" if bad else ""}><span class="num" data-key="{key}">{number}</span>'
            f'<span class="label">{_e(label)}</span></li>'
        )
    heading = _e(t(locale, "report.section.summary"))
    cards = "".join(items)
    return f'<section id="summary"><h2>{heading}</h2><ul class="cards">{cards}</ul></section>\n'


def _phases(report: Report, locale: str) -> str:
    head = [(t(locale, "report.column.phase"), False)]
    head += [(words.task_column(state, locale), True) for state in TASK_STATES]
    head.append((t(locale, "report.column.total"), True))
    rows = []
    for progress in report.totals.phases:
        label = f"{words.phase(progress.phase, locale)}: {words.phase_name(progress.phase, locale)}"
        cells = "".join(
            _n(progress.tasks.counts[state], phase=str(progress.phase), state=state)
            for state in TASK_STATES
        )
        total = _n(progress.tasks.total, phase=str(progress.phase), state="total")
        rows.append(f'<tr><th scope="row">{_e(label)}</th>{cells}{total}</tr>')
    return (
        f'<section id="phases"><h2>{_e(t(locale, "report.section.phases"))}</h2>'
        f"<figure>{charts.phases_svg(report, locale)}</figure>"
        f"{_table(head, rows)}</section>\n"
    )


def _actions(report: Report, locale: str) -> str:
    head = [(t(locale, "report.column.state"), False), (t(locale, "report.column.count"), True)]
    rows = [
        f'<tr><th scope="row" class="s-{state.value}">{_e(words.action_state(state, locale))}</th>'
        f"{_n(report.totals.actions[state], action_state=state.value)}</tr>"
        for state in ACTION_STATES
    ]
    rows.append(
        f'<tr class="total"><th scope="row">{_e(t(locale, "report.column.total"))}</th>'
        f"{_n(report.totals.action_total, action_state='total')}</tr>"
    )
    return (
        f'<section id="actions"><h2>{_e(t(locale, "report.section.actions"))}</h2>'
        f"<figure>{charts.actions_svg(report, locale)}</figure>"
        f"{_table(head, rows)}</section>\n"
    )


def _pulse(report: Report, locale: str) -> str:
    heading = f"<h2>{_e(t(locale, 'report.section.pulse'))}</h2>"
    svg = charts.pulse_svg(report, locale)
    if svg is None:
        empty = f'<p class="empty">{_e(t(locale, "report.no_pulse"))}</p>'
        return f'<section id="pulse">{heading}{empty}</section>\n'
    head = [(t(locale, "report.column.question"), False)]
    head += [(words.round_label(pulse_round, locale), True) for pulse_round in report.rounds]
    rows = []
    for number, trend in enumerate(report.trends, start=1):
        points = words.trend_points(trend)
        label = f"{number}. {words.question_text(trend.question, locale)}"
        cells = "".join(
            _n(words.trend_cell(points.get(r.key), locale), question=trend.question.question_id)
            for r in report.rounds
        )
        rows.append(f'<tr><th scope="row">{_e(label)}</th>{cells}</tr>')
    note = f'<p class="meta">{_e(t(locale, "report.trend_note"))}</p>'
    return (
        f'<section id="pulse">{heading}<figure>{svg}</figure>{_table(head, rows)}{note}</section>\n'
    )


def _units(report: Report, locale: str) -> str:
    head = [
        (t(locale, "report.column.unit"), False),
        (t(locale, "report.column.level"), True),
        (words.task_column("done", locale), True),
        (words.task_column("done_late", locale), True),
        (t(locale, "report.column.open"), True),
        (words.task_column("late", locale), True),
        (t(locale, "report.column.vo"), False),
        (t(locale, "report.column.actions"), False),
        (t(locale, "report.column.sent"), True),
        (t(locale, "report.column.failed"), True),
    ]
    rows = []
    for unit in report.units:
        counts = unit.task_counts()
        indent = f' style="padding-left:{0.55 + unit.depth * 0.9:.2f}rem"' if unit.depth else ""
        rows.append(
            f'<tr data-unit="{_e(unit.unit_id)}"><th scope="row"{indent}>{_e(unit.name)}</th>'
            f"{_n(unit.level)}{_n(counts['done'])}{_n(counts['done_late'])}"
            f"{_n(counts['due'] + counts['late'])}{_n(counts['late'])}"
            f"{_td(words.unit_vo_text(unit, locale))}{_td(words.unit_actions_text(unit, locale))}"
            f"{_n(unit.delivery.sent)}{_n(unit.delivery.failed)}</tr>"
        )
    return (
        f'<section id="units"><h2>{_e(t(locale, "report.section.units"))}</h2>'
        f"{_table(head, rows)}</section>\n"
    )


def _failures(report: Report, locale: str) -> str:
    heading = f"<h2>{_e(t(locale, 'report.section.failures'))}</h2>"
    failing = [unit for unit in report.units if unit.delivery.failed]
    if not failing:
        empty = f'<p class="empty">{_e(t(locale, "report.no_failures"))}</p>'
        return f'<section id="failures">{heading}{empty}</section>\n'
    head = [
        (t(locale, "report.column.unit"), False),
        (t(locale, "report.column.reason"), False),
        (t(locale, "report.column.count"), True),
    ]
    rows = [
        f'<tr data-unit="{_e(unit.unit_id)}"><th scope="row">{_e(unit.name)}</th>'
        f"{_td(words.reason(reason.reason, locale), 's-failed')}{_n(reason.count)}</tr>"
        for unit in failing
        for reason in unit.delivery.reasons
    ]
    return f'<section id="failures">{heading}{_table(head, rows)}</section>\n'


def _details(report: Report, locale: str) -> str:
    body = "".join(_unit_details(unit, locale) for unit in report.units)
    heading = _e(t(locale, "report.section.details"))
    return f'<section id="details"><h2>{heading}</h2>{body}</section>\n'


@cache
def _unit_words(locale: str) -> dict[str, str]:
    """Every fixed text of a unit's details, escaped once per report, not once per unit."""
    keys = {
        "tasks": "report.section.tasks",
        "vo_points": "report.section.vo_points",
        "unit_actions": "report.section.unit_actions",
        "unit_pulse": "report.section.unit_pulse",
        "delivery": "report.section.delivery",
        "no_tasks": "report.no_tasks",
        "no_vo": "report.no_vo",
        "no_actions": "report.no_actions",
    }
    return {name: _e(t(locale, key)) for name, key in keys.items()}


@cache
def _unit_heads(locale: str) -> dict[str, list[tuple[str, bool]]]:
    """The column heads of a unit's detail tables, as `_table` takes them."""

    def head(*columns: tuple[str, bool]) -> list[tuple[str, bool]]:
        return [(t(locale, f"report.column.{key}"), numeric) for key, numeric in columns]

    return {
        "tasks": head(
            ("task", False),
            ("phase", True),
            ("state", False),
            ("due", False),
            ("done_on", False),
            ("done_by", False),
            ("archive_ref", False),
        ),
        "vo_points": head(
            ("point", False),
            ("state", False),
            ("confirm_by", False),
            ("answered_on", False),
            ("involved_on", False),
            ("comment", False),
        ),
        "actions": head(
            ("action", False),
            ("state", False),
            ("owner", False),
            ("due", False),
            ("area", False),
            ("note", False),
        ),
        "pulse": head(
            ("round", False),
            ("question", False),
            ("respondents", True),
            ("figure", True),
            ("distribution", False),
        ),
    }


def _unit_details(unit: UnitReport, locale: str) -> str:
    fixed, heads = _unit_words(locale), _unit_heads(locale)
    counts = unit.task_counts()
    summary = t(
        locale,
        "report.unit_summary",
        on_time=counts["done"],
        done_late=counts["done_late"],
        open=counts["due"] + counts["late"],
        late=counts["late"],
    )
    parts = [
        f'<details id="unit-{_e(unit.unit_id)}"><summary>{_e(unit.name)} '
        f'<span class="meta">· {_e(t(locale, "report.unit_level", level=unit.level))}'
        f" · {_e(summary)}</span></summary>",
        f"<h3>{fixed['tasks']}</h3>",
    ]
    if unit.tasks:
        rows = [
            f"<tr>{_td(task.title.get(locale))}{_n(task.phase)}"
            f"{_td(words.task_state(task.state, locale), f's-{task.state}')}"
            f"{_td(words.day(task.due_on, locale), 'date')}"
            f"{_td(words.day(task.done_on, locale), 'date')}"
            f"{_td(task.done_by or '')}{_td(task.archive_ref or '')}</tr>"
            for task in unit.tasks
        ]
        parts.append(_table(heads["tasks"], rows))
    else:
        parts.append(f'<p class="empty">{fixed["no_tasks"]}</p>')

    parts.append(f"<h3>{fixed['vo_points']}</h3>")
    if unit.vo_points:
        rows = []
        for point in unit.vo_points:
            state = vo_state(point)
            rows.append(
                f"<tr>{_td(point.title.get(locale))}"
                f"{_td(words.vo_state(state, locale), f's-{state}')}"
                f"{_td(words.day(point.confirm_by, locale), 'date')}"
                f"{_td(words.day(point.answered_on, locale), 'date')}"
                f"{_td(words.day(point.involved_on, locale), 'date')}"
                f"{_td(point.comment or '')}</tr>"
            )
        parts.append(_table(heads["vo_points"], rows))
    else:
        parts.append(f'<p class="empty">{fixed["no_vo"]}</p>')

    parts.append(f"<h3>{fixed['unit_actions']}</h3>")
    if unit.actions:
        rows = [
            f"<tr>{_td(item.title)}"
            f"{_td(words.action_state(item.state, locale), f's-{item.state.value}')}"
            f"{_td(item.owner or '')}{_td(words.day(item.due_on, locale), 'date')}"
            f"{_td(words.action_area(item.area, locale))}{_td(item.note or '')}</tr>"
            for item in unit.actions
        ]
        parts.append(_table(heads["actions"], rows))
    else:
        parts.append(f'<p class="empty">{fixed["no_actions"]}</p>')

    if unit.pulses:
        parts.append(f"<h3>{fixed['unit_pulse']}</h3>")
        rows = [
            f"<tr>{_td(words.round_label(result.round, locale), 'date')}"
            f"{_td(words.question_text(question.question, locale))}{_n(result.respondents)}"
            f"{_n(words.question_figure(question, locale))}"
            f"{_td(words.distribution_text(question.distribution, locale))}</tr>"
            for result in unit.pulses
            for question in result.questions
        ]
        parts.append(_table(heads["pulse"], rows))

    parts.append(f"<h3>{fixed['delivery']}</h3>")
    line = t(locale, "report.delivery_line", sent=unit.delivery.sent, failed=unit.delivery.failed)
    parts.append(f"<p>{_e(line)}</p>")
    if unit.delivery.reasons:
        reasons = "".join(
            f'<li><span class="s-failed">{_e(words.reason(reason.reason, locale))}</span>'
            f" ({reason.count})</li>"
            for reason in unit.delivery.reasons
        )
        parts.append(f"<ul>{reasons}</ul>")
    parts.append("</details>")
    return "".join(parts)
