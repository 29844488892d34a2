"""`arkbot serve` and `arkbot run-due`: the running bot, continuously or once."""

from __future__ import annotations

import logging
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from apscheduler.schedulers.background import BackgroundScheduler
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.chat_apps import build_chat_apps
from bot.cli.plan import load_or_exit
from bot.config import Settings, get_settings
from bot.runtime import (
    calendar_from,
    rules_from,
    sender_bucket_from,
    sender_config_from,
    transport_from,
)
from bot.sender import Sender
from bot.warm_up import ready_to_serve
from bot.workers import WebWorkers, listen, process_count, stop_on_sigterm
from schedules.clock import Clock, FrozenClock, SystemClock
from schedules.planner import Planner
from schedules.scheduler import add_jobs, blocking_scheduler
from storage.db import make_engine, upgrade
from storage.housekeeping import nightly
from storage.models import Person, table_of

log = logging.getLogger("arkbot")


def register(app: typer.Typer) -> None:
    app.command("run-due")(run_due)
    app.command("serve")(serve)
    app.command("housekeeping")(housekeeping)


def housekeeping() -> None:
    """Reseal recent pulse rounds and purge old delivery logs (serve does this nightly)."""
    settings = get_settings()
    plan = load_or_exit(settings.plan)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    report = nightly(
        engine,
        plan,
        calendar_from(settings),
        now=SystemClock().now(),
        retention_months=settings.delivery_retention_months,
    )
    Console().print(
        f"Resealed {report.rounds_resealed} pulse round(s) ({report.answers_resealed} answers); "
        f"purged {report.deliveries_purged} delivery log row(s)."
    )


def _parts(settings: Settings, clock: Clock) -> tuple[Planner, Sender]:
    plan = load_or_exit(settings.plan)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    calendar = calendar_from(settings)
    _warn_if_empty(engine)
    planner = Planner(
        engine,
        plan,
        calendar,
        clock,
        rules_from(settings),
        horizon=timedelta(hours=settings.planner_horizon_hours),
    )
    try:
        transport = transport_from(settings, engine=engine, clock=clock)
    except ValueError as error:
        Console(stderr=True).print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    sender = Sender(
        engine,
        plan,
        transport,
        calendar,
        clock,
        bucket=sender_bucket_from(settings, transport, engine),
        config=sender_config_from(settings),
    )
    return planner, sender


def _warn_if_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        people = connection.execute(select(func.count()).select_from(table_of(Person))).scalar()
    if not people:
        Console(stderr=True).print(
            "[yellow]The directory is empty: nobody will get a message. "
            "Import the organisation with `arkbot org import FILE.csv`.[/yellow]"
        )


def run_due(
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Pretend it is this instant (ISO 8601 with offset, e.g. 2023-10-02T09:00+02:00).",
        ),
    ] = None,
) -> None:
    """Plan and send everything due now, then exit (for cron; a second run sends nothing new)."""
    clock: Clock = SystemClock()
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            raise typer.BadParameter(
                f"{now!r} is not an ISO 8601 time", param_hint="--now"
            ) from None
        if at.tzinfo is None:
            raise typer.BadParameter("give an offset, e.g. +01:00 or Z", param_hint="--now")
        clock = FrozenClock(at)
    planner, sender = _parts(get_settings(), clock)
    try:
        planned = planner.run()
        sent = sender.drain(wait=time.sleep)
    finally:
        sender.close()
    Console().print(
        f"Planned {planned.inserted} new deliveries; sent {sent.sent}, failed {sent.failed}, "
        f"deferred {sent.deferred}, retrying {sent.retried + sent.rate_limited}, "
        f"cancelled {sent.cancelled}, expired {sent.expired}."
    )


def serve() -> None:
    """Run the bot: the planner and sender on a schedule, and the chat apps configured.

    One HTTP server on $PORT serves `/slack/events` (SLACK_BOT_TOKEN and
    SLACK_SIGNING_SECRET), `/api/messages` (Teams: CLIENT_ID and CLIENT_SECRET) and
    `/healthz`. With SLACK_APP_TOKEN Slack connects over Socket Mode instead. With no chat
    credentials only the scheduler runs (the console transport prints what would be sent).
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # APScheduler logs every run of every job at INFO: a line every few seconds that says nothing.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = get_settings()
    clock = SystemClock()
    planner, sender = _parts(settings, clock)
    interval = timedelta(seconds=settings.sender_interval_seconds)
    stop_on_sigterm()

    def plan_job() -> None:
        stats = planner.run()
        if stats.inserted:
            log.info("planned %d new deliveries", stats.inserted)

    def send_job() -> None:
        stats = sender.drain(wait=time.sleep, until=clock.now() + interval)
        if stats.claimed:
            log.info("sent %d, failed %d, deferred %d", stats.sent, stats.failed, stats.deferred)

    def nightly_job() -> None:
        report = nightly(
            planner.engine,
            planner.plan,
            planner.calendar,
            now=clock.now(),
            retention_months=settings.delivery_retention_months,
        )
        log.info("housekeeping: %s", report)

    try:
        apps = build_chat_apps(settings, planner.engine, planner.plan, clock, planner.calendar)
    except ValueError as error:
        Console(stderr=True).print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    ready_to_serve(planner.calendar, clock.now())
    scheduler = BackgroundScheduler(timezone=UTC) if apps.any else blocking_scheduler()
    add_jobs(
        scheduler,
        plan_job=plan_job,
        send_job=send_job,
        planner_seconds=settings.planner_interval_seconds,
        sender_seconds=settings.sender_interval_seconds,
        nightly_job=nightly_job,
        timezone=settings.timezone,
    )
    log.info(
        "arkbot is running with plan %s (transport %s; Slack %s, Teams %s)",
        planner.plan.id,
        sender.transport.platform,
        "on" if apps.slack else "off",
        "on" if apps.teams else "off",
    )
    workers: WebWorkers | None = None
    try:
        if not apps.any:
            scheduler.start()
            return
        from bot.slack.server import make_server, serve_http, serve_socket_mode

        scheduler.start()
        routes = apps.routes()
        socket_mode = apps.slack is not None and settings.slack_app_token is not None
        count = process_count(settings.web_processes, settings.database_url)
        if count > 1 and (routes or not socket_mode):
            workers = _start_workers(settings, count)
        if socket_mode:
            assert apps.slack is not None
            assert settings.slack_app_token is not None
            if routes and workers is None:  # Teams still needs its HTTP endpoint
                web = make_server(
                    None,
                    host="0.0.0.0",  # noqa: S104 (the platform routes to the container)
                    port=settings.port,
                    health=lambda: scheduler.running,
                    routes=routes,
                )
                web.start()
            serve_socket_mode(apps.slack, settings.slack_app_token.get_secret_value())
        elif workers is not None:
            while True:
                signal.pause()  # the workers serve; SIGTERM or Ctrl-C ends this
        else:
            serve_http(
                apps.slack,
                settings.port,
                health=lambda: scheduler.running,
                routes=routes,
            )
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping")
    finally:
        if workers is not None:
            workers.stop()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        sender.close()


def _start_workers(settings: Settings, count: int) -> WebWorkers:
    """`count` web processes on $PORT (`bot.workers`); this process keeps the scheduler."""
    from bot.cli.web import web_worker

    sock = listen("0.0.0.0", settings.port)  # noqa: S104 (the platform routes to the container)
    workers = WebWorkers(count, web_worker, sock, (os.getpid(),))
    workers.start()
    log.info("serving on port %d with %d web processes", settings.port, count)
    return workers
