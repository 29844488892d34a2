"""`arkbot plan check | show | new` on the shipped plan and on broken files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.config import SHIPPED_PLAN


def test_check_the_shipped_plan(runner: CliRunner) -> None:
    result = runner.invoke(app, ["plan", "check", str(SHIPPED_PLAN)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "2 warning(s)" in result.output
    assert "the date is not known yet" in result.output


def test_check_a_broken_plan_names_file_line_and_field(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        SHIPPED_PLAN.read_text(encoding="utf-8").replace("phase: 1", "phase: 9", 1),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["plan", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:" in result.output
    assert ".phase: Input should be less than or equal to 5" in result.output
    assert "1 error(s)" in result.output


def test_show_json_lists_every_milestone_with_dates(runner: CliRunner) -> None:
    result = runner.invoke(app, ["plan", "show", "ntnu-ark-2023-2025", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    by_id = {row["id"]: row for row in rows}
    assert len(rows) == 27
    assert by_id["survey"]["starts_on"] == "2023-11-06"
    assert by_id["survey"]["ends_on"] == "2023-11-27"
    assert by_id["survey"]["title"]["nb"] == "Spørreundersøkelse"
    assert {"id", "phase", "title", "audience", "kind", "starts_on", "ends_on"} <= set(rows[0])
    unknown = [row for row in rows if row["starts_on"] is None]
    assert len(unknown) == 2
    assert all(row["ends_on"] is None for row in unknown)


def test_show_table_in_english(runner: CliRunner) -> None:
    result = runner.invoke(app, ["plan", "show", str(SHIPPED_PLAN), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "The survey (survey)" in result.output
    assert "2023-11-06" in result.output


def test_show_rejects_an_unknown_language(runner: CliRunner) -> None:
    result = runner.invoke(app, ["plan", "show", str(SHIPPED_PLAN), "--lang", "de"])
    assert result.exit_code == 2
    assert "use nb or en" in result.output


def test_new_cycle_from_the_shipped_plan(runner: CliRunner, tmp_path: Path) -> None:
    output = tmp_path / "plans" / "ntnu-ark-2025-2027.yaml"
    args = ["plan", "new", "--from", "ntnu-ark-2023-2025", "--anchor", "survey_start=2025-11-03"]
    result = runner.invoke(app, [*args, "-o", str(output)])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["plan", "show", str(output), "--json"])
    rows = {row["id"]: row for row in json.loads(shown.stdout)}
    assert rows["survey"]["starts_on"] == "2025-11-03"
    assert rows["survey"]["ends_on"] == "2025-11-24"
    again = runner.invoke(app, [*args, "-o", str(output)])
    assert again.exit_code == 1
    assert "use --force" in again.output


def test_new_cycle_rejects_an_unknown_anchor_and_a_bad_date(
    runner: CliRunner, tmp_path: Path
) -> None:
    output = tmp_path / "new.yaml"
    unknown = runner.invoke(
        app,
        [
            "plan",
            "new",
            "--from",
            "ntnu-ark-2023-2025",
            "--anchor",
            "start=2025-11-03",
            "-o",
            str(output),
        ],
    )
    assert unknown.exit_code == 2
    assert "unknown anchor(s) start" in unknown.output
    bad = runner.invoke(
        app,
        [
            "plan",
            "new",
            "--from",
            "ntnu-ark-2023-2025",
            "--anchor",
            "survey_start=3 Nov",
            "-o",
            str(output),
        ],
    )
    assert bad.exit_code == 2
    assert "is not a date" in bad.output
    assert not output.exists()
