"""Nightly housekeeping: reseal pulse rounds and purge old delivery logs.

Resealing rewrites every answer and marker of a round in one transaction (new random ids, one
transaction id, stored in id order), which breaks the link PostgreSQL would otherwise keep
between an answer and its marker through `xmin` and row order; VACUUM then removes the old
row versions. It runs for rounds that are open or closed within the last two weeks, so late
answers are resealed too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from schedules.calendar import WorkCalendar
from schedules.plan import Plan
from storage.db import session_scope
from storage.personal_data import purge_deliveries
from storage.pulses import pulse_rounds, reseal_round

RESEAL_AFTER_CLOSE = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class HousekeepingReport:
    rounds_resealed: int
    answers_resealed: int
    deliveries_purged: int


def nightly(
    engine: Engine,
    plan: Plan,
    calendar: WorkCalendar,
    *,
    now: datetime,
    retention_months: int,
    actor: str = "housekeeping",
) -> HousekeepingReport:
    today = calendar.local_date(now)
    rounds = [
        pulse_round
        for pulse_round in pulse_rounds(plan, calendar)
        if pulse_round.opens_on <= today <= pulse_round.closes_on + RESEAL_AFTER_CLOSE
    ]
    answers = 0
    for pulse_round in rounds:
        with session_scope(engine) as session:
            answers += reseal_round(
                session, cycle_id=plan.id, pulse_id=pulse_round.pulse_id, round=pulse_round.round
            )
    with session_scope(engine) as session:
        purged = purge_deliveries(session, older_than_months=retention_months, now=now, actor=actor)
    if rounds:
        _vacuum(engine)
    return HousekeepingReport(len(rounds), answers, purged)


def _vacuum(engine: Engine) -> None:
    """Remove the old row versions that still hold the links resealing broke."""
    statement = (
        "VACUUM pulse_answers, pulse_responses" if engine.dialect.name == "postgresql" else "VACUUM"
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))
