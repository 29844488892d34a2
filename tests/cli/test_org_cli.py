"""`arkbot org import` and `arkbot org show`, against a SQLite file named by DATABASE_URL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import make_engine
from storage.models import AuditEntry, Person

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample-org.csv"


def people(url: str) -> list[tuple[str, bool]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return [
                (p.email, p.active)
                for p in session.exec(select(Person).order_by(col(Person.email)))
            ]
    finally:
        engine.dispose()


def test_import_the_sample_org(runner: CliRunner, database: str) -> None:
    result = runner.invoke(app, ["org", "import", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Imported" in result.stdout
    assert "6 units, 34 people, 38 memberships" in result.stdout
    assert "people" in result.stdout
    assert len(people(database)) == 34

    again = runner.invoke(app, ["org", "import", str(SAMPLE), "--actor", "kari@example.org"])
    assert again.exit_code == 0, again.output
    assert "The directory already matched the file; nothing changed." in again.stdout
    engine = make_engine(database)
    with Session(engine) as session:
        actors = session.exec(select(AuditEntry.actor).order_by(col(AuditEntry.id))).all()
    engine.dispose()
    assert actors == ["cli", "kari@example.org"]


def test_reimport_reports_what_changed(runner: CliRunner, database: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0
    smaller = tmp_path / "smaller.csv"
    smaller.write_text(
        "".join(
            line
            for line in SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
            if "guro.myhre@" not in line
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["org", "import", str(smaller)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "people" in line and "│" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")] == ["people", "0", "0", "0", "1"]
    assert ("guro.myhre@example.org", False) in people(database)


def test_dry_run_stores_nothing(runner: CliRunner, database: str) -> None:
    result = runner.invoke(app, ["org", "import", "--dry-run", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Checked" in result.stdout
    assert "Dry run: nothing was stored." in result.stdout
    assert people(database) == []


def test_bad_file_exits_1_and_names_every_bad_line(
    runner: CliRunner, database: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0
    before = people(database)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "unit_id,unit_name,parent_id,level,email,name,role\n"
        "EKS,Eksempeluniversitetet,,1,,,\n"
        "FEF,Fakultet for eksempelfag,EKS,2,kari@example.org,Kari,[bold]sjef[/bold]\n"
        "FEF,Fakultet for eksempelfag,EKS,2,ola@example.org,Ola,leader\n"
        "FEF-X,X,FEF,3,per@example,Per,employee\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["org", "import", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "2 problems; nothing was changed." in result.stderr
    # Values are shown as written, not read as Rich markup.
    assert "line 3, role: unknown role '[bold]sjef[/bold]'" in result.stderr
    assert "line 5, email: malformed email 'per@example'" in result.stderr
    assert people(database) == before


def test_unreadable_files_exit_1(runner: CliRunner, database: str, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["org", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1
    assert "nope.csv: no such file" in missing.stderr
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("unit_id,unit_name\nA,Spr\u00e5k\n".encode("latin-1"))
    result = runner.invoke(app, ["org", "import", str(latin1)])
    assert result.exit_code == 1
    assert "is not UTF-8 text (line 2: byte 0xe5)" in result.stderr


def test_show_the_whole_tree(runner: CliRunner, database: str) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0
    result = runner.invoke(app, ["org", "show"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Eksempeluniversitetet (EKS, level 1)"
    assert "Fakultet for eksempelfag (FEF, level 2)" in lines[1]
    assert any("coordinator Ragnhild Sæther <ragnhild.saether@example.org> nb" in x for x in lines)
    assert any(
        "employee Daniel Kim <daniel.kim@example.org> en, America/New_York" in x for x in lines
    )
    # Members are listed before sub-units, leaders first.
    fjellfag = next(i for i, line in enumerate(lines) if "Institutt for fjellfag" in line)
    assert "leader Ingrid Haugen" in lines[fjellfag + 1]
    assert "vo Torbjørn Vik" in lines[fjellfag + 2]
    assert sum("Torbjørn Vik" in line for line in lines) == 3


def test_show_one_unit(runner: CliRunner, database: str) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0
    result = runner.invoke(app, ["org", "show", "--unit", "FEF-IHA"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Institutt for havfag (FEF-IHA, level 3)"
    assert "Lars Eriksen" in result.stdout
    assert "Institutt for datafag" not in result.stdout
    assert "Eksempeluniversitetet" not in result.stdout
    assert len(result.stdout.splitlines()) == 1 + 9


def test_show_json(runner: CliRunner, database: str) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0
    result = runner.invoke(app, ["org", "show", "--json", "--unit", "FEF"])
    assert result.exit_code == 0, result.output
    [faculty] = json.loads(result.stdout)
    assert (faculty["id"], faculty["level"], faculty["parent_id"]) == ("FEF", 2, "EKS")
    assert [m["role"] for m in faculty["members"]] == [
        "leader",
        "coordinator",
        "leader_support",
        "losam",
    ]
    assert [c["name"] for c in faculty["children"]] == [
        "Institutt for datafag",
        "Institutt for fjellfag",
        "Institutt for havfag",
        "Institutt for språkfag",
    ]
    havfag = faculty["children"][2]
    assert {
        "email": "daniel.kim@example.org",
        "name": "Daniel Kim",
        "role": "employee",
        "locale": "en",
        "timezone": "America/New_York",
    } in havfag["members"]


def test_show_unknown_unit_exits_1(runner: CliRunner, database: str) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0
    result = runner.invoke(app, ["org", "show", "--unit", "NOPE"])
    assert result.exit_code == 1
    assert "unknown unit 'NOPE'" in result.stderr


def test_show_an_empty_directory(runner: CliRunner, database: str) -> None:
    result = runner.invoke(app, ["org", "show"])
    assert result.exit_code == 0, result.output
    assert "The directory is empty" in result.stdout
    assert json.loads(runner.invoke(app, ["org", "show", "--json"]).stdout) == []


def test_every_command_and_option_has_help(runner: CliRunner, database: str) -> None:
    result = runner.invoke(app, ["org", "--help"])
    assert result.exit_code == 0
    assert "Import or re-import the organisation" in result.stdout
    assert "Show the active units as a tree" in result.stdout
    show = runner.invoke(app, ["org", "show", "--help"]).stdout
    assert "Show only this unit and the units below it" in show
    assert "Print JSON instead of a tree" in show
    imported = runner.invoke(app, ["org", "import", "--help"]).stdout
    assert "one row per membership" in imported
    assert "store nothing" in imported
