"""`arkbot report`: the coordinator's report as tables, CSV or one self-contained HTML file."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text
from sqlmodel import Session

from bot.cli.plan import load_or_exit
from bot.config import get_settings
from bot.i18n.catalog import normalise_locale, t
from bot.reports import (
    Report,
    build_report,
    paused_gc,
    render_csv_bytes,
    render_html,
    render_table,
)
from bot.reports.build import MIN_GROUP_FLOOR
from schedules.calendar import WorkCalendar
from schedules.clock import SystemClock
from storage.db import make_engine, upgrade
from storage.queries import UnknownUnitError


class Format(StrEnum):
    table = "table"
    csv = "csv"
    html = "html"


class Lang(StrEnum):
    nb = "nb"
    en = "en"


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


def _today(value: str | None, calendar: WorkCalendar) -> date:
    if value is None:
        return calendar.local_date(SystemClock().now())
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--today"
        ) from None


def report_command(
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit", metavar="ID", help="Only this unit and the units below it (default: all)."
        ),
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="table (the terminal), csv or html.")
    ] = Format.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
    lang: Annotated[
        Lang | None,
        typer.Option("--lang", help="Language of the report (default: ARKBOT_LOCALE)."),
    ] = None,
    min_group: Annotated[
        int | None,
        typer.Option(
            "--min-group",
            min=MIN_GROUP_FLOOR,
            help=f"Show pulse results only for groups with at least this many answers "
            f"(default: ARKBOT_PULSE_MIN_GROUP; never below {MIN_GROUP_FLOOR}).",
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option("--today", metavar="YYYY-MM-DD", help="Report as of this day."),
    ] = None,
) -> None:
    """The coordinator's report: tasks, VO involvement, actions, pulses and deliveries per unit.

    Reads DATABASE_URL and ARKBOT_PLAN. CSV is UTF-8 with a byte-order mark (Excel-safe).

    HTML is one self-contained file with charts, readable offline and on a phone.
    """
    settings = get_settings()
    locale = normalise_locale(lang.value if lang else settings.default_locale)
    calendar = WorkCalendar.from_settings(settings)
    day = _today(today, calendar)
    plan = load_or_exit(settings.plan)
    errors = Console(stderr=True, highlight=False)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with paused_gc(), Session(engine) as session:
            report = build_report(
                session,
                plan,
                unit_id=unit,
                today=day,
                calendar=calendar,
                # the setting is the floor: --min-group may raise the threshold, never lower it
                min_group=max(min_group or 0, settings.pulse_min_group),
            )
            _write(report, output_format, output, locale)
    except UnknownUnitError:
        message = t(locale, "report.cli.unknown_unit", unit=unit)
        errors.print(Text(message, style="red"))
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if output is not None:
        errors.print(t(locale, "report.cli.written", path=output), markup=False)


def _write(report: Report, output_format: Format, output: Path | None, locale: str) -> None:
    """The report in its format, to `output` or to standard output."""
    if output_format is Format.table:
        if output is None:
            render_table(report, Console(), locale=locale)
            return
        with output.open("w", encoding="utf-8") as handle:
            console = Console(file=handle, width=160, no_color=True, force_terminal=False)
            render_table(report, console, locale=locale)
        return
    if output_format is Format.csv:
        data = render_csv_bytes(report, locale=locale)
    else:
        data = render_html(report, locale=locale).encode("utf-8")
    if output is None:
        stream = typer.get_binary_stream("stdout")
        stream.write(data)
        stream.flush()
    else:
        output.write_bytes(data)
