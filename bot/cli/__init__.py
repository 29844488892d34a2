"""The `arkbot` command line: one Typer app, one module per subject."""

from __future__ import annotations

import typer

from bot.cli import db as db_commands
from bot.cli import org as org_commands
from bot.cli import person as person_commands
from bot.cli import plan as plan_commands
from bot.cli import pulse as pulse_commands
from bot.cli import report as report_commands
from bot.cli import serve as serve_commands
from bot.cli import simulate as simulate_commands
from bot.cli import teams as teams_commands

app = typer.Typer(
    name="arkbot",
    help="arkbot keeps a work-environment survey (ARK) cycle moving from inside Slack and Teams.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
app.add_typer(plan_commands.app, name="plan")
app.add_typer(org_commands.app, name="org")
app.add_typer(db_commands.app, name="db")
app.add_typer(teams_commands.app, name="teams")
simulate_commands.register(app)
serve_commands.register(app)
person_commands.register(app)
report_commands.register(app)
pulse_commands.register(app)


def main() -> None:
    app()
