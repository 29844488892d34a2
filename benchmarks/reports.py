"""Benchmark 4: the coordinator's report for 10,000 people, 1,000 units, 100,000 pulse answers.

The shipped 2023–2025 plan on 2 June 2025 (every pulse round closed). The database holds a
university of 1,000 units (1 + 10 faculties + 989 departments) and about 10,000 people, task
completions for about half of the units, VO answers, three action items a unit, three
deliveries a person (2 % failed, with a handful of reasons) and 100,000 anonymous pulse
answers (inserted in bulk) spread over the seven rounds. Each format is timed from opening
the session to the finished output, as `arkbot report` does it (with Python's cyclic garbage
collector paused, see `bot.reports.paused_gc`): build the report, then render it. The HTML
figure includes importing matplotlib, which only that format needs.

    python -m benchmarks.reports [--people 10000] [--answers 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import io
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from benchmarks.orgs import university_csv
from bot.config import SHIPPED_PLAN
from bot.reports import build_report, paused_gc, render_csv_bytes, render_html, render_table
from bot.reports.model import Report
from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from schedules.loader import load_plan
from schedules.plan import MilestoneKind, Plan
from schedules.timing import resolve
from storage.db import make_engine, upgrade
from storage.directory import import_org
from storage.models import (
    ActionItem,
    Delivery,
    Membership,
    PulseAnswer,
    Role,
    TaskCompletion,
    Unit,
    VoConfirmation,
    table_of,
)
from storage.pulses import pulse_rounds

TODAY = date(2025, 6, 2)
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
TARGET_SECONDS = 2.0
REASONS = ("channel_not_found", "user_disabled", "not_in_channel", "ratelimited")
_CHUNK = 10_000


def _url(postgres: str | None, folder: str) -> str:
    if not postgres:
        return f"sqlite:///{Path(folder) / 'reports.db'}"
    engine = make_engine(postgres)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS arkbot_bench_report CASCADE"))
        connection.execute(text("CREATE SCHEMA arkbot_bench_report"))
    engine.dispose()
    separator = "&" if "?" in postgres else "?"
    return f"{postgres}{separator}options=-csearch_path%3Darkbot_bench_report"


def _bulk(engine: Engine, model: type[Any], rows: list[dict[str, Any]]) -> None:
    table = table_of(model)
    with engine.begin() as connection:
        for start in range(0, len(rows), _CHUNK):
            connection.execute(insert(table), rows[start : start + _CHUNK])


def seed(engine: Engine, plan: Plan, people: int, answers: int) -> dict[str, int]:
    """The directory, what people recorded, deliveries and pulse answers; returns counts."""
    import_org(
        engine,
        university_csv(people, departments=989, faculties=10),
        clock=FrozenClock(NOW),
        actor="benchmark",
    )
    rng = random.Random(2025)
    with engine.connect() as connection:
        units = connection.execute(select(table_of(Unit).c.id)).scalars().all()
        members = connection.execute(
            select(table_of(Membership).c.person_id, table_of(Membership).c.unit_id).where(
                table_of(Membership).c.role.in_([Role.leader.value, Role.vo.value])
            )
        ).all()
        everyone = connection.execute(
            select(table_of(Membership).c.person_id, table_of(Membership).c.unit_id)
        ).all()
    tasks = [(m.id, resolve(plan, m)) for m in plan.milestones if m.kind is MilestoneKind.task]
    completions = []
    for unit_id in units:
        for milestone_id, span in tasks:
            if span is None or span.due_on is None or rng.random() < 0.5:
                continue
            done_on = span.due_on + timedelta(days=rng.choice((-5, -1, 0, 3)))
            completions.append(
                {
                    "cycle_id": plan.id,
                    "milestone_id": milestone_id,
                    "unit_id": unit_id,
                    "done_on": done_on,
                    "archive_ref": f"2024/{rng.randint(1, 9999)}",
                    "recorded_at": NOW,
                }
            )
    _bulk(engine, TaskCompletion, completions)

    vo_points = [m.id for m in plan.milestones if m.kind is MilestoneKind.vo_meeting]
    confirmations = [
        {
            "cycle_id": plan.id,
            "milestone_id": milestone_id,
            "unit_id": unit_id,
            "person_id": person_id,
            "answer": rng.choice(("yes", "yes", "partly", "not_yet")),
            "recorded_at": NOW - timedelta(days=rng.randint(1, 300)),
        }
        for person_id, unit_id in members
        for milestone_id in vo_points
        if rng.random() < 0.7
    ]
    _bulk(engine, VoConfirmation, confirmations)

    states = ("open", "on_track", "on_track", "delayed", "done", "dropped")
    actions = [
        {
            "cycle_id": plan.id,
            "unit_id": unit_id,
            "title": f"Tiltak {n} for {unit_id}",
            "owner": "Leder",
            "due_on": TODAY + timedelta(days=rng.randint(-60, 120)),
            "area": rng.choice(("preserve", "develop")),
            "state": rng.choice(states),
            "created_at": NOW,
            "updated_at": NOW,
        }
        for unit_id in units
        for n in range(3)
    ]
    _bulk(engine, ActionItem, actions)

    deliveries = []
    for n, (person_id, unit_id) in enumerate(everyone):
        for k in range(3):
            failed = rng.random() < 0.02
            at = NOW - timedelta(days=rng.randint(1, 300))
            deliveries.append(
                {
                    "dedupe_key": f"bench:{n}:{k}",
                    "cycle_id": plan.id,
                    "milestone_id": "bench",
                    "occurrence": f"{n}:{k}",
                    "person_id": person_id,
                    "unit_id": unit_id,
                    "role": "employee",
                    "nudge": "reminder",
                    "status": "failed" if failed else "sent",
                    "attempts": 1,
                    "due_at": at,
                    "next_attempt_at": at,
                    "sent_at": None if failed else at,
                    "error": rng.choice(REASONS) if failed else None,
                    "created_at": at,
                }
            )
    _bulk(engine, Delivery, deliveries)

    rounds = pulse_rounds(plan, WorkCalendar())
    employee_units = [unit_id for _, unit_id in everyone]
    pulse_rows: list[dict[str, Any]] = []
    while len(pulse_rows) < answers:
        found = rng.choice(rounds)
        unit_id = rng.choice(employee_units)
        answered_on = found.opens_on + timedelta(days=rng.randint(0, 6))
        for question in found.questions:
            value = (
                str(rng.choice((2, 3, 3, 4, 4, 4, 5)))
                if question.scale == "1-5"
                else rng.choice(("yes", "yes", "no", "unsure"))
            )
            pulse_rows.append(
                {
                    "id": secrets.token_hex(16),
                    "cycle_id": plan.id,
                    "pulse_id": found.pulse_id,
                    "round": found.round,
                    "unit_id": unit_id,
                    "question_id": question.id,
                    "value": value,
                    "answered_on": answered_on,
                }
            )
    _bulk(engine, PulseAnswer, pulse_rows[:answers])
    return {
        "units": len(units),
        "people": len({person_id for person_id, _ in everyone}),
        "answers": min(answers, len(pulse_rows)),
        "deliveries": len(deliveries),
    }


def _table(report: Report) -> bytes:
    out = io.StringIO()
    render_table(report, Console(file=out, width=160, no_color=True), locale="nb")
    return out.getvalue().encode("utf-8")


def _csv(report: Report) -> bytes:
    return render_csv_bytes(report, locale="nb")


def _html(report: Report) -> bytes:
    return render_html(report, locale="nb").encode("utf-8")


def run(people: int, answers: int, postgres: str | None) -> None:
    plan = load_plan(SHIPPED_PLAN)
    calendar = WorkCalendar()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(_url(postgres, folder))
        upgrade(engine)
        started = time.perf_counter()
        counts = seed(engine, plan, people, answers)
        print(
            f"    seeded {counts['units']} units, {counts['people']} people, "
            f"{counts['answers']} pulse answers, {counts['deliveries']} deliveries "
            f"in {time.perf_counter() - started:.1f} s"
        )
        renderers: list[tuple[str, Callable[[Report], bytes]]] = [
            ("table", _table),
            ("csv", _csv),
            ("html", _html),
        ]
        for name, render in renderers:
            # As `arkbot report` does it: one session, the collector paused throughout.
            started = time.perf_counter()
            with paused_gc(), Session(engine) as session:
                report = build_report(
                    session, plan, unit_id=None, today=TODAY, calendar=calendar, min_group=5
                )
                built = time.perf_counter() - started
                output = render(report)
            seconds = time.perf_counter() - started
            verdict = "OK" if seconds < TARGET_SECONDS else "TOO SLOW"
            print(
                f"    {name:<5}: {seconds:5.2f} s (build {built:4.2f} s, render "
                f"{seconds - built:4.2f} s), {len(output) / 1e6:5.2f} MB, "
                f"{len(report.rounds)} pulse rounds shown   (target < {TARGET_SECONDS:.0f} s) "
                f"{verdict}"
            )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument(
        "--postgres", metavar="URL", help="run against PostgreSQL instead of SQLite"
    )
    args = parser.parse_args()
    backend = "postgresql" if args.postgres else "sqlite"
    print(
        f"[4] the coordinator's report: {args.people} people, 1,000 units, "
        f"{args.answers} pulse answers, {backend}"
    )
    run(args.people, args.answers, args.postgres)


if __name__ == "__main__":
    main()
