"""Benchmark 6: three sender instances on one PostgreSQL share one Slack rate limit.

Three `Sender` processes (the product's wiring from the environment: Slack transport, the
shared rate bucket, the DM history check) drain one fan-out from one PostgreSQL database
against a fake Slack that allows 600 chat.postMessage a minute and answers 429 with
Retry-After beyond that (a sliding 60-second window, real time). Printed: the combined rate
as a share of the allowed one, the share answered 429, and recipients with no message or
more than one. The second variant SIGKILLs one instance when half the messages are out.

    python -m benchmarks.instances [--people 700] [--postgres URL] [--only steady|kill]

Each variant takes about `people` / 9.8 seconds (700 people: 72 s, so that the fake's 60-second
window is really tested). All traffic
goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.database import bench_database
from benchmarks.fanout import PLAN, SEND_AT
from benchmarks.orgs import slack_users, university_csv
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackAPI, _Reply

ALLOWED_PER_MINUTE = 600
BUCKET_PER_MINUTE = 588  # 98 % of what the fake allows
BURST = 10
INSTANCES = 3
LEASE_SECONDS = 10
SCHEMA = "arkbot_bench_instances"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class _TimedFake(FakeSlackAPI):
    """The fake Slack API, remembering when each accepted chat.postMessage arrived."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted_at: list[float] = []
        self.answers: Counter[str] = Counter()

    def _handle(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        reply = super()._handle(method, params, headers)
        if method == "chat.postMessage":
            ok = reply.status == 200 and reply.body.get("ok")
            with self._lock:
                if ok:
                    self.accepted_at.append(time.monotonic())
                self.answers[str(reply.body.get("error") or "ok")] += 1
        return reply


def _serve_fake(connection: Any, users: dict[str, str]) -> None:
    with _TimedFake(users=users, rate_limit_per_minute=ALLOWED_PER_MINUTE) as api:
        connection.send(api.url)
        while True:
            command = connection.recv()
            if command == "stop":
                return
            if command == "posted":
                connection.send(len(api.messages))
            elif command == "stats":
                received = Counter(message.user_id for message in api.messages)
                connection.send(
                    {
                        "received": dict(received),
                        "accepted_at": list(api.accepted_at),
                        "rate_limited": api.rate_limited,
                        "posts": api.count("chat.postMessage"),
                        "history": api.count("conversations.history"),
                        "answers": dict(api.answers),
                    }
                )


class _Fake:
    """The fake in its own process, as Slack is: it must not share the senders' CPU budget."""

    def __init__(self, users: dict[str, str]) -> None:
        self._parent, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve_fake, args=(child, users), daemon=True
        )
        self._process.start()
        self.url: str = self._parent.recv()
        self._lock = threading.Lock()

    def ask(self, command: str) -> Any:
        with self._lock:
            self._parent.send(command)
            return self._parent.recv()

    def close(self) -> None:
        self._parent.send("stop")
        self._process.join(timeout=10)


def _prepare(db: str, csv: str, folder: Path) -> Path:
    from schedules.calendar import WorkCalendar
    from schedules.clock import FrozenClock
    from schedules.loader import check_plan_text
    from schedules.planner import Planner
    from storage.db import make_engine, upgrade
    from storage.directory import import_org

    engine = make_engine(db)
    upgrade(engine)
    import_org(engine, csv, clock=FrozenClock(SEND_AT), actor="benchmark")
    plan_file = folder / "plan.yaml"
    plan_file.write_text(PLAN, encoding="utf-8")
    plan, issues = check_plan_text(PLAN)
    assert plan is not None, issues
    Planner(engine, plan, WorkCalendar(), FrozenClock(SEND_AT)).run()
    engine.dispose()
    return plan_file


def _start(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.instances", "--worker"],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run(people: int, url: str, kill: bool) -> None:
    csv = university_csv(people)
    users = slack_users(csv)
    fake = _Fake(users)
    try:
        with (
            tempfile.TemporaryDirectory() as folder_name,
            bench_database(url, Path(folder_name), "", schema=SCHEMA) as db,
        ):
            folder = Path(folder_name)
            plan_file = _prepare(db, csv, folder)
            root = Path(__file__).resolve().parent.parent
            env = {
                "PATH": os.environ.get("PATH", ""),
                "PYTHONPATH": str(root),
                "DATABASE_URL": db,
                "ARKBOT_PLAN": str(plan_file),
                "ARKBOT_TRANSPORT": "slack",
                "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
                "SLACK_API_URL": fake.url,
                "ARKBOT_RATE_PER_MINUTE": str(BUCKET_PER_MINUTE),
                "ARKBOT_RATE_BURST": str(BURST),
                "ARKBOT_LEASE_SECONDS": str(LEASE_SECONDS),
                "ARKBOT_OPTIONAL_PER_DAY": "5",
                "BENCH_T0": repr(time.time()),
            }
            started = time.monotonic()
            workers = [_start(env, folder) for _ in range(INSTANCES)]
            killed = False
            while any(worker.poll() is None for worker in workers):
                if kill and not killed and fake.ask("posted") >= people // 2:
                    workers[0].send_signal(signal.SIGKILL)
                    killed = True
                time.sleep(0.1)
            wall = time.monotonic() - started
            problems = [
                worker.stderr.read().decode()[-2000:]
                for worker in workers
                if worker.stderr is not None and worker.returncode not in (0, -signal.SIGKILL)
            ]
            stats = fake.ask("stats")
    finally:
        fake.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    received: dict[str, int] = stats["received"]
    accepted: list[float] = stats["accepted_at"]
    elapsed = max(accepted) - min(accepted) if len(accepted) > 1 else 0.0
    rate = (len(accepted) - 1) / elapsed * 60 if elapsed else float("inf")
    missing = sum(1 for user in users.values() if user not in received)
    repeated = sum(count - 1 for count in received.values() if count > 1)
    limited, posts = stats["rate_limited"], stats["posts"]
    title = "one instance SIGKILLed at half-way" if kill else "all three run to the end"
    print(f"[6] {INSTANCES} instances, one PostgreSQL, {len(users)} recipients: {title}")
    print(
        f"    combined rate          : {rate:7.1f} /min  "
        f"({rate / ALLOWED_PER_MINUTE:.1%} of {ALLOWED_PER_MINUTE}; target ≥ 95 %)"
    )
    print(f"    answered 429           : {limited} of {posts} ({limited / posts:.2%}; < 1 %)")
    print(f"    missing / repeated     : {missing} / {repeated}  (target 0 / 0)")
    print(f"    history checks         : {stats['history']}  (answers: {stats['answers']})")
    print(f"    wall clock             : {wall:7.1f} s")


def worker() -> None:
    """One instance: the product's sender, from the environment, until nothing is left."""
    from bot.cli.plan import load_or_exit
    from bot.config import Settings
    from bot.runtime import bucket_from, calendar_from, sender_config_from, transport_from
    from bot.sender import Sender
    from storage.db import make_engine
    from storage.models import Delivery, DeliveryStatus, table_of

    t0 = float(os.environ["BENCH_T0"])

    class Clock:
        """The fan-out's morning, running at the speed of real time."""

        def now(self) -> datetime:
            return SEND_AT + timedelta(seconds=time.time() - t0)

    settings = Settings()  # type: ignore[call-arg]
    engine = make_engine(settings.database_url)
    transport = transport_from(settings)
    clock = Clock()
    sender = Sender(
        engine,
        load_or_exit(settings.plan),
        transport,
        calendar_from(settings),
        clock,  # type: ignore[arg-type]
        bucket=bucket_from(settings, engine, transport),
        config=sender_config_from(settings),
    )
    table = table_of(Delivery)
    unfinished = select(func.count()).where(
        table.c.status.in_([DeliveryStatus.pending.value, DeliveryStatus.sending.value])
    )
    try:
        while True:
            with engine.connect() as connection:
                if not connection.execute(unfinished).scalar():
                    return
            stats = sender.drain(wait=time.sleep, until=clock.now() + timedelta(seconds=5))
            if not stats.claimed:
                time.sleep(0.2)  # rows leased by an instance that died come back later
    finally:
        sender.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=700)
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_POSTGRES)
    parser.add_argument("--only", choices=("steady", "kill"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    if args.only in (None, "steady"):
        run(args.people, args.postgres, kill=False)
    if args.only in (None, "kill"):
        run(args.people, args.postgres, kill=True)


if __name__ == "__main__":
    main()
