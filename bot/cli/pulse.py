"""`arkbot pulse …`: the plan's pulse rounds, and their results under the privacy rules.

Pulses are defined in the plan file (`kind: pulse`, see docs/plan-format.md); a coordinator
adds or changes one there and checks it with `arkbot plan check`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from bot.cli.plan import load_or_exit
from bot.config import get_settings
from bot.pulse_aggregation import aggregate
from bot.runtime import calendar_from
from schedules.clock import SystemClock
from storage.db import make_engine, upgrade
from storage.pulses import pulse_rounds

app = typer.Typer(help="Pulse questions: their rounds, and results where they may be shown.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="pulse")


def _today(value: str | None) -> date:
    if value is None:
        return SystemClock().now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--today"
        ) from None


Today = Annotated[str | None, typer.Option("--today", help="As of this day (YYYY-MM-DD).")]


@app.command("list")
def list_rounds(today: Today = None) -> None:
    """Every pulse round of the plan: when it opens and closes, and whether it is open now."""
    settings = get_settings()
    plan = load_or_exit(settings.plan)
    day = _today(today)
    table = Table(title=plan.name.get(settings.default_locale))
    for column in ("Pulse", "Round", "Opens", "Closes", "State", "Questions"):
        table.add_column(column)
    for pulse_round in pulse_rounds(plan, calendar_from(settings)):
        state = (
            "open"
            if pulse_round.is_open(day)
            else "closed"
            if pulse_round.is_closed(day)
            else "ahead"
        )
        table.add_row(
            pulse_round.pulse_id,
            pulse_round.round,
            pulse_round.opens_on.isoformat(),
            pulse_round.closes_on.isoformat(),
            state,
            str(len(pulse_round.questions)),
        )
    Console().print(table)


@app.command()
def results(
    pulse: Annotated[
        str | None, typer.Option("--pulse", help="One pulse (its milestone id).")
    ] = None,
    round_id: Annotated[str | None, typer.Option("--round", help="One round, e.g. p2.")] = None,
    today: Today = None,
    min_group: Annotated[
        int | None,
        typer.Option(
            "--min-group", help="Threshold (never below 3, nor below ARKBOT_PULSE_MIN_GROUP)."
        ),
    ] = None,
) -> None:
    """Results per unit for closed rounds; groups under the threshold show nothing at all."""
    settings = get_settings()
    plan = load_or_exit(settings.plan)
    # ARKBOT_PULSE_MIN_GROUP is the floor: --min-group may raise the threshold, never lower it
    threshold = (
        max(min_group, settings.pulse_min_group)
        if min_group is not None
        else settings.pulse_min_group
    )
    if min_group is not None and min_group < 3:
        raise typer.BadParameter("results need groups of at least 3", param_hint="--min-group")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with Session(engine) as session:
        try:
            groups = aggregate(
                session, plan, pulse_id=pulse, round=round_id, today=_today(today),
                min_group=threshold, calendar=calendar_from(settings),
            )  # fmt: skip
        except ValueError as error:
            Console(stderr=True).print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
    table = Table(title=f"Pulse results (groups of at least {threshold})")
    for column in ("Pulse", "Round", "Unit", "Answers", "Results"):
        table.add_column(column)
    for group in groups:
        if not group.shown:
            table.add_row(
                group.pulse_id,
                group.round or "all",
                group.unit_name,
                "–",
                f"hidden ({group.reason})",
            )
            continue
        figures = "; ".join(
            f"{q.question_id}: {q.mean:.1f}" if q.mean is not None else
            f"{q.question_id}: " + ", ".join(f"{k} {v}" for k, v in sorted(q.distribution.items()))
            for q in group.questions
        )  # fmt: skip
        table.add_row(
            group.pulse_id, group.round or "all", group.unit_name, str(group.respondents), figures
        )
    Console().print(table)
