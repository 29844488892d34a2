"""Pulse privacy: one closing instant for the whole audience, groups frozen per round, groups
that answered alike, and the configured threshold in `arkbot report`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.config import get_settings
from bot.pulse_aggregation import Reason, aggregate
from storage.db import make_engine, upgrade
from storage.directory import import_org
from storage.models import Person, PulseRoundGroup, table_of
from storage.pulses import record_pulse_answers
from tests.pulses.test_privacy import (
    AFTER_P1,
    CLOCK,
    ORG,
    P1_CLOSES,
    PLAN,
    answer,
    pid,
    results,
    session,
)
from tests.reports.seed import PLAN_TEXT, seed
from tests.reports.test_report_cli import APP

__all__ = ["session"]  # the fixture, from the pulse privacy tests

# Round p1 is open 10–14 April 2024. In Oslo (UTC+2) the 14th ends at 22:00 UTC; in
# Los Angeles (UTC−7) at 07:00 UTC on the 15th.
OSLO_END = datetime(2024, 4, 14, 22, tzinfo=UTC)
LA_END = datetime(2024, 4, 15, 7, tzinfo=UTC)


def _in_los_angeles(engine: Engine, email: str) -> None:
    people = table_of(Person)
    with engine.begin() as connection:
        connection.execute(
            update(people).where(people.c.email == email).values(timezone="America/Los_Angeles")
        )


def _shown(session: Session, **kwargs: object) -> dict[str, int | None]:
    found = aggregate(session, PLAN, pulse_id="pulse-a", round="p1", **kwargs)  # type: ignore[arg-type]
    return {group.unit_id: group.respondents for group in found if group.shown}


def test_results_wait_until_the_round_is_over_in_the_latest_zone(
    engine: Engine, session: Session
) -> None:
    _in_los_angeles(engine, "a5@example.org")
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 5)
    assert _shown(session, today=AFTER_P1, now=OSLO_END) == {}  # Oslo's day is over, LA's not
    assert _shown(session, today=AFTER_P1) == {}  # the 15th in Oslo is still the 14th in LA
    [reason] = {
        g.reason for g in aggregate(session, PLAN, pulse_id="pulse-a", round="p1", today=AFTER_P1)
    }
    assert reason is Reason.not_closed
    assert _shown(session, today=AFTER_P1, now=LA_END)["UNI"] == 10


def test_nothing_is_accepted_once_the_round_is_over_everywhere(
    engine: Engine, session: Session
) -> None:
    _in_los_angeles(engine, "a5@example.org")
    answer(session, "IA", "a", 4)
    args = {
        "plan": PLAN,
        "pulse_id": "pulse-a",
        "round": "p1",
        "unit_id": "IA",
        "answers": {"knows": "yes", "followed": "3"},
        "today": P1_CLOSES,  # what the person's own date says
    }
    with pytest.raises(ValueError, match="closed for everyone"):
        record_pulse_answers(session, person_id=pid(session, "b1@example.org"), now=LA_END, **args)  # type: ignore[arg-type]
    # still the 14th in Los Angeles: accepted
    assert record_pulse_answers(
        session,
        person_id=pid(session, "a5@example.org"),
        now=datetime(2024, 4, 15, 6, 59, tzinfo=UTC),
        **args,  # type: ignore[arg-type]
    )
    # the round's end was frozen with its groups at the first answer
    closes = {g.closes_at for g in session.exec(select(PulseRoundGroup)).all()}
    assert closes == {LA_END}


def test_a_later_import_changes_no_round_already_answered(engine: Engine, session: Session) -> None:
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 5)
    answer(session, "IC", "c", 6)
    before = aggregate(session, PLAN, pulse_id="pulse-a", round="p1", today=AFTER_P1)
    assert {g.unit_id for g in before if g.shown} >= {"IA", "IB", "FAK"}
    # A re-import: IB moves to the other faculty, and a new department with three employees
    # (who were never asked) appears under FAK. Computed on today's directory, FAK minus IA
    # would now be "IB's answers", and FAK's rest would be nobody of three people.
    moved = (
        ORG.replace("IB,Institutt B,FAK,", "IB,Institutt B,FAK2,")
        + "\n"
        + "\n".join(
            f"ID,Institutt D,FAK,3,d{n}@example.org,Ansatt D{n},employee" for n in range(1, 4)
        )
    )
    import_org(engine, moved, clock=CLOCK, actor="test")
    session.expire_all()
    after = aggregate(session, PLAN, pulse_id="pulse-a", round="p1", today=AFTER_P1)
    shown = lambda found: {g.unit_id: (g.respondents, g.questions) for g in found if g.shown}  # noqa: E731
    assert shown(after) == shown(before)


def test_a_group_that_answered_alike_is_hidden_and_cannot_be_subtracted(
    session: Session,
) -> None:
    answer(session, "IA", "a", 5, alike=True)  # all five: "yes" and 4
    answer(session, "IB", "b", 5)
    answer(session, "IC", "c", 6)
    found = results(session)
    assert not found["IA"].shown
    assert found["IA"].reason is Reason.derivable
    assert found["IA"].respondents is None
    # FAK − IB would be IA's five identical answers: IB is hidden too, FAK shows all ten.
    assert not found["IB"].shown
    assert found["FAK"].shown
    assert found["FAK"].respondents == 10
    for group in found.values():
        if group.shown:
            for question in group.questions:
                assert sum(1 for n in question.distribution.values() if n) > 1


def test_a_subtree_that_answered_alike_is_hidden_at_every_level(session: Session) -> None:
    answer(session, "IA", "a", 5, alike=True)
    answer(session, "IB", "b", 5, alike=True)  # same answers as IA: FAK is all alike too
    answer(session, "IC", "c", 6)
    found = results(session)
    assert not any(found[unit].shown for unit in ("IA", "IB", "FAK"))
    # UNI − FAK2 would be FAK's ten identical answers: FAK2 and IC go as well
    assert {unit for unit, group in found.items() if group.shown} == {"UNI"}


@pytest.fixture
def report_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_TEXT, encoding="utf-8")
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ARKBOT_PLAN", str(plan))
    monkeypatch.setenv("COLUMNS", "220")
    get_settings.cache_clear()
    return tmp_path


def _pulse_rows(runner: CliRunner, *extra: str) -> list[tuple[str, str]]:
    result = runner.invoke(APP, ["report", "--format", "csv", "--today", "2024-03-25", *extra])
    assert result.exit_code == 0, result.output
    rows = csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff")))
    return sorted({(r["unit_id"], r["count"]) for r in rows if r["section"] == "pulse"})


def test_arkbot_report_honours_the_configured_threshold(
    report_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    default = _pulse_rows(runner)
    assert ("IFB", "5") in default  # p1: IFB's five answers are shown at the default 5
    monkeypatch.setenv("ARKBOT_PULSE_MIN_GROUP", "6")
    get_settings.cache_clear()
    stricter = _pulse_rows(runner)
    assert all(int(count) >= 6 for _, count in stricter)
    assert ("IFB", "5") not in stricter
    # --min-group may raise the threshold, never lower it below the setting
    assert _pulse_rows(runner, "--min-group", "3") == stricter
    get_settings.cache_clear()
