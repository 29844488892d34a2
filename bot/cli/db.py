"""`arkbot db …`: the database schema."""

from __future__ import annotations

import typer
from rich.console import Console

from bot.config import get_settings
from storage.db import make_engine
from storage.db import upgrade as run_upgrade

app = typer.Typer(help="The database: create or upgrade its schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create the schema or upgrade it to the newest migration (safe to repeat)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    run_upgrade(engine)
    Console().print(
        f"[green]Database is up to date[/green] ({engine.url.render_as_string(hide_password=True)})"
    )
