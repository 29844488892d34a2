"""`arkbot pulse list` and `arkbot pulse results` on the shipped plan and the sample faculty."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.simulate import SAMPLE_ORG
from bot.config import SHIPPED_PLAN
from schedules.calendar import WorkCalendar
from schedules.loader import load_plan
from storage.db import make_engine, session_scope
from storage.models import Membership, Role
from storage.pulses import record_pulse_answers


def test_pulse_list_shows_rounds_and_their_state(runner: CliRunner, database: str) -> None:
    result = runner.invoke(app, ["pulse", "list", "--today", "2024-10-01"])
    assert result.exit_code == 0, result.output
    assert "pulse-autumn │ p1    │ 2024-08-15 │ 2024-08-21 │ closed" in result.output
    assert "p2    │ 2024-09-26 │ 2024-10-02 │ open" in result.output


def test_pulse_results_show_only_safe_groups(runner: CliRunner, database: str) -> None:
    assert runner.invoke(app, ["org", "import", str(SAMPLE_ORG)]).exit_code == 0
    plan = load_plan(SHIPPED_PLAN)
    engine = make_engine(database)
    with Session(engine) as session:
        employees = session.exec(
            select(Membership).where(
                Membership.unit_id == "FEF-IFJ", Membership.role == Role.employee
            )
        ).all()
    assert len(employees) >= 5
    spec = plan.milestone("pulse-autumn").pulse
    assert spec is not None
    for number, membership in enumerate(employees[:5]):
        # not all alike: a group that answers a question alike is never shown
        answers = {
            q.id: ("4" if q.scale == "1-5" else "yes")
            if number
            else ("2" if q.scale == "1-5" else "no")
            for q in spec.questions
        }
        with session_scope(engine) as session:
            record_pulse_answers(
                session,
                plan=plan,
                pulse_id="pulse-autumn",
                round="p1",
                person_id=membership.person_id,
                unit_id="FEF-IFJ",
                answers=answers,
                today=date(2024, 8, 16),
                calendar=WorkCalendar(),
            )
    engine.dispose()
    still_open = runner.invoke(
        app,
        ["pulse", "results", "--round", "p1", "--pulse", "pulse-autumn", "--today", "2024-08-20"],
    )
    assert still_open.exit_code == 0, still_open.output
    assert "4.0" not in still_open.output  # the round has not closed: nothing to show
    closed = runner.invoke(
        app,
        ["pulse", "results", "--round", "p1", "--pulse", "pulse-autumn", "--today", "2024-09-01"],
    )
    assert closed.exit_code == 0, closed.output
    # The department's 5 would leave a rest of 0 of its faculty's other people: it is hidden
    # and only the faculty's figures (which hold the same 5) are shown.
    assert "Institutt for fjellfag" in closed.output
    assert "hidden" in closed.output
    assert "Fakultet for eksempelfag │ 5" in closed.output
    too_small = runner.invoke(app, ["pulse", "results", "--min-group", "2"])
    assert too_small.exit_code == 2
    assert "at least 3" in too_small.output
