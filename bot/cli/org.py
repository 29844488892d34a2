"""`arkbot org …`: import the organisation from CSV and look at it."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.config import get_settings
from bot.escape import rich_text as escape
from schedules.clock import SystemClock
from storage.db import make_engine, upgrade
from storage.directory import ImportReport, OrgFileError, OrgImportError, import_org, read_org_file
from storage.models import Membership, Person, Role, Unit
from storage.queries import active_members

app = typer.Typer(
    help="The organisation directory: units, people and their roles.",
    no_args_is_help=True,
)

ROLE_ORDER = [
    Role.leader,
    Role.vo,
    Role.coordinator,
    Role.leader_support,
    Role.losam,
    Role.employee,
]


def _engine() -> Engine:
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    return engine


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="The org CSV: unit_id,unit_name,parent_id,level,email,name,role "
            "[,locale,timezone,slack_user_id,teams_user_id,teams_aad_object_id,"
            "preferred_platform], one row per membership.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check the file and report what would change; store nothing."
        ),
    ] = False,
    actor: Annotated[
        str,
        typer.Option(help="Who is importing, for the audit log."),
    ] = "cli",
) -> None:
    """Import or re-import the organisation from a CSV file.

    All or nothing: a file with any bad row changes nothing, and every bad row is listed.
    People, units and roles missing from the file are deactivated, never deleted.
    """
    errors = Console(stderr=True)
    try:
        text = read_org_file(file)
    except OrgFileError as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(1) from None
    engine = _engine()
    try:
        report = import_org(engine, text, clock=SystemClock(), actor=actor, dry_run=dry_run)
    except OrgImportError as error:
        count = len(error.errors)
        errors.print(
            f"[red bold]{escape(str(file))}: {count} problem{'s' if count != 1 else ''}; "
            "nothing was changed.[/red bold]"
        )
        for problem in error.errors:
            errors.print(f"  {escape(str(problem))}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    _print_report(Console(), file, report)


def _print_report(console: Console, file: Path, report: ImportReport) -> None:
    verb = "Checked" if report.dry_run else "Imported"
    console.print(
        f"[green]{verb} {escape(str(file))}[/green]: {report.units_in_file} units, "
        f"{report.people_in_file} people, {report.memberships_in_file} memberships."
    )
    table = Table("", "added", "updated", "reactivated", "deactivated")
    table.add_row(
        "units",
        str(report.units_added),
        str(report.units_updated),
        str(report.units_reactivated),
        str(report.units_deactivated),
    )
    table.add_row(
        "people",
        str(report.people_added),
        str(report.people_updated),
        str(report.people_reactivated),
        str(report.people_deactivated),
    )
    table.add_row(
        "memberships",
        str(report.memberships_added),
        "–",
        str(report.memberships_reactivated),
        str(report.memberships_deactivated),
    )
    console.print(table)
    if report.dry_run:
        console.print("Dry run: nothing was stored.")
    elif not report.changed:
        console.print("The directory already matched the file; nothing changed.")


@app.command("show")
def show_command(
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Show only this unit and the units below it (a unit_id)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON instead of a tree, for scripts."),
    ] = False,
) -> None:
    """Show the active units as a tree, with their active members and roles."""
    engine = _engine()
    try:
        with Session(engine) as session:
            units = list(session.exec(select(Unit).where(col(Unit.active))))
            members = active_members(session)
    finally:
        engine.dispose()
    by_id = {u.id: u for u in units}
    children: dict[str | None, list[Unit]] = defaultdict(list)
    for item in units:
        parent = item.parent_id if item.parent_id in by_id else None
        children[parent].append(item)
    for siblings in children.values():
        siblings.sort(key=lambda u: (u.level, u.name.casefold(), u.id))
    people: dict[str, list[tuple[Person, Membership]]] = defaultdict(list)
    for person, membership, member_unit in members:
        people[member_unit.id].append((person, membership))
    for rows in people.values():
        rows.sort(key=lambda row: (ROLE_ORDER.index(row[1].role), row[0].name.casefold()))

    if unit is not None and unit not in by_id:
        Console(stderr=True).print(
            f"[red]unknown unit '{escape(unit)}'[/red] (not in the directory, or no longer active; "
            "see [bold]arkbot org show[/bold])"
        )
        raise typer.Exit(1)
    roots = [by_id[unit]] if unit is not None else children[None]

    if as_json:
        data = [_unit_json(root, children, people) for root in roots]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console = Console()
    if not roots:
        console.print(
            "The directory is empty; import one with [bold]arkbot org import FILE.csv[/bold]."
        )
        return
    for root in roots:
        tree = Tree(_unit_label(root))
        _fill(tree, root, children, people)
        console.print(tree)


def _unit_label(unit: Unit) -> str:
    return f"[bold]{escape(unit.name)}[/bold] [dim]({escape(unit.id)}, level {unit.level})[/dim]"


def _fill(
    tree: Tree,
    unit: Unit,
    children: dict[str | None, list[Unit]],
    people: dict[str, list[tuple[Person, Membership]]],
) -> None:
    for person, membership in people.get(unit.id, []):
        extra = [person.locale]
        if person.timezone:
            extra.append(person.timezone)
        tree.add(
            f"[cyan]{membership.role.value}[/cyan] {escape(person.name)} "
            f"[dim]<{escape(person.email)}> {escape(', '.join(extra))}[/dim]"
        )
    for child in children.get(unit.id, []):
        _fill(tree.add(_unit_label(child)), child, children, people)


def _unit_json(
    unit: Unit,
    children: dict[str | None, list[Unit]],
    people: dict[str, list[tuple[Person, Membership]]],
) -> dict[str, Any]:
    return {
        "id": unit.id,
        "name": unit.name,
        "level": unit.level,
        "parent_id": unit.parent_id,
        "members": [
            {
                "email": person.email,
                "name": person.name,
                "role": membership.role.value,
                "locale": person.locale,
                "timezone": person.timezone,
            }
            for person, membership in people.get(unit.id, [])
        ],
        "children": [_unit_json(child, children, people) for child in children.get(unit.id, [])],
    }
