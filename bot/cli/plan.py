"""`arkbot plan …`: check, show and renew progress plans."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import inspect, make_url
from sqlalchemy.exc import OperationalError

from bot.compose import date_error_text, date_set_reply
from bot.config import get_settings
from bot.i18n.catalog import t
from schedules.clock import SystemClock
from schedules.loader import PlanIssue, check_plan, check_plan_text
from schedules.plan import Plan
from schedules.timing import resolve
from storage.db import make_engine, normalise_url
from storage.models import MilestoneOverride, table_of
from storage.overrides import (
    DateChangeError,
    Override,
    effective_plan,
    load_overrides,
    set_milestone_date,
)

app = typer.Typer(help="Progress plans: check, show and start a new cycle.", no_args_is_help=True)
PLANS_DIR = Path(__file__).resolve().parents[2] / "schedules" / "plans"

PlanArg = Annotated[Path, typer.Argument(help="A plan file (YAML), or the id of a shipped plan.")]
Lang = Annotated[str, typer.Option("--lang", help="Language of titles: nb or en.")]


def resolve_plan_path(value: str | Path) -> Path:
    """A path as given, or a shipped plan named by its id (e.g. ntnu-ark-2023-2025)."""
    path = Path(value)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    shipped = PLANS_DIR / f"{value}.yaml"
    return shipped if shipped.exists() else path


def _print_issues(issues: list[PlanIssue], console: Console) -> None:
    for issue in issues:
        colour = "red" if issue.severity == "error" else "yellow"
        console.print(f"[{colour}]{issue}[/{colour}]", highlight=False, soft_wrap=True)


def load_or_exit(value: str | Path) -> Plan:
    plan, issues = check_plan(resolve_plan_path(value))
    if plan is None:
        _print_issues(issues, Console(stderr=True))
        raise typer.Exit(1)
    return plan


@app.command()
def check(plan_file: PlanArg) -> None:
    """Validate a plan; prints every error with file, line and field (exit code 1 on errors)."""
    path = resolve_plan_path(plan_file)
    plan, issues = check_plan(path)
    console = Console(stderr=plan is None)
    _print_issues(issues, console)
    if plan is None:
        errors = sum(issue.severity == "error" for issue in issues)
        console.print(f"[red]{path}: {errors} error(s); the plan cannot be used.[/red]")
        raise typer.Exit(1)
    warnings = len(issues)
    console.print(
        f"[green]{path}: OK[/green] — {len(plan.milestones)} milestones, {warnings} warning(s)."
    )


def milestone_rows(plan: Plan, overrides: Sequence[Override] = ()) -> list[dict[str, Any]]:
    """One row per milestone, with the dates set in the database laid over the plan's.

    `override` is null, or says who set the date, when, and the plan file's own dates.
    """
    by_id = {override.milestone_id: override for override in overrides}
    base = plan
    plan = effective_plan(base, overrides)
    rows = []
    for milestone in plan.milestones:
        span = resolve(plan, milestone)
        override = by_id.get(milestone.id)
        marked: dict[str, Any] | None = None
        if override is not None:
            planned = resolve(base, base.milestone(milestone.id))
            marked = {
                "set_by": override.set_by,
                "set_at": override.set_at.isoformat(),
                "revision": override.revision,
                "plan_starts_on": planned.starts_on.isoformat() if planned else None,
                "plan_ends_on": planned.ends_on.isoformat() if planned else None,
            }
        rows.append(
            {
                "id": milestone.id,
                "phase": milestone.phase,
                "title": {"nb": milestone.title.nb, "en": milestone.title.en},
                "audience": [
                    a.model_dump(mode="json", exclude_none=True) for a in milestone.audience
                ],
                "kind": milestone.kind.value,
                "timing": milestone.when.type,
                "exact": span.exact if span else False,
                "starts_on": span.starts_on.isoformat() if span else None,
                "ends_on": span.ends_on.isoformat() if span else None,
                "due_on": span.due_on.isoformat() if span and span.due_on else None,
                "override": marked,
            }
        )
    rows.sort(key=lambda row: (row["starts_on"] or "9999", row["phase"], row["id"]))
    return rows


@app.command()
def show(
    plan_file: PlanArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    lang: Lang = "nb",
) -> None:
    """The timeline of a plan, as a table or as JSON (dates inclusive, null when not known)."""
    if lang not in ("nb", "en"):
        raise typer.BadParameter("use nb or en", param_hint="--lang")
    plan = load_or_exit(plan_file)
    rows = milestone_rows(plan, _stored_overrides(plan))
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=plan.name.get(lang), show_lines=False, expand=False)
    for column in ("Phase", "From", "To", "Kind", "Audience", "Milestone"):
        table.add_column(column, overflow="fold")
    for row in rows:
        audience = ", ".join(
            a["role"] + (f" (L{a['level']})" if "level" in a else "") for a in row["audience"]
        )
        start, end = row["starts_on"] or "?", row["ends_on"] or "?"
        style = "" if row["starts_on"] else "yellow"
        vague = "" if row["exact"] or not row["starts_on"] else " ~"
        mark = " *" if row["override"] else ""
        table.add_row(
            str(row["phase"]),
            start + vague + mark,
            end if end != start else "",
            row["kind"],
            audience,
            f"{row['title'][lang]} [dim]({row['id']})[/dim]",
            style=style,
        )
    console = Console()
    console.print(table)
    if any(row["override"] for row in rows):
        console.print(t(lang, "cycle.plan_show.override_note"), highlight=False)


def _stored_overrides(plan: Plan) -> list[Override]:
    """The overrides in DATABASE_URL's database; none when there is no database (yet).

    Read-only: `plan show` never creates a database file or a table.
    """
    settings = get_settings()
    url = make_url(normalise_url(settings.database_url))
    memory = url.database in (None, "", ":memory:")
    if url.get_backend_name() == "sqlite" and (memory or not Path(str(url.database)).exists()):
        return []
    engine = make_engine(settings.database_url)
    try:
        if not inspect(engine).has_table(table_of(MilestoneOverride).name):
            return []
        with engine.connect() as connection:
            return load_overrides(connection, plan.id)
    except OperationalError as error:
        Console(stderr=True).print(
            f"[yellow]warning: could not read dates set in the database: {error.orig}[/yellow]"
        )
        return []
    finally:
        engine.dispose()


def _day(value: str, hint: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=hint) from None


@app.command("set-date")
def set_date(
    milestone_id: Annotated[str, typer.Argument(metavar="MILESTONE", help="The milestone's id.")],
    day: Annotated[
        str,
        typer.Argument(
            metavar="DATE", help="YYYY-MM-DD: a task's deadline, or the day of anything else."
        ),
    ],
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="DATE",
            help="The last day: DATE is then the first (a task opens on DATE, is due UNTIL).",
        ),
    ] = None,
    plan_file: Annotated[
        str | None,
        typer.Option("--plan", help="The plan file or a shipped plan's id (default ARKBOT_PLAN)."),
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--by", help="Who sets it, for the audit log (default: cli:USER).")
    ] = None,
    now_text: Annotated[
        str | None,
        typer.Option(
            "--now", metavar="ISO", help="Act as if it were then (tests, dry runs).", hidden=True
        ),
    ] = None,
) -> None:
    """Set or move a milestone's date in the database (DATABASE_URL); the plan file stays.

    Pending reminders are re-planned for the new date, the people concerned hear of a move
    once, and the change is in the audit log. Exit code 1 when the date cannot be set.
    """
    from sqlmodel import Session

    from storage.db import upgrade

    first = _day(day, "DATE")
    last = _day(until, "--until") if until is not None else None
    settings = get_settings()
    plan = load_or_exit(plan_file or settings.plan)
    who = actor or f"cli:{getpass.getuser()}"
    now = SystemClock().now()
    if now_text is not None:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise typer.BadParameter(
                f"{now_text!r} is not an ISO time", param_hint="--now"
            ) from None
        if now.tzinfo is None:
            raise typer.BadParameter(
                "give a time zone, e.g. 2025-04-03T10:00+02:00", param_hint="--now"
            )
    engine = make_engine(settings.database_url)
    errors = Console(stderr=True, highlight=False)
    try:
        upgrade(engine)
        with Session(engine) as session:
            change = set_milestone_date(
                session, plan, milestone_id, first, last, now=now, actor=who
            )
            session.commit()
    except DateChangeError as error:
        errors.print(Text(date_error_text(error, settings.default_locale), style="red"))
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    Console(highlight=False).print(date_set_reply(plan, change, settings.default_locale))


def _parse_anchor(text: str) -> tuple[str, date]:
    name, sep, value = text.partition("=")
    if not sep:
        raise typer.BadParameter(f"{text!r}: write NAME=YYYY-MM-DD", param_hint="--anchor")
    try:
        return name.strip(), date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--anchor"
        ) from None


@app.command()
def new(
    source: Annotated[
        str, typer.Option("--from", help="The plan to start from: a file or a shipped plan's id.")
    ],
    anchors: Annotated[
        list[str],
        typer.Option(
            "--anchor", help="NAME=YYYY-MM-DD, e.g. survey_start=2025-11-03 (repeatable)."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the new plan.")],
    new_id: Annotated[
        str | None, typer.Option("--id", help="The new plan's id (default: from the file name).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a plan for a later cycle: dates follow the new anchors, weekdays stay sensible."""
    from schedules.renew import dump_plan, renew_plan

    plan = load_or_exit(source)
    parsed = dict(_parse_anchor(anchor) for anchor in anchors)
    unknown = sorted(set(parsed) - set(plan.anchors))
    if unknown:
        known = ", ".join(sorted(plan.anchors)) or "none"
        raise typer.BadParameter(
            f"unknown anchor(s) {', '.join(unknown)}; the plan has: {known}", param_hint="--anchor"
        )
    if output.exists() and not force:
        Console(stderr=True).print(f"[red]{output} exists; use --force to overwrite it.[/red]")
        raise typer.Exit(1)
    renewed = renew_plan(plan, new_id=new_id or output.stem, anchors=parsed)
    text = dump_plan(renewed)
    checked, issues = check_plan_text(text, str(output))
    if checked is None:
        _print_issues(issues, Console(stderr=True))
        raise typer.Exit(1)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    Console().print(
        f"[green]Wrote {output}[/green] ({len(renewed.milestones)} milestones, id {renewed.id})."
    )
