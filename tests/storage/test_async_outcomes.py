"""The asyncio outcome writer (PostgreSQL): the same records as the synchronous writer, a
broken connection raises and the next write opens a new one, and SQLite is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.async_outcomes import AsyncOutcomeWriter
from storage.db import make_engine
from storage.deliveries import Outcome, claim_due
from storage.models import DeliveryStatus
from tests.engine.harness import build_world, make_plan, oslo
from tests.teams.test_sender_on_loop import NEWS, org_csv

LEASE = timedelta(minutes=2)


@pytest.fixture
def pg_engine(postgres_schema_url: str) -> Iterator[Engine]:
    from tests.conftest import _truncate

    engine = make_engine(postgres_schema_url)
    _truncate(engine)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_it_records_sends_and_failures_and_recovers_from_a_lost_connection(
    pg_engine: Engine,
) -> None:
    engine = pg_engine
    world = build_world(engine, make_plan(NEWS), oslo(date(2024, 1, 8), 9), org_csv=org_csv())
    world.planner.run()
    now = world.clock.now()
    ids = [row.id for row in claim_due(engine, now, limit=3, lease=LEASE)]
    assert len(ids) == 3
    writer = AsyncOutcomeWriter(engine)

    async def scenario() -> None:
        await writer.write(
            [Outcome(ids[0], DeliveryStatus.sent, sent_at=now, platform="teams", message_id="m1")]
        )
        # The database drops the writer's connection (a restart, a failover).
        with engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                    "AND query LIKE 'UPDATE deliveries%'"
                )
            )
        with pytest.raises(psycopg.OperationalError):
            await writer.write([Outcome(ids[1], DeliveryStatus.failed, error="first try")])
        await writer.write([Outcome(ids[1], DeliveryStatus.failed, error="teams_403")])
        await writer.write(
            [Outcome(ids[2], DeliveryStatus.pending, next_attempt_at=now + timedelta(hours=1))]
        )
        await writer.close()

    asyncio.run(scenario())
    rows = {row.id: row for row in world.deliveries()}
    assert (rows[ids[0]].status, rows[ids[0]].platform, rows[ids[0]].message_id) == (
        DeliveryStatus.sent,
        "teams",
        "m1",
    )
    assert rows[ids[0]].lease_until is None
    assert (rows[ids[1]].status, rows[ids[1]].error) == (DeliveryStatus.failed, "teams_403")
    assert rows[ids[2]].status is DeliveryStatus.pending
    assert rows[ids[2]].next_attempt_at == now + timedelta(hours=1)
    untouched = [row for row in rows.values() if row.id not in ids]
    assert untouched
    assert {row.status for row in untouched} == {DeliveryStatus.pending}


def test_sqlite_is_refused(sqlite_engine: Engine) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        AsyncOutcomeWriter(sqlite_engine)
