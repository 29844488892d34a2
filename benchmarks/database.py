"""Where a benchmark keeps its data: a fresh SQLite file in its temporary folder, or a fresh
schema of the PostgreSQL database, dropped again afterwards (the machine's database `test` is
shared with the tests and with other benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from storage.db import make_engine


@contextmanager
def bench_database(
    postgres: str | None, folder: Path, name: str, *, schema: str = "arkbot_bench"
) -> Iterator[str]:
    """The database URL to use: `name` in `folder`, or `schema` of `postgres`."""
    if not postgres:
        yield f"sqlite:///{folder / name}"
        return
    _schema(postgres, schema, create=True)
    try:
        yield schema_url(postgres, schema)
    finally:
        _schema(postgres, schema, create=False)


def schema_url(postgres: str, schema: str) -> str:
    return postgres + ("&" if "?" in postgres else "?") + f"options=-csearch_path%3D{schema}"


def _schema(postgres: str, schema: str, *, create: bool) -> None:
    engine = make_engine(postgres)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            if create:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
    finally:
        engine.dispose()
