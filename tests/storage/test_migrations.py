from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.db import alembic_config, make_engine, upgrade


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_empties(engine: Engine) -> None:
    upgrade(engine)
    assert "deliveries" in inspect(engine).get_table_names()
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "deliveries" in inspect(engine).get_table_names()


def test_memory_database_upgrades() -> None:
    engine = make_engine("sqlite://")
    upgrade(engine)
    assert "people" in inspect(engine).get_table_names()
