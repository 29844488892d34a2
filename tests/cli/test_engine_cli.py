"""`arkbot simulate`, `arkbot run-due` and `arkbot demo` end to end."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.cli.simulate import SAMPLE_ORG


def _simulate(runner: CliRunner, *extra: str) -> list[dict[str, str]]:
    result = runner.invoke(
        app,
        [
            "simulate", "--plan", "ntnu-ark-2023-2025", "--org", str(SAMPLE_ORG),
            "--from", "2023-08-01", "--to", "2023-12-31", "--json", *extra,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_simulate_prints_every_nudge_in_order_as_json_lines(runner: CliRunner) -> None:
    nudges = _simulate(runner)
    assert nudges
    keys = {"at", "recipient", "role", "unit_id", "kind", "milestone", "locale", "text"}
    assert all(keys <= set(nudge) for nudge in nudges)
    moments = [datetime.fromisoformat(nudge["at"]) for nudge in nudges]
    assert all(moment.utcoffset() is not None for moment in moments)
    assert moments == sorted(moments)
    assert all(moment.weekday() < 5 for moment in moments)
    assert all(9 <= moment.hour < 15 for moment in moments)
    survey = [n for n in nudges if n["milestone"] == "survey" and n["kind"] == "window_open"]
    assert len(survey) == len({n["recipient"] for n in survey})
    assert {n["locale"] for n in nudges} == {"nb", "en"}
    english = next(n for n in nudges if n["locale"] == "en" and n["kind"] == "window_open")
    assert english["text"].startswith("The survey is open")


def test_nobody_answering_is_the_worst_case(runner: CliRunner) -> None:
    silent = _simulate(runner)
    answering = _simulate(runner, "--respond", "7")
    reminders = [n for n in silent if n["kind"] in ("reminder", "escalation")]
    answered_reminders = [n for n in answering if n["kind"] in ("reminder", "escalation")]
    assert len(answered_reminders) < len(reminders)
    assert any(n["kind"] == "escalation" for n in silent)
    assert _simulate(runner, "--respond", "7") == answering  # seeded: the same run twice


def test_simulate_rejects_bad_input(runner: CliRunner, tmp_path: Path) -> None:
    backwards = runner.invoke(
        app,
        [
            "simulate",
            "--plan",
            "ntnu-ark-2023-2025",
            "--org",
            str(SAMPLE_ORG),
            "--from",
            "2024-01-01",
            "--to",
            "2023-01-01",
        ],
    )
    assert backwards.exit_code == 2
    assert "before --from" in backwards.output
    broken = tmp_path / "org.csv"
    broken.write_text(
        "unit_id,unit_name,parent_id,level,email,name,role\nA,A,,1,x@example.org,X,boss\n"
    )
    bad_org = runner.invoke(
        app,
        [
            "simulate",
            "--plan",
            "ntnu-ark-2023-2025",
            "--org",
            str(broken),
            "--from",
            "2023-08-01",
            "--to",
            "2023-08-02",
        ],
    )
    assert bad_org.exit_code == 1
    assert "line 2" in bad_org.output
    assert "unknown role" in bad_org.output


def test_run_due_sends_what_is_due_once(runner: CliRunner, database: str) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE_ORG)]).exit_code == 0
    first = runner.invoke(app, ["run-due", "--now", "2023-11-06T10:00:00+01:00"])
    assert first.exit_code == 0, first.output
    assert "Spørreundersøkelse er åpen" in first.output or "The survey is open" in first.output
    summary = first.output.strip().splitlines()[-1]
    assert summary.startswith("Planned ")
    again = runner.invoke(app, ["run-due", "--now", "2023-11-06T10:05:00+01:00"])
    assert again.exit_code == 0, again.output
    assert "Planned 0 new deliveries; sent 0" in again.output


def test_run_due_rejects_a_time_without_offset(runner: CliRunner, database: str) -> None:
    result = runner.invoke(app, ["run-due", "--now", "2023-11-06T10:00:00"])
    assert result.exit_code == 2
    assert "offset" in result.output


def test_demo_runs_the_whole_cycle(runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Summary per unit" in result.output
    assert "Institutt for fjellfag" in result.output
    assert "messages sent to 34 people" in result.output
    assert "0 failed" in result.output
