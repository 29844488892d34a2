"""`arkbot report`, against a SQLite file named by DATABASE_URL and a plan named by ARKBOT_PLAN."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.report import register
from bot.config import get_settings
from bot.i18n.catalog import t
from storage.db import make_engine, upgrade
from tests.reports.seed import PLAN_TEXT, seed


def report_app() -> typer.Typer:
    """The command as `bot.cli` registers it: `arkbot report …`."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """arkbot"""

    register(app)
    return app


APP = report_app()
TODAY = ["--today", "2024-03-25"]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "220")  # Rich wraps at 80 columns when it sees no terminal


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_TEXT, encoding="utf-8")
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ARKBOT_PLAN", str(plan))
    monkeypatch.setenv("ARKBOT_LOCALE", "nb")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_csv_to_a_file(runner: CliRunner, database: str, tmp_path: Path) -> None:
    out = tmp_path / "rapport.csv"
    result = runner.invoke(
        APP, ["report", "--format", "csv", "-o", str(out), "--lang", "en", *TODAY]
    )
    assert result.exit_code == 0, result.output
    assert t("en", "report.cli.written", path=out) in result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert {row["unit_id"] for row in rows} == {"UNI", "FAK", "IFA", "IFB", "IFC"}
    assert "Fakultet for økonomi" in {row["unit_name"] for row in rows}
    failed = [
        (row["unit_id"], row["item"], row["count"]) for row in rows if row["state"] == "failed"
    ]
    assert failed == [("IFA", "channel_not_found", "2"), ("IFA", "user_disabled", "1")]
    assert {row["item"] for row in rows if row["item_id"] == "prep"} == {"Prepare"}
    assert result.stdout == ""


def test_a_unit_limits_the_csv(runner: CliRunner, database: str, tmp_path: Path) -> None:
    out = tmp_path / "ifa.csv"
    result = runner.invoke(APP, ["report", "--unit", "IFA", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"), newline="")))
    assert {row["unit_id"] for row in rows} == {"IFA"}


def test_html_to_a_file_in_the_chosen_language(
    runner: CliRunner, database: str, tmp_path: Path
) -> None:
    out = tmp_path / "rapport.html"
    result = runner.invoke(APP, ["report", "-f", "html", "-o", str(out), "--lang", "en", *TODAY])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert page.startswith('<!doctype html>\n<html lang="en">')
    assert page.count('class="chart-svg"') == 3
    assert '<span class="num" data-key="failed">3</span>' in page


def test_the_table_goes_to_the_terminal(runner: CliRunner, database: str) -> None:
    result = runner.invoke(APP, ["report", *TODAY])
    assert result.exit_code == 0, result.output
    assert t("nb", "report.section.units") in result.stdout
    assert "Institutt for ålesund-studier" in result.stdout
    assert "channel_not_found" in result.stdout
    assert "Status per 25. mars 2024" in result.stdout


def test_csv_to_standard_output(runner: CliRunner, database: str) -> None:
    result = runner.invoke(APP, ["report", "--format", "csv", "--unit", "IFB", *TODAY])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfunit_id,unit_name,")
    assert "IFB,Institutt B,3,," in result.stdout


def test_an_unknown_unit_is_a_clear_error(runner: CliRunner, database: str, tmp_path: Path) -> None:
    out = tmp_path / "never.csv"
    result = runner.invoke(APP, ["report", "--unit", "NOPE", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 1
    assert t("nb", "report.cli.unknown_unit", unit="NOPE") in result.stderr
    assert not out.exists()


def test_min_group_below_three_is_refused(runner: CliRunner, database: str) -> None:
    result = runner.invoke(APP, ["report", "--min-group", "2"])
    assert result.exit_code == 2
    assert "--min-group" in result.stderr
