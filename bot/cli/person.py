"""`arkbot person …` (export and erase one person's data) and `arkbot deliveries purge`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings, get_settings
from bot.escape import rich_text as escape
from schedules.clock import SystemClock
from storage.db import make_engine, session_scope, upgrade
from storage.personal_data import (
    ErasureReport,
    erase_person,
    export_person,
    purge_deliveries,
)

person_app = typer.Typer(
    help="One person's data: export it (the right of access) or erase it (the right to "
    "erasure). Pulse answers are anonymous and are neither exported nor erased.",
    no_args_is_help=True,
)
deliveries_app = typer.Typer(
    help="The delivery log: what was sent to whom, kept for a limited time.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `arkbot person …` and `arkbot deliveries …` to the command line."""
    app.add_typer(person_app, name="person")
    app.add_typer(deliveries_app, name="deliveries")


def retention_months(settings: Settings) -> int:
    """How long finished deliveries are kept: ARKBOT_DELIVERY_RETENTION_MONTHS (default 18)."""
    return settings.delivery_retention_months


def _engine() -> Engine:
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    return engine


def _unknown(error: LookupError) -> typer.Exit:
    Console(stderr=True).print(f"[red]{escape(str(error.args[0] if error.args else error))}[/red]")
    return typer.Exit(1)


EMAIL_ARGUMENT = typer.Argument(
    help="The person's e-mail address, as in the organisation file (case does not matter).",
    show_default=False,
)


@person_app.command("export")
def export_command(
    email: Annotated[str, EMAIL_ARGUMENT],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the JSON to this file (UTF-8) instead of printing it.",
            dir_okay=False,
            writable=True,
        ),
    ] = None,
) -> None:
    """Export everything stored about a person as JSON (UTF-8, dates in ISO 8601).

    Includes the directory entry, roles, tasks they marked done, VO answers with comments,
    the messages sent to them, the audit entries of their actions and the pulse rounds they
    answered (only that they answered: the answers themselves are anonymous).
    """
    engine = _engine()
    try:
        with Session(engine) as session:
            data = export_person(session, email)
    except LookupError as error:
        raise _unknown(error) from None
    finally:
        engine.dispose()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    Console(stderr=True).print(
        f"[green]Wrote the data of {escape(data['person']['email'])} to {escape(str(output))}"
        "[/green]"
    )


@person_app.command("erase")
def erase_command(
    email: Annotated[str, EMAIL_ARGUMENT],
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask for confirmation."),
    ] = False,
    actor: Annotated[
        str,
        typer.Option(help="Who is erasing, for the audit log."),
    ] = "cli",
) -> None:
    """Erase a person's personal data. This cannot be undone.

    Deletes their roles, the messages sent to them and the markers of which pulse rounds they
    answered; clears their VO comments; replaces their name, address and chat ids with a
    random pseudonym and deactivates them. Keeps the anonymous pulse answers (so results stay
    intact), the units' history (tasks done, VO involvement, without the person) and an audit
    entry recording that an erasure happened. Remove the person from the organisation file
    too, or the next import adds them again as a new person.
    """
    engine = _engine()
    try:
        if not yes:
            with Session(engine) as session:
                data = export_person(session, email)
            if not typer.confirm(_question(data), default=False):
                Console(stderr=True).print("Nothing was changed.")
                raise typer.Exit(1)
        with session_scope(engine) as session:
            report = erase_person(session, email, now=SystemClock().now(), actor=actor)
    except LookupError as error:
        raise _unknown(error) from None
    finally:
        engine.dispose()
    _print_erasure(Console(), report)


def _question(data: dict[str, Any]) -> str:
    person = data["person"]
    return (
        f"Erase {person['name']} <{person['email']}>: {len(data['memberships'])} roles, "
        f"{len(data['deliveries'])} messages, "
        f"{len(data['pulse_rounds_answered'])} pulse-round markers, "
        f"{len(data['vo_confirmations'])} VO answers and "
        f"{len(data['audit_entries_as_actor'])} audit entries? This cannot be undone"
    )


def _print_erasure(console: Console, report: ErasureReport) -> None:
    console.print(
        f"[green]Erased person {report.person_id}[/green]; "
        f"they are now [bold]{escape(report.pseudonym)}[/bold] and inactive."
    )
    console.print(
        f"Removed: {report.memberships_deleted} roles, {report.deliveries_deleted} messages, "
        f"{report.pulse_markers_deleted} pulse-round markers, "
        f"{report.vo_comments_cleared} VO comments."
    )
    console.print(
        f"Kept without the person: {report.task_completions_detached} task completions, "
        f"{report.vo_confirmations_detached} VO answers. Pseudonymised: "
        f"{report.audit_entries_rewritten} audit entries, "
        f"{report.mentions_replaced} mentions in free text."
    )
    console.print(
        "Anonymous pulse answers are unchanged. Remove the person from the organisation file, "
        "or the next [bold]arkbot org import[/bold] adds them again as a new person."
    )


@deliveries_app.command("purge")
def purge_command(
    older_than_months: Annotated[
        int | None,
        typer.Option(
            "--older-than-months",
            min=1,
            help="Delete finished deliveries created more than this many months ago "
            "(default: the setting ARKBOT_DELIVERY_RETENTION_MONTHS, 18 unless set).",
            show_default=False,
        ),
    ] = None,
    actor: Annotated[
        str,
        typer.Option(help="Who is purging, for the audit log."),
    ] = "cli",
) -> None:
    """Delete old delivery records (sent, failed, expired or cancelled; never pending ones).

    The delivery log shows which messages went to whom; it is kept only as long as the
    retention setting says.
    """
    months = older_than_months or retention_months(get_settings())
    engine = _engine()
    try:
        with session_scope(engine) as session:
            count = purge_deliveries(
                session, older_than_months=months, now=SystemClock().now(), actor=actor
            )
    finally:
        engine.dispose()
    Console().print(
        f"[green]Deleted {count} deliver{'y' if count == 1 else 'ies'}[/green] "
        f"older than {months} months."
    )
