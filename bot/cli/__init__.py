"""The `arkbot` command line: one Typer app, one sub-app per subject."""

from __future__ import annotations

import typer

from bot.cli import db, org, plan

app = typer.Typer(
    name="arkbot",
    help="arkbot keeps a work-environment survey (ARK) cycle moving from inside Slack and Teams.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
app.add_typer(plan.app, name="plan")
app.add_typer(org.app, name="org")
app.add_typer(db.app, name="db")


def main() -> None:
    app()
