"""The nightly job: recent pulse rounds are resealed, old delivery logs purged."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from storage.db import session_scope
from storage.directory import import_org
from storage.housekeeping import nightly
from storage.models import Person, PulseAnswer, PulseResponse
from storage.pulses import record_pulse_answers
from tests.engine.harness import make_plan, oslo
from tests.slack_app.world import ORG, PLAN, PULSE


def test_nightly_reseals_recent_rounds_and_keeps_every_answer(engine: Engine) -> None:
    plan = make_plan(PLAN + PULSE)
    calendar = WorkCalendar()
    import_org(engine, ORG, clock=FrozenClock(oslo(date(2024, 4, 22), 9)), actor="test")
    with Session(engine) as session:
        ids = {p.email: p.id for p in session.exec(select(Person)).all()}
    for email, value in (("ansatt1@example.org", "4"), ("ansatt2@example.org", "2")):
        with session_scope(engine) as session:
            assert record_pulse_answers(
                session, plan=plan, pulse_id="pulse", round="p1", person_id=ids[email] or 0,
                unit_id="IFA", answers={"safe": value, "know": "yes"}, today=date(2024, 4, 23),
                calendar=calendar,
            )  # fmt: skip
    with Session(engine) as session:
        before_ids = {a.id for a in session.exec(select(PulseAnswer)).all()}
    report = nightly(engine, plan, calendar, now=oslo(date(2024, 4, 24), 2), retention_months=18)
    assert report.rounds_resealed == 1
    assert report.answers_resealed == 4
    with Session(engine) as session:
        after = session.exec(select(PulseAnswer)).all()
        markers = session.exec(select(PulseResponse)).all()
    assert sorted((a.question_id, a.value) for a in after) == [
        ("know", "yes"), ("know", "yes"), ("safe", "2"), ("safe", "4"),
    ]  # fmt: skip
    assert {a.id for a in after}.isdisjoint(before_ids)
    assert len(markers) == 2
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            answer_xmins = set(
                connection.execute(text("SELECT xmin::text FROM pulse_answers")).scalars()
            )
            marker_xmins = set(
                connection.execute(text("SELECT xmin::text FROM pulse_responses")).scalars()
            )
        assert len(answer_xmins) == 1  # one transaction wrote them all: no per-person link
        assert answer_xmins == marker_xmins


def test_nightly_leaves_old_rounds_alone(engine: Engine) -> None:
    plan = make_plan(PLAN + PULSE)
    report = nightly(
        engine, plan, WorkCalendar(), now=oslo(date(2025, 1, 10), 2), retention_months=18
    )
    assert (report.rounds_resealed, report.answers_resealed, report.deliveries_purged) == (0, 0, 0)
