"""Dates set in the database: validation, audit, the effective plan, restarts, `plan show`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.cli.plan import load_or_exit
from bot.config import get_settings
from schedules.calendar import WorkCalendar
from schedules.events import Nudge, Rules, plan_events
from schedules.timing import resolve
from storage.db import make_engine, session_scope, upgrade
from storage.models import AuditEntry, MilestoneOverride, table_of
from storage.overrides import (
    DateChangeError,
    Override,
    UnknownMilestone,
    current_plan,
    effective_plan,
    load_overrides,
    set_milestone_date,
)
from tests.engine.harness import oslo

SHIPPED = load_or_exit("ntnu-ark-2023-2025")


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COLUMNS", "200")  # Rich wraps at 80 columns when it sees no terminal
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


APRIL = oslo(date(2025, 4, 3), 10)


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        overrides = connection.execute(
            select(func.count()).select_from(table_of(MilestoneOverride))
        ).scalar_one()
        audits = connection.execute(
            select(func.count()).select_from(table_of(AuditEntry))
        ).scalar_one()
    return overrides, audits


@pytest.mark.parametrize(
    ("milestone", "day", "until", "error", "words"),
    [
        ("no-such-milestone", date(2025, 5, 20), None, UnknownMilestone, "unknown milestone"),
        (
            "vo-meeting-4-evaluate-actions",
            date(2025, 5, 20),
            date(2025, 5, 2),
            DateChangeError,
            "before",
        ),
        ("action-evaluation", date(2031, 5, 20), None, DateChangeError, "outside the cycle"),
        ("action-evaluation", date(2025, 3, 20), None, DateChangeError, "already passed"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_changes_nothing(
    engine: Engine,
    milestone: str,
    day: date,
    until: date | None,
    error: type[Exception],
    words: str,
) -> None:
    before = _counts(engine)
    with pytest.raises(error, match=words), session_scope(engine) as session:
        set_milestone_date(session, SHIPPED, milestone, day, until, now=APRIL, actor="k@x.org")
    assert _counts(engine) == before
    assert current_plan(engine, SHIPPED) == SHIPPED


def test_a_date_set_survives_a_restart_and_is_audited(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        change = set_milestone_date(
            session, SHIPPED, "action-evaluation", date(2025, 5, 20), now=APRIL, actor="k@x.org"
        )
    engine.dispose()
    assert change.old is None
    # Not known before: the task opens the day it is set, so its notice and reminders go.
    assert change.new == (date(2025, 4, 3), date(2025, 5, 20))

    restarted = make_engine(db_url)  # a new engine: nothing cached
    try:
        plan = current_plan(restarted, SHIPPED)
        span = resolve(plan, plan.milestone("action-evaluation"))
        assert span is not None
        assert span.due_on == date(2025, 5, 20)
        with Session(restarted) as session:
            (entry,) = session.exec(select(AuditEntry)).all()  # type: ignore[call-overload]
        assert entry[0].action == "milestone.date_set"
        assert entry[0].actor == "k@x.org"
        assert entry[0].detail == "not known -> 2025-04-03..2025-05-20"
        # Moving it again is revision 2, audited with old -> new.
        with session_scope(restarted) as session:
            moved = set_milestone_date(
                session, SHIPPED, "action-evaluation", date(2025, 5, 27), now=APRIL, actor="k"
            )
        assert moved.revision == 2
        assert moved.old == (date(2025, 4, 3), date(2025, 5, 20))
        with restarted.connect() as connection:
            (override,) = load_overrides(connection, SHIPPED.id)
        assert override.ends_on == date(2025, 5, 27)
    finally:
        restarted.dispose()


def test_setting_the_same_date_again_changes_nothing(sqlite_engine: Engine) -> None:
    for _ in range(2):
        with session_scope(sqlite_engine) as session:
            change = set_milestone_date(
                session,
                SHIPPED,
                "vo-meeting-4-evaluate-actions",
                date(2025, 5, 20),
                now=APRIL,
                actor="k",
            )
    assert not change.changed
    assert _counts(sqlite_engine) == (1, 1)


def test_without_a_date_the_coordinators_are_asked_before_the_hint_month() -> None:
    calendar = WorkCalendar()
    events = [e for e in plan_events(SHIPPED, calendar, Rules()) if e.nudge is Nudge.date_request]
    assert {e.milestone_id for e in events} == {
        "action-evaluation",
        "vo-meeting-4-evaluate-actions",
    }
    # Four weeks before May 2025 (Thursday 3 April), and once more a working week later.
    assert sorted({(e.occurrence, e.day) for e in events}) == [
        ("ask", date(2025, 4, 3)),
        ("ask2", date(2025, 4, 10)),
    ]
    assert all(a.role == "coordinator" for e in events for a in e.audience)


def test_a_set_date_gives_the_tbd_milestones_every_nudge() -> None:
    assert effective_plan(SHIPPED, []) is SHIPPED
    calendar = WorkCalendar()
    overrides = [
        Override("action-evaluation", date(2025, 4, 3), date(2025, 5, 20), 1, "k", APRIL),
        Override(
            "vo-meeting-4-evaluate-actions", date(2025, 5, 20), date(2025, 5, 20), 1, "k", APRIL
        ),
    ]
    events = plan_events(SHIPPED, calendar, Rules(), overrides)
    found = {
        (e.milestone_id, e.occurrence)
        for e in events
        if e.milestone_id in ("action-evaluation", "vo-meeting-4-evaluate-actions")
    }
    assert found == {
        ("action-evaluation", "open"),
        ("action-evaluation", "r14"),
        ("action-evaluation", "r3"),
        ("action-evaluation", "r0@2025-05-20"),
        ("action-evaluation", "esc@2025-05-20"),
        ("vo-meeting-4-evaluate-actions", "vo"),
    }


def test_plan_show_marks_the_dates_set_in_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/arkbot.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "plan",
            "set-date",
            "action-evaluation",
            "2025-05-20",
            "--plan",
            "ntnu-ark-2023-2025",
            "--now",
            "2025-04-03T10:00+02:00",
            "--by",
            "k@x.org",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "20. mai 2025" in result.output
    shown = runner.invoke(cli, ["plan", "show", "ntnu-ark-2023-2025", "--json"])
    assert shown.exit_code == 0, shown.output
    rows = {row["id"]: row for row in json.loads(shown.stdout)}
    assert rows["action-evaluation"]["due_on"] == "2025-05-20"
    assert rows["action-evaluation"]["override"]["set_by"] == "k@x.org"
    assert rows["action-evaluation"]["override"]["plan_ends_on"] is None
    assert rows["survey"]["override"] is None
    assert rows["vo-meeting-4-evaluate-actions"]["starts_on"] is None
    table = runner.invoke(cli, ["plan", "show", "ntnu-ark-2023-2025"])
    assert "2025-04-03 *" in table.stdout


@pytest.mark.parametrize(
    ("arguments", "code", "words"),
    [
        (["no-such", "2025-05-20"], 1, "Ukjent milepæl «no-such»"),
        (["action-evaluation", "2025-02-30"], 2, "is not a date"),
        (["action-evaluation", "2025-05-20", "--until", "2025-05-01"], 1, "er før 2025-05-20"),
    ],
)
def test_plan_set_date_errors_exit_with_their_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    code: int,
    words: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/arkbot.db")
    result = CliRunner().invoke(
        cli,
        [
            "plan",
            "set-date",
            *arguments,
            "--plan",
            "ntnu-ark-2023-2025",
            "--now",
            "2025-04-03T10:00+02:00",
        ],
    )
    assert result.exit_code == code
    assert words in result.output
    engine = make_engine(f"sqlite:///{tmp_path}/arkbot.db")
    try:
        upgrade(engine)  # a bad date stops before the database is even opened
        assert current_plan(engine, SHIPPED) == SHIPPED
    finally:
        engine.dispose()


def test_the_report_shows_the_date_set_in_the_database(sqlite_engine: Engine) -> None:
    from bot.reports.build import build_report
    from schedules.clock import FrozenClock
    from storage.directory import import_org
    from tests.engine.harness import ORG_CSV

    import_org(sqlite_engine, ORG_CSV, clock=FrozenClock(APRIL), actor="test")
    with session_scope(sqlite_engine) as session:
        set_milestone_date(
            session, SHIPPED, "action-evaluation", date(2025, 5, 20), now=APRIL, actor="k"
        )
    with Session(sqlite_engine) as session:
        report = build_report(
            session,
            SHIPPED,
            unit_id="IFA",
            today=date(2025, 4, 4),
            calendar=WorkCalendar(),
            min_group=5,
        )
    (unit,) = report.units
    (task,) = [task for task in unit.status.tasks if task.milestone_id == "action-evaluation"]
    assert task.due_on == date(2025, 5, 20)
    assert task.state != "unknown"


def test_errors_read_in_both_languages(sqlite_engine: Engine) -> None:
    from bot.compose import date_error_text

    with pytest.raises(DateChangeError) as caught, session_scope(sqlite_engine) as session:
        set_milestone_date(
            session,
            SHIPPED,
            "action-evaluation",
            date(2025, 3, 20),
            now=APRIL,
            actor="k",
        )
    assert date_error_text(caught.value, "nb") == (
        "Fristen 2025-03-20 er allerede passert (i dag er 2025-04-03)"
    )
    assert date_error_text(caught.value, "en") == (
        "The deadline 2025-03-20 has already passed (today is 2025-04-03)"
    )


def test_dates_still_to_set_are_listed_for_the_coordinator() -> None:
    from storage.overrides import dates_to_set

    assert [m.id for m in dates_to_set(SHIPPED)] == [
        "action-evaluation",
        "vo-meeting-4-evaluate-actions",
    ]
    overridden = effective_plan(
        SHIPPED,
        [Override("action-evaluation", date(2025, 4, 3), date(2025, 5, 20), 1, "k", APRIL)],
    )
    assert [m.id for m in dates_to_set(overridden)] == ["vo-meeting-4-evaluate-actions"]
