"""APScheduler is only the clock: it fires the planner and the sender; the table is the record.

APScheduler 3.x cannot share a job store between processes, so nothing durable lives here:
two instances each run their own jobs against one database, and the deliveries table's
dedupe key and claims keep them from doubling anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger


def add_jobs(
    scheduler: BaseScheduler,
    *,
    plan_job: Callable[[], object],
    send_job: Callable[[], object],
    planner_seconds: int,
    sender_seconds: int,
    start_at: datetime | None = None,
    nightly_job: Callable[[], object] | None = None,
    timezone: str = "Europe/Oslo",
) -> None:
    first = start_at or datetime.now(UTC)
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(
        plan_job,
        IntervalTrigger(seconds=planner_seconds, timezone=UTC),
        id="planner",
        next_run_time=first,
        replace_existing=True,
        **common,
    )
    if nightly_job is not None:
        scheduler.add_job(
            nightly_job,
            CronTrigger(hour=2, minute=30, timezone=timezone),
            id="nightly",
            replace_existing=True,
            **common,
        )
    scheduler.add_job(
        send_job,
        IntervalTrigger(seconds=sender_seconds, timezone=UTC),
        id="sender",
        next_run_time=first,
        replace_existing=True,
        **common,
    )


def blocking_scheduler() -> BlockingScheduler:
    return BlockingScheduler(timezone=UTC)
