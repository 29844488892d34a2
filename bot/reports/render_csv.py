"""The report as CSV: one row per unit and item, for Excel and for anyone's own analysis.

UTF-8 with a byte-order mark (so Excel reads "Bjørn" and "Ås" right), commas between fields,
fields quoted when they hold a comma, a quote or a line break (RFC 4180), CRLF line ends. Codes
(states, sections) are English and stable; titles and texts are in the report's language. Dates
are ISO (YYYY-MM-DD), decimals use a point.

Columns (`HEADER`):

=============  ==========================================================================
unit_id        the unit's id
unit_name      the unit's name
unit_level     its level (1 the institution, 2 faculty, 3 department, …)
parent_id      the unit above it within the report ("" for the report's top units)
section        task | vo | action | pulse | delivery
item_id        task/vo: the milestone id; action: the action item's id; pulse:
               ``<pulse_id>:<round>:<question_id>``; delivery: sent | failed
item           task/vo: the milestone's title; action: its title; pulse: the question;
               delivery (failed): the reason the transport gave
phase          task/vo: the plan's phase (1–5)
state          task: done (on time) | done_late | due (open, deadline ahead) | late (open,
               deadline passed) | upcoming (not open yet) | unknown (no date yet);
               vo: yes | partly | not_yet | waiting (no answer yet) | overdue (no yes or
               partly and the confirm-by day has passed);
               action: open | on_track | delayed | done | dropped;
               delivery: sent | failed
due_on         task: the deadline; vo: the confirm-by day; action: its due date
date           task: the day it was marked done; vo: the day the VO answered;
               pulse: the day the round opened
reference      task: the archive reference given when it was marked done
person         task: who marked it done; action: the owner
count          pulse: respondents in the group; delivery: the number of nudges
value          pulse: the mean (1–5 questions) or the share answering yes (0–1);
               vo: the day the VO says they were involved
detail         vo: the VO's comment; action: area (preserve | develop) and note;
               pulse: the distribution, ``value=count`` joined by ``|``
=============  ==========================================================================

Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a CR get a leading ``'`` so
that a spreadsheet shows them instead of evaluating them (OWASP, "CSV injection").

Pulse rows exist only for groups the pulse aggregation allows to be shown. Delivery rows: one
``sent`` row per unit (its count may be 0) and one ``failed`` row per distinct reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from bot.escape import csv_cell
from bot.i18n.catalog import normalise_locale
from bot.reports.model import Report, UnitReport, vo_state

BOM = "\ufeff"
HEADER = (
    "unit_id",
    "unit_name",
    "unit_level",
    "parent_id",
    "section",
    "item_id",
    "item",
    "phase",
    "state",
    "due_on",
    "date",
    "reference",
    "person",
    "count",
    "value",
    "detail",
)

Row = dict[str, str]


def _iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _number(value: float | None) -> str:
    return "" if value is None else str(round(value, 3))


def unit_rows(unit: UnitReport, locale: str) -> Iterator[Row]:
    base = {
        "unit_id": unit.unit_id,
        "unit_name": unit.name,
        "unit_level": str(unit.level),
        "parent_id": unit.parent_id or "",
    }
    for task in unit.tasks:
        yield base | {
            "section": "task",
            "item_id": task.milestone_id,
            "item": task.title.get(locale),
            "phase": str(task.phase),
            "state": task.state,
            "due_on": _iso(task.due_on),
            "date": _iso(task.done_on),
            "reference": task.archive_ref or "",
            "person": task.done_by or "",
        }
    for point in unit.vo_points:
        yield base | {
            "section": "vo",
            "item_id": point.milestone_id,
            "item": point.title.get(locale),
            "state": vo_state(point),
            "due_on": _iso(point.confirm_by),
            "date": _iso(point.answered_on),
            "value": _iso(point.involved_on),
            "detail": point.comment or "",
        }
    for item in unit.actions:
        detail = item.area.value + (f": {item.note}" if item.note else "")
        yield base | {
            "section": "action",
            "item_id": str(item.id),
            "item": item.title,
            "state": item.state.value,
            "due_on": _iso(item.due_on),
            "person": item.owner or "",
            "detail": detail,
        }
    for result in unit.pulses:
        for question in result.questions:
            value = question.mean if question.mean is not None else question.yes_share
            yield base | {
                "section": "pulse",
                "item_id": f"{result.round.key}:{question.question.question_id}",
                "item": question.question.text.get(locale)
                if question.question.text
                else question.question.question_id,
                "date": _iso(result.round.opens_on),
                "count": str(result.respondents),
                "value": _number(value),
                "detail": "|".join(f"{answer}={count}" for answer, count in question.distribution),
            }
    yield base | {
        "section": "delivery",
        "item_id": "sent",
        "state": "sent",
        "count": str(unit.delivery.sent),
    }
    for reason in unit.delivery.reasons:
        yield base | {
            "section": "delivery",
            "item_id": "failed",
            "item": reason.reason or "",
            "state": "failed",
            "count": str(reason.count),
        }


def render_csv(report: Report, *, locale: str) -> str:
    """The whole file as text, byte-order mark first; write it encoded as UTF-8."""
    locale = normalise_locale(locale)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(
        out, fieldnames=HEADER, restval="", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
    )
    writer.writeheader()
    for unit in report.units:
        writer.writerows(_inert(row) for row in unit_rows(unit, locale))
    return out.getvalue()


# Columns that carry text from the organisation file or from people; a leading = + - @ makes a
# formula of it in Excel, so they are neutralised (the numbers and dates are ours).
_TEXT_COLUMNS = frozenset(
    {"unit_id", "unit_name", "parent_id", "item_id", "item", "reference", "person", "detail"}
)


def _inert(row: Row) -> Row:
    return {key: csv_cell(value) if key in _TEXT_COLUMNS else value for key, value in row.items()}


def render_csv_bytes(report: Report, *, locale: str) -> bytes:
    return render_csv(report, locale=locale).encode("utf-8")
