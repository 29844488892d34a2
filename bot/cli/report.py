"""`arkbot report`: the coordinator's report as tables, CSV or one self-contained HTML file."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import Session

from bot.cli.plan import load_or_exit
from bot.config import get_settings
from bot.i18n.catalog import normalise_locale, t
from bot.reports import build_report, render_csv_bytes, render_html, render_table
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
        int,
        typer.Option(
            "--min-group",
            min=MIN_GROUP_FLOOR,
            help=f"Show pulse results only for groups with at least this many answers "
            f"(never below {MIN_GROUP_FLOOR}).",
        ),
    ] = 5,
    today: Annotated[
        str | None,
        typer.Option("--today", metavar="YYYY-MM-DD", help="Report as of this day."),
    ] = None,
) -> None:
    """The coordinator's report: tasks, VO involvement, action items, pulse results (where
    allowed) and delivery health per unit, with totals.

    Reads DATABASE_URL and the plan (ARKBOT_PLAN). CSV is UTF-8 with a byte-order mark, so
    Excel reads Norwegian letters; HTML is one file with its charts inside, readable offline
    and on a phone.
    """
    settings = get_settings()
    locale = normalise_locale(lang.value if lang else settings.default_locale)
    calendar = WorkCalendar.from_settings(settings)
    day = _today(today, calendar)
    plan = load_or_exit(settings.plan)
    engine = make_engine(settings.database_url)
    errors = Console(stderr=True)
    try:
        upgrade(engine)
        with Session(engine) as session:
            report = build_report(
                session,
                plan,
                unit_id=unit,
                today=day,
                calendar=calendar,
                min_group=min_group,
            )
    except UnknownUnitError:
        errors.print(f"[red]{t(locale, 'report.cli.unknown_unit', unit=unit)}[/red]", markup=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()

    if output_format is Format.table:
        if output is None:
            render_table(report, Console(), locale=locale)
            return
        with output.open("w", encoding="utf-8") as handle:
            render_table(
                report,
                Console(file=handle, width=160, no_color=True, force_terminal=False),
                locale=locale,
            )
    else:
        data = (
            render_csv_bytes(report, locale=locale)
            if output_format is Format.csv
            else render_html(report, locale=locale).encode("utf-8")
        )
        if output is None:
            stream = typer.get_binary_stream("stdout")
            stream.write(data)
            stream.flush()
            return
        output.write_bytes(data)
    errors.print(t(locale, "report.cli.written", path=output), highlight=False)
    sys.stderr.flush()
