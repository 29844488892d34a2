"""`arkbot person export|erase` and `arkbot deliveries purge`, against a SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from bot.cli.person import register, retention_months
from bot.config import Settings, get_settings
from storage.db import make_engine, session_scope, upgrade
from storage.models import AuditEntry, Delivery, Membership, Person
from tests.privacy.seed import KARE_EMAIL, KARE_NAME, OLA_EMAIL, Seeded, delivery, seed


def cli() -> typer.Typer:
    """The commands as `arkbot` has them once `register(app)` is called there."""
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def seeded(database: str) -> Seeded:
    engine = make_engine(database)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            return seed(session)
    finally:
        engine.dispose()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def people(url: str) -> dict[int, tuple[str, bool]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {p.id or 0: (p.email, p.active) for p in session.exec(select(Person))}
    finally:
        engine.dispose()


def count(url: str, model: type[Membership] | type[Delivery]) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(model)).one()
    finally:
        engine.dispose()


def test_export_to_a_file(runner: CliRunner, database: str, seeded: Seeded, tmp_path: Path) -> None:
    target = tmp_path / "kare.json"
    result = runner.invoke(cli(), ["person", "export", KARE_EMAIL, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Wrote the data of {KARE_EMAIL}" in result.stderr
    raw = target.read_text(encoding="utf-8")
    assert KARE_NAME in raw  # UTF-8, not \u escapes
    assert raw.startswith('{\n  "format"')  # indented by two
    data = json.loads(raw)
    assert data["person"]["email"] == KARE_EMAIL
    assert [m["unit_name"] for m in data["memberships"]] == [
        "Institutt for fysikk",
        "Institutt for kjemi",
    ]
    assert data["deliveries"][0]["created_at"] == "2024-09-12T10:00:00+00:00"
    assert OLA_EMAIL not in raw


def test_export_to_standard_output(runner: CliRunner, database: str, seeded: Seeded) -> None:
    result = runner.invoke(cli(), ["person", "export", KARE_EMAIL.upper()])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["person"]["name"] == KARE_NAME


def test_erase_with_yes(runner: CliRunner, database: str, seeded: Seeded) -> None:
    result = runner.invoke(
        cli(), ["person", "erase", KARE_EMAIL, "--yes", "--actor", "dpo@example.org"]
    )
    assert result.exit_code == 0, result.output
    assert f"Erased person {seeded.kare_id}" in result.stdout
    assert "Removed: 2 roles, 2 messages, 1 pulse-round markers, 1 VO comments." in result.stdout
    assert "Kept without the person: 1 task completions, 1 VO answers." in result.stdout
    assert KARE_EMAIL not in result.stdout
    email, active = people(database)[seeded.kare_id]
    assert email.startswith("erased-")
    assert email.endswith("@invalid")
    assert active is False
    assert count(database, Membership) == 1
    engine = make_engine(database)
    with Session(engine) as session:
        actor = session.exec(
            select(AuditEntry.actor).where(col(AuditEntry.action) == "person.erased")
        ).one()
    engine.dispose()
    assert actor == "dpo@example.org"


def test_erase_asks_first_and_no_changes_nothing(
    runner: CliRunner, database: str, seeded: Seeded
) -> None:
    before = people(database)
    result = runner.invoke(cli(), ["person", "erase", KARE_EMAIL], input="n\n")
    assert result.exit_code == 1
    assert f"Erase {KARE_NAME} <{KARE_EMAIL}>: 2 roles, 2 messages" in result.stdout
    assert "Nothing was changed." in result.stderr
    assert people(database) == before
    assert count(database, Membership) == 3
    assert count(database, Delivery) == 3


def test_erase_asks_first_and_yes_erases(runner: CliRunner, database: str, seeded: Seeded) -> None:
    result = runner.invoke(cli(), ["person", "erase", KARE_EMAIL], input="y\n")
    assert result.exit_code == 0, result.output
    assert people(database)[seeded.kare_id][0].startswith("erased-")


def test_unknown_people_exit_1(runner: CliRunner, database: str, seeded: Seeded) -> None:
    for command in (["export"], ["erase", "--yes"], ["erase"]):
        result = runner.invoke(cli(), ["person", *command, "nobody@example.org"])
        assert result.exit_code == 1, command
        assert "no person with the e-mail address 'nobody@example.org'" in result.stderr
    assert count(database, Membership) == 3


def test_erasing_twice_exits_1(runner: CliRunner, database: str, seeded: Seeded) -> None:
    assert runner.invoke(cli(), ["person", "erase", KARE_EMAIL, "--yes"]).exit_code == 0
    again = runner.invoke(cli(), ["person", "erase", KARE_EMAIL, "--yes"])
    assert again.exit_code == 1
    assert "already erased" in again.stderr


def test_purge_deliveries(runner: CliRunner, database: str, seeded: Seeded) -> None:
    # The seeded deliveries are from September 2024; a very old one and a pending one join them.
    engine = make_engine(database)
    with session_scope(engine) as session:
        session.add(delivery(seeded.ola_id, "ancient", created_at=datetime(2001, 1, 1, tzinfo=UTC)))
    engine.dispose()
    result = runner.invoke(cli(), ["deliveries", "purge", "--older-than-months", "240"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 delivery older than 240 months." in result.stdout
    assert count(database, Delivery) == 3


def test_purge_refuses_zero_months(runner: CliRunner, database: str, seeded: Seeded) -> None:
    result = runner.invoke(cli(), ["deliveries", "purge", "--older-than-months", "0"])
    assert result.exit_code == 2
    assert count(database, Delivery) == 3


def test_purge_defaults_to_the_retention_setting(
    runner: CliRunner, database: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARKBOT_DELIVERY_RETENTION_MONTHS", raising=False)
    assert retention_months(Settings(_env_file=None)) == 18
    monkeypatch.setenv("ARKBOT_DELIVERY_RETENTION_MONTHS", "24")
    get_settings.cache_clear()
    assert retention_months(get_settings()) == 24
    result = runner.invoke(cli(), ["deliveries", "purge"])
    assert result.exit_code == 0, result.output
    assert "older than 24 months" in result.stdout


def test_help_texts(runner: CliRunner) -> None:
    erase = runner.invoke(cli(), ["person", "erase", "--help"])
    assert "cannot be undone" in erase.stdout
    purge = runner.invoke(cli(), ["deliveries", "purge", "--help"])
    assert "ARKBOT_DELIVERY_RETENTION_MONTHS" in purge.stdout
