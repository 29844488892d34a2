"""The CLI fixtures (a SQLite file named by DATABASE_URL, a Typer runner) for these tests."""

from tests.cli.conftest import database, runner, wide_terminal

__all__ = ["database", "runner", "wide_terminal"]
