"""Teams benchmarks: fan-out of one milestone through the real Teams SDK client.

1. Throughput: the engine (claim, compose, render the Adaptive Card, send, record every
   delivery; Sender + TeamsTransport) against a bare loop of the same SDK calls
   (``app.send(conversation_id, card)``, 8 in flight on the same event-loop thread), in the
   same run, against the fake Bot Framework connector in its own process, no rate limit.
   Conversation references are known (the steady state after the first nudge).
2. Pacing: a fake (in this process, on virtual time shared with the token bucket and the
   engine's clock) that allows 50 requests a second per tenant and 7 per conversation and
   answers 429 with Retry-After beyond that; the HTTP calls are real.

    python -m benchmarks.teams_fanout [--people 10000] [--pacing-people 3000] [--postgres URL]
                                      [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.database import bench_database
from benchmarks.fanout import SEND_AT, VirtualTime, _plan, repeated
from benchmarks.orgs import university_csv
from bot.config import Settings
from bot.pacing import TokenBucket
from bot.sender import Sender, SenderConfig
from bot.teams.cards import render_card
from bot.teams.loop import EventLoopThread
from bot.teams.sdk import make_teams_app
from bot.transports.base import Recipient, SendResult
from bot.transports.teams import ConversationRef, MemoryConversations, TeamsTransport
from bot.warm_up import keep_start_up_objects, ready_to_serve
from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from schedules.planner import Planner
from storage.db import make_engine, upgrade
from storage.directory import import_org
from tests.fakes.teams_connector import DEFAULT_APP_ID, DEFAULT_TENANT, FakeTeamsConnector

TEAMS_RATE = 50


def teams_csv(people: int) -> tuple[str, dict[str, str]]:
    """The benchmark university with an Entra object id per person (email → object id)."""
    lines = university_csv(people).splitlines()
    out = [lines[0] + ",teams_aad_object_id"]
    ids: dict[str, str] = {}
    for line in lines[1:]:
        email = line.split(",")[4]
        aad = str(uuid.uuid5(uuid.NAMESPACE_URL, email)) if email else ""
        if email:
            ids[email] = aad
        out.append(line + "," + aad)
    return "\n".join(out) + "\n", ids


def _settings() -> Settings:
    return Settings(_env_file=None, CLIENT_ID=DEFAULT_APP_ID, TENANT_ID=DEFAULT_TENANT)  # type: ignore[call-arg]


class RemoteFake:
    """The fake connector in its own process, as Teams is: it must not share our GIL."""

    def __init__(self, members: list[str]) -> None:
        self._parent, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve_fake, args=(child, members), daemon=True
        )
        self._process.start()
        self.url, self.token = self._parent.recv()

    def ask(self, command: str) -> Any:
        self._parent.send(command)
        return self._parent.recv()

    def close(self) -> None:
        self._parent.send("stop")
        self._process.join(timeout=10)


def _serve_fake(connection: Any, members: list[str]) -> None:
    with FakeTeamsConnector() as fake:
        for member in members:
            fake.add_conversation(fake.conversation_id_for(member), DEFAULT_TENANT)
        connection.send((fake.url, fake.token_provider()))
        while True:
            command = connection.recv()
            if command == "stop":
                return
            if command == "reset":
                fake.reset()
                connection.send(None)
            elif command == "stats":
                counts = fake.activities_by_conversation()
                connection.send((sum(counts.values()), len(counts), fake.rate_limited))


def _refs(url: str, ids: dict[str, str], engine: Any) -> MemoryConversations:
    from sqlalchemy import select

    from storage.models import Person, table_of

    people = table_of(Person)
    with engine.connect() as connection:
        rows = connection.execute(select(people.c.id, people.c.teams_aad_object_id)).all()
    return MemoryConversations(
        {
            row.id: ConversationRef(
                FakeTeamsConnector.conversation_id_for(row.teams_aad_object_id), url, DEFAULT_TENANT
            )
            for row in rows
            if row.teams_aad_object_id
        }
    )


def bare_loop(url: str, token: str, members: list[str], concurrency: int) -> tuple[float, float]:
    """`app.send` to each conversation with one prepared card, `concurrency` in flight."""
    from bot.messages import Message, MessageKind

    app = make_teams_app(_settings(), token=lambda scope, tenant: token, service_url=url)
    card = render_card(
        Message(
            kind=MessageKind.information,
            locale="nb",
            headline="Resultatene er klare",
            body="Les dem på Innsida.",
            delivery_id=1,
        )
    )

    async def run() -> tuple[float, float]:
        await app.initialize()
        queue: asyncio.Queue[str] = asyncio.Queue()
        for member in members:
            queue.put_nowait(FakeTeamsConnector.conversation_id_for(member))

        async def worker() -> None:
            while not queue.empty():
                await app.send(queue.get_nowait(), card)

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, time.process_time() - cpu

    with EventLoopThread() as loop:
        return loop.run(run())


def engine_run(
    db: str,
    url: str,
    token: str,
    csv: str,
    ids: dict[str, str],
    concurrency: int,
    *,
    clock: FrozenClock,
    bucket: TokenBucket | None = None,
    wait: Any = None,
    transport_type: type[TeamsTransport] = TeamsTransport,
) -> tuple[float, float, int]:
    engine = make_engine(db)
    upgrade(engine)
    import_org(engine, csv, clock=clock, actor="benchmark")
    plan = _plan()
    calendar = WorkCalendar()
    ready_to_serve(calendar, clock.now())  # as `arkbot serve` does at start-up
    planned = Planner(engine, plan, calendar, clock).run()
    with EventLoopThread() as loop:
        app = make_teams_app(_settings(), token=lambda scope, tenant: token, service_url=url)
        transport = transport_type(
            app, loop=loop, tenant_id=DEFAULT_TENANT, conversations=_refs(url, ids, engine)
        )
        sender = Sender(
            engine,
            plan,
            transport,
            calendar,
            clock,
            bucket=bucket,
            config=SenderConfig(concurrency=concurrency, batch_size=500, optional_per_day=5),
        )
        started, cpu = time.perf_counter(), time.process_time()
        sender.drain(wait=wait or time.sleep)
        sent_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        sender.close()
    engine.dispose()
    return sent_s, cpu_s, planned.inserted


def throughput(people: int, concurrency: int, url: str | None) -> float:
    """Prints one bare run and one engine run; returns engine / bare."""
    csv, ids = teams_csv(people)
    members = list(ids.values())
    fake = RemoteFake(members)
    try:
        with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
            keep_start_up_objects()  # the bare loop's process settles as the engine's does
            bare_s, bare_cpu = bare_loop(fake.url, fake.token, members, concurrency)
            fake.ask("reset")
            db = stack.enter_context(bench_database(url, Path(folder), "teams-throughput.db"))
            sent_s, engine_cpu, inserted = engine_run(
                db, fake.url, fake.token, csv, ids, concurrency, clock=FrozenClock(SEND_AT)
            )
            posted, recipients, _ = fake.ask("stats")
    finally:
        fake.close()
    bare_rate = len(members) / bare_s
    engine_rate = posted / sent_s
    backend = "postgresql" if url else "sqlite"
    print(f"[T1] Teams fan-out, {len(members)} recipients, {concurrency} in flight, {backend}")
    print(f"    bare app.send loop         : {bare_s:7.2f} s  {bare_rate:8.0f} msg/s")
    print(f"    engine send (persisted)    : {sent_s:7.2f} s  {engine_rate:8.0f} msg/s")
    print(f"    ratio engine/bare          : {engine_rate / bare_rate:7.2f}   (target ≥ 0.80)")
    print(
        f"    our CPU per card           : bare {bare_cpu / len(members) * 1e3:.2f} ms, "
        f"engine {engine_cpu / max(posted, 1) * 1e3:.2f} ms "
        f"(ratio {bare_cpu / len(members) / (engine_cpu / max(posted, 1)):.2f})"
    )
    print(f"    cards {posted}, distinct conversations {recipients}, planned {inserted}")
    return engine_rate / bare_rate


def pacing(people: int, concurrency: int, url: str | None) -> None:
    csv, ids = teams_csv(people)
    virtual = VirtualTime(SEND_AT)
    sends: list[float] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeTeamsConnector(
            tenant_rate_per_second=TEAMS_RATE, conversation_rate_per_second=7, time_fn=virtual.now
        ) as fake,
        bench_database(url, Path(folder), "teams-pacing.db") as db,
    ):
        for member in ids.values():
            fake.add_conversation(fake.conversation_id_for(member), DEFAULT_TENANT)
        token = fake.token_provider()
        # as bot.runtime.bucket_from(settings, "teams"): rate - 2 a second, burst 2
        bucket = TokenBucket(TEAMS_RATE - 2, 2, time_fn=virtual.now)

        class Timed(TeamsTransport):
            async def send_async(self, recipient: Recipient, message: Any) -> SendResult:
                sends.append(virtual.now())
                return await super().send_async(recipient, message)

        started = time.perf_counter()
        engine_run(
            db,
            fake.url,
            token,
            csv,
            ids,
            concurrency,
            clock=virtual.clock,
            bucket=bucket,
            wait=virtual.wait,
            transport_type=Timed,
        )
        wall = time.perf_counter() - started
        counts = fake.activities_by_conversation()
        limited = fake.rate_limited
    posted = sum(counts.values())
    elapsed = max(sends) - min(sends)
    rate = (posted - 1) / elapsed if elapsed else float("inf")
    calls = len(sends)
    exactly_one = sum(1 for n in counts.values() if n == 1)
    print(f"[T2] Teams pacing, {len(ids)} recipients, fake allows {TEAMS_RATE}/s per tenant")
    print(
        f"    sustained rate            : {rate:7.1f} /s  ({rate / TEAMS_RATE:.1%}; target ≥ 95 %)"
    )
    print(f"    answered 429              : {limited} of {calls} ({limited / calls:.2%}; < 1 %)")
    print(f"    recipients with exactly 1 : {exactly_one} of {len(ids)} recipients")
    print(f"    virtual duration          : {elapsed:7.1f} s, wall clock {wall:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--pacing-people", type=int, default=3_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL instead of SQLite")
    parser.add_argument("--only", choices=("throughput", "pacing"))
    parser.add_argument("--repeat", type=int, default=1, help="throughput runs (median printed)")
    args = parser.parse_args()
    if args.only in (None, "throughput"):
        repeated(args.repeat, lambda: throughput(args.people, args.concurrency, args.postgres))
    if args.only in (None, "pacing"):
        pacing(args.pacing_people, args.concurrency, args.postgres)


if __name__ == "__main__":
    main()
