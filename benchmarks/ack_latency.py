"""Benchmark 4: how fast a button click is acknowledged over HTTP (target: p99 < 100 ms).

Starts the real HTTP server (`bot.slack.server.make_server`: waitress, 16 threads) around a
Bolt app and fires bursts of concurrent, signed, real-shaped `block_actions` clicks at
`/slack/events`, all sent at once from one event loop (`benchmarks.clicks`), each on a new
connection. Every click is timed from just before it connects to the end of the HTTP answer
(what Slack waits for: it gives up after 3 s). The clicks come from their own process, and
the fake Slack Web API the app talks to runs in another, as Slack does: neither shares the
server's GIL.

The app, by default the product's (`bot.slack.app.build_app`, when it exists) wired to a
migrated database, the shipped plan and the fake Slack API; `--app module:function` names
another factory with the same signature. `--stand-in` (also the fallback when there is no
`build_app`) uses a minimal Bolt app instead: one action listener that writes a row to the
database (SQLite file, or PostgreSQL with `--postgres URL`) and only then acknowledges, so
the write is inside the measured time.

    python -m benchmarks.ack_latency [--clicks 50] [--rounds 3] [--postgres URL] [--stand-in]
                                     [--action-id task_done --value 1] [--app module:function]

Prints p50, p99 and max per round and over all rounds, and the HTTP statuses seen.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select
from sqlalchemy.engine import Engine

from benchmarks.clicks import Prepared, burst
from benchmarks.database import bench_database
from benchmarks.fanout import RemoteFake
from bot.slack.server import make_server, serve_http
from bot.warm_up import ready_to_serve
from bot.workers import WebWorkers, listen, process_count, stop_on_sigterm
from schedules.calendar import WorkCalendar
from storage.db import make_engine, upgrade
from tests.fakes.slack_api import DEFAULT_TOKEN
from tests.slack.signing import EVENTS_PATH, SignedClient, block_actions_payload

SECRET = "benchmark-signing-secret"
STAND_IN_ACTION = "bench_click"
TARGET_P99_MS = 100.0


@dataclass(frozen=True)
class Click:
    action_id: str
    value: str | None
    user_id: str
    response_url: str


# -- the clicking process ----------------------------------------------------------------------


def _clicker(connection: Any) -> None:
    """Waits for (url, clicks); answers with [(seconds, status)] for one burst."""
    while True:
        command = connection.recv()
        if command is None:
            return
        url, clicks = command
        connection.send(_burst(SignedClient(url, SECRET, timeout=10), clicks))


def _burst(client: SignedClient, clicks: list[Click]) -> list[tuple[float, int]]:
    requests: list[Prepared] = []
    for click in clicks:  # everything is built and signed before the clock starts
        payload = block_actions_payload(
            action_id=click.action_id, value=click.value, user_id=click.user_id
        )
        payload["response_url"] = click.response_url
        body = urlencode({"payload": json.dumps(payload)}).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": client.sign(body, timestamp),
        }
        requests.append((body, headers))
    return burst(client.base_url + EVENTS_PATH, requests)


class RemoteClicker:
    def __init__(self) -> None:
        self._parent, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_clicker, args=(child,), daemon=True)
        self._process.start()

    def burst(self, url: str, clicks: list[Click]) -> list[tuple[float, int]]:
        self._parent.send((url, clicks))
        result: list[tuple[float, int]] = self._parent.recv()
        return result

    def close(self) -> None:
        self._parent.send(None)
        self._process.join(timeout=10)


# -- the apps ------------------------------------------------------------------------------------


def stand_in_app(
    engine: Engine, client: WebClient, listener_workers: int | None = None
) -> tuple[App, Table]:
    """One listener: record the click in the database, then acknowledge.

    Bolt runs listeners on its own pool (5 threads unless `listener_workers` says otherwise);
    keep it no larger than the database pool (SQLAlchemy's default: 5, plus 10 overflow
    connections that are opened and closed again), or PostgreSQL pays for new connections.
    """
    table = Table(
        "bench_clicks",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", String(32), nullable=False),
        Column("value", String(64)),
        Column("clicked_at", DateTime(timezone=True), nullable=False),
    )
    table.create(engine)
    app = App(
        signing_secret=SECRET,
        client=client,
        token_verification_enabled=False,
        listener_executor=(
            ThreadPoolExecutor(max_workers=listener_workers) if listener_workers else None
        ),
    )

    @app.action(STAND_IN_ACTION)
    def click(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        with engine.begin() as connection:
            connection.execute(
                table.insert().values(
                    user_id=body["user"]["id"],
                    value=action.get("value"),
                    clicked_at=datetime.now(UTC),
                )
            )
        ack()

    return app, table


def product_app(
    factory: Callable[..., App], engine: Engine, db_url: str, api_url: str, *, migrate: bool = True
) -> App:
    from bot.config import Settings
    from schedules.clock import SystemClock
    from schedules.loader import load_plan

    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": db_url,
    }
    settings = Settings(**values)
    if migrate:
        upgrade(engine)
    client = WebClient(token=DEFAULT_TOKEN, base_url=api_url, retry_handlers=[], timeout=10)
    plan = load_plan(settings.plan)
    return factory(settings, engine, plan, SystemClock(), client=client)


def find_factory(name: str | None) -> Callable[..., App] | None:
    module_name, _, attribute = (name or "bot.slack.app:build_app").partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        if name:
            raise
        return None
    factory: Callable[..., App] | None = getattr(module, attribute, None)
    if factory is None and name:
        raise SystemExit(f"{module_name} has no {attribute}")
    return factory


# -- the run -------------------------------------------------------------------------------------


def _ms(seconds: list[float]) -> tuple[float, float, float]:
    values = sorted(s * 1000 for s in seconds)
    if len(values) == 1:
        return values[0], values[0], values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98], values[-1]


SCHEMA = "arkbot_bench_ack"


def run(args: argparse.Namespace) -> None:
    factory = None if args.stand_in else find_factory(args.app)
    fake = RemoteFake({})  # both helper processes start before any thread of ours
    clicker = RemoteClicker()
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            bench_database(args.postgres, Path(folder), "ack-latency.db", schema=SCHEMA) as db_url,
            contextlib.ExitStack() as stack,
        ):
            engine = make_engine(db_url)
            table: Table | None = None
            pids: list[int] = []
            if factory is None:
                client = WebClient(token=DEFAULT_TOKEN, base_url=fake.url, retry_handlers=[])
                app, table = stand_in_app(engine, client, args.listener_workers)
                workers = args.listener_workers or "Bolt's default 5"
                what = f"stand-in app (write a row, then ack; {workers} listener threads)"
                action_id, value = STAND_IN_ACTION, None
                server = make_server(app, threads=args.threads)
                thread = server.start()
                stack.callback(thread.join, 10)
                stack.callback(server.close)
                url, how = server.url, f"waitress, {args.threads} threads, in this process"
                pids.append(os.getpid())
            else:
                upgrade(engine)
                processes = args.processes or process_count(0, db_url)
                sock = listen("127.0.0.1", 0)
                web = WebWorkers(
                    processes,
                    _product_web_process,
                    sock,
                    (args.app, db_url, fake.url, args.threads),
                )
                web.start()
                stack.callback(web.stop)
                what = f"{factory.__module__}.{factory.__qualname__}"
                action_id, value = args.action_id, args.value
                url = f"http://127.0.0.1:{sock.getsockname()[1]}"
                how = f"{processes} web process(es) as in arkbot serve, {args.threads} threads each"
                pids = web.pids
            try:
                _measure(
                    args,
                    url,
                    clicker,
                    fake.url,
                    what,
                    engine.dialect.name,
                    action_id,
                    value,
                    how,
                    pids,
                )
                if table is not None:
                    with engine.connect() as connection:
                        rows = connection.execute(select(func.count()).select_from(table))
                        print(f"    rows written              : {rows.scalar()}")
            finally:
                stack.close()
                engine.dispose()
    finally:
        clicker.close()
        fake.close()


def _product_web_process(
    sock: socket.socket, factory_name: str | None, db_url: str, api_url: str, threads: int
) -> None:
    """One web process serving the product's Bolt app on the shared socket."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    stop_on_sigterm()
    factory = find_factory(factory_name)
    assert factory is not None
    engine = make_engine(db_url)
    app = product_app(factory, engine, db_url, api_url, migrate=False)
    ready_to_serve(WorkCalendar(), datetime.now(UTC))  # as `arkbot serve`'s web processes do
    with contextlib.suppress(KeyboardInterrupt):
        serve_http(app, 0, threads=threads, sock=sock)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far; 0 where /proc is missing."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def settle(pids: list[int], quiet: float = 0.1, limit: float = 10.0) -> None:
    """Wait until the server processes have used no CPU for `quiet` seconds: each round is
    a burst on an idle server, not on the tail of the previous round's work."""
    deadline = time.monotonic() + limit
    used = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = cpu_seconds(pids)
        if now == used:
            return
        used = now


def _measure(
    args: argparse.Namespace,
    url: str,
    clicker: RemoteClicker,
    api_url: str,
    what: str,
    backend: str,
    action_id: str,
    value: str | None,
    how: str,
    pids: list[int],
) -> None:
    hooks = api_url.replace("/api/", "/hooks/")  # respond() lands on the fake, never on Slack

    def clicks(round_no: int) -> list[Click]:
        return [
            Click(
                action_id,
                value if value is not None else f"r{round_no}-c{n}",
                args.user_id,
                f"{hooks}{round_no}/{n}",
            )
            for n in range(args.clicks)
        ]

    for _ in range(2 * len(pids)):  # warm-up, not counted: imports, pools, connections
        clicker.burst(url, clicks(0))
    results: list[tuple[float, int]] = []
    print(f"[4] ack latency: {args.clicks} concurrent signed clicks × {args.rounds} rounds")
    print(f"    app      : {what}")
    print(f"    database : {backend}; server: {how}")
    for round_no in range(1, args.rounds + 1):
        settle(pids)
        before = cpu_seconds(pids)
        burst = clicker.burst(url, clicks(round_no))
        cpu = (cpu_seconds(pids) - before) * 1000 / args.clicks
        results += burst
        p50, p99, worst = _ms([seconds for seconds, _ in burst])
        print(
            f"    round {round_no}: p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {worst:6.1f} ms"
            f"   server CPU {cpu:4.1f} ms a click"
        )
    p50, p99, worst = _ms([seconds for seconds, _ in results])
    verdict = "met" if p99 < TARGET_P99_MS else "MISSED"
    print(f"    all     : p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {worst:6.1f} ms")
    print(f"    target   : p99 < {TARGET_P99_MS:.0f} ms — {verdict}")
    statuses = Counter(status for _, status in results)
    print(f"    statuses : {dict(sorted(statuses.items()))}")


def main() -> None:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N"
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clicks", type=int, default=50, help="concurrent clicks per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    parser.add_argument(
        "--processes", type=int, default=0, help="web processes (default: as arkbot serve)"
    )
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL instead of SQLite")
    parser.add_argument("--stand-in", action="store_true", help="the minimal app, not build_app")
    parser.add_argument("--app", metavar="MODULE:FUNCTION", help="another app factory")
    parser.add_argument("--listener-workers", type=int, help="stand-in only; Bolt's default: 5")
    parser.add_argument("--action-id", default="task_done", help="the button (product app)")
    parser.add_argument("--value", default="1", help="the button's value (product app)")
    parser.add_argument("--user-id", default="U0F0000001", help="who clicks")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
