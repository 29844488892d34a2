"""Hostile names in the terminal (`arkbot org show`, the report table), CSV and HTML."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.console import Console
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.reports import build_report, render_csv, render_html, render_table
from storage.db import make_engine
from storage.models import ActionItem, Person, Unit, table_of
from tests.reports.seed import CALENDAR, PLAN, TODAY, seed

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample-org.csv"
FORMULA = '=HYPERLINK("https://evil.example","x")'
SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RICH = "[bold red]boo[/bold red]"
ESC = "\x1b[2J\x1b]0;owned\x07"


def _poison(engine: Engine) -> None:
    units, items = table_of(Unit), table_of(ActionItem)
    with engine.begin() as connection:
        connection.execute(
            update(units).where(units.c.id == "IFA").values(name=f"{FORMULA}{SCRIPT}{RICH}{ESC}")
        )
        connection.execute(update(items).values(title=f"@SUM(A1){SCRIPT}", owner="+47 cmd|x"))


def test_csv_html_and_table_keep_hostile_text_inert(engine: Engine) -> None:
    seed(engine)
    _poison(engine)
    with Session(engine) as session:
        report = build_report(
            session, PLAN, unit_id=None, today=TODAY, calendar=CALENDAR, min_group=5
        )
    rows = list(csv.DictReader(io.StringIO(render_csv(report, locale="nb").lstrip("\ufeff"))))
    for row in rows:
        for column in ("unit_name", "item", "person", "detail", "reference", "unit_id"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row
    ifa = [row for row in rows if row["unit_id"] == "IFA"]
    assert ifa
    assert ifa[0]["unit_name"].startswith("'=HYPERLINK")
    actions = [row for row in rows if row["section"] == "action"]
    assert actions
    assert all(row["item"].startswith("'@SUM") for row in actions)
    assert all(row["person"] == "'+47 cmd|x" for row in actions)

    html = render_html(report, locale="nb")
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html

    out = io.StringIO()
    render_table(report, Console(file=out, width=250, force_terminal=True), locale="nb")
    shown = out.getvalue()
    assert "\x1b[2J" not in shown
    assert "\x1b]0;" not in shown
    assert RICH in shown  # literally, not as red bold


def test_org_show_prints_names_literally(runner: CliRunner, database: str) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0
    engine = make_engine(database)
    with engine.begin() as connection:
        connection.execute(update(table_of(Unit)).values(name=f"{RICH}{ESC}"))
        connection.execute(
            update(table_of(Person)).values(name=f"[link=https://evil]x[/link]{ESC}")
        )
    engine.dispose()
    result = runner.invoke(app, ["org", "show"], color=True)
    assert result.exit_code == 0, result.output
    assert RICH in result.stdout
    assert "[link=https://evil]x[/link]" in result.stdout
    assert "\x1b[2J" not in result.stdout
    assert "\x1b]0;" not in result.stdout
