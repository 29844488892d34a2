"""Benchmark 3: planning the whole 2023–2025 plan for 10,000 people.

Two ways the planner meets a cycle, each in a fresh process so the peak memory is its own:
  one-shot  a single run whose horizon covers the whole cycle (a late start, or a plan import)
  daily     one run a day from the first to the last day, as a long-running bot does
The planner time excludes the import of the organisation; peak memory is the process's
maximum resident set size, interpreter included.

    python -m benchmarks.planning [--people 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import func, select, text

from benchmarks.orgs import university_csv
from bot.config import SHIPPED_PLAN
from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from schedules.loader import load_plan
from schedules.planner import Planner
from schedules.timing import resolve
from storage.db import make_engine, upgrade
from storage.directory import import_org
from storage.models import Delivery, table_of


def _url(postgres: str | None, folder: str) -> str:
    if not postgres:
        return f"sqlite:///{Path(folder) / 'planning.db'}"
    engine = make_engine(postgres)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS arkbot_bench_plan CASCADE"))
        connection.execute(text("CREATE SCHEMA arkbot_bench_plan"))
    engine.dispose()
    separator = "&" if "?" in postgres else "?"
    return f"{postgres}{separator}options=-csearch_path%3Darkbot_bench_plan"


def run(mode: str, people: int, postgres: str | None) -> dict[str, object]:
    plan = load_plan(SHIPPED_PLAN)
    spans = [span for m in plan.milestones if (span := resolve(plan, m)) is not None]
    first = min(s.starts_on for s in spans) - timedelta(days=1)
    last = max(s.ends_on for s in spans) + timedelta(days=45)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(_url(postgres, folder))
        upgrade(engine)
        start = datetime.combine(first, clock_time(0), tzinfo=UTC)
        clock = FrozenClock(start)
        import_org(engine, university_csv(people), clock=clock, actor="benchmark")
        calendar = WorkCalendar()
        started = time.perf_counter()
        if mode == "one-shot":
            Planner(engine, plan, calendar, clock, horizon=last - first).run()
            runs = 1
        else:
            planner = Planner(engine, plan, calendar, clock)
            runs = 0
            day = first
            while day <= last:
                clock.set(datetime.combine(day, clock_time(0), tzinfo=UTC))
                planner.run()
                runs += 1
                day += timedelta(days=1)
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(table_of(Delivery))).scalar()
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "runs": runs, "rows": rows, "seconds": seconds, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument(
        "--postgres", metavar="URL", help="run against PostgreSQL instead of SQLite"
    )
    parser.add_argument("--child", choices=("one-shot", "daily"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.people, args.postgres)))
        return
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"[3] planning the shipped 2023–2025 plan for {args.people} people, {backend}")
    for mode in ("one-shot", "daily"):
        command = [
            sys.executable,
            "-m",
            "benchmarks.planning",
            "--child",
            mode,
            "--people",
            str(args.people),
        ]
        if args.postgres:
            command += ["--postgres", args.postgres]
        result = json.loads(
            subprocess.run(command, check=True, capture_output=True, text=True).stdout
        )
        print(
            f"    {mode:<8}: {result['seconds']:6.2f} s over {result['runs']:>3} run(s), "
            f"{result['rows']:>7} deliveries, peak RSS {result['peak_mb']:6.1f} MB"
            "   (target < 5 s, < 300 MB)"
        )


if __name__ == "__main__":
    main()
