from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from schedules.scheduler import add_jobs


def test_the_scheduler_is_only_a_clock_for_the_planner_and_the_sender() -> None:
    scheduler = BackgroundScheduler(timezone=UTC)
    calls: list[str] = []
    add_jobs(
        scheduler,
        plan_job=lambda: calls.append("plan"),
        send_job=lambda: calls.append("send"),
        planner_seconds=60,
        sender_seconds=5,
        start_at=datetime(2024, 1, 8, 8, tzinfo=UTC),
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"planner", "sender"}
    assert jobs["planner"].trigger.interval.total_seconds() == 60
    assert jobs["sender"].trigger.interval.total_seconds() == 5
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    jobs["planner"].func()
    jobs["sender"].func()
    assert calls == ["plan", "send"]
