"""Claims take exactly their limit, and concurrent claimers never share a row."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from storage.db import make_engine
from storage.deliveries import LEASE_EXPIRED, claim_due, insert_new
from storage.directory import import_org
from storage.models import DeliveryStatus
from tests.engine.harness import ORG_CSV

NOW = datetime(2024, 3, 4, 9, tzinfo=UTC)
LEASE = timedelta(seconds=120)


class _Clock:
    def now(self) -> datetime:
        return NOW


def _due_rows(engine: Engine, count: int) -> None:
    import_org(engine, ORG_CSV, clock=_Clock(), actor="test")  # type: ignore[arg-type]
    from sqlalchemy import select

    from storage.models import Person, table_of

    people = table_of(Person)
    with engine.connect() as connection:
        person_id = connection.execute(select(people.c.id).limit(1)).scalar_one()
    rows = [
        {
            "dedupe_key": f"c:m:{n}",
            "cycle_id": "c",
            "milestone_id": "m",
            "occurrence": str(n),
            "person_id": person_id,
            "unit_id": None,
            "role": "employee",
            "nudge": "information",
            "optional": False,
            "subject_id": None,
            "workspace": "default",
            "status": DeliveryStatus.pending.value,
            "attempts": 0,
            "due_at": NOW - timedelta(minutes=1),
            "next_attempt_at": NOW - timedelta(seconds=n % 50),
            "created_at": NOW,
        }
        for n in range(count)
    ]
    assert insert_new(engine, rows) == count


def test_a_claim_takes_exactly_its_limit(engine: Engine) -> None:
    _due_rows(engine, 1000)
    first = claim_due(engine, NOW, 200, LEASE)
    assert len(first) == 200
    second = claim_due(engine, NOW, 200, LEASE)
    assert len(second) == 200
    assert not {row.id for row in first} & {row.id for row in second}
    assert not any(row.maybe_sent for row in first + second)


def test_a_row_reclaimed_after_its_lease_is_marked_maybe_sent(engine: Engine) -> None:
    _due_rows(engine, 3)
    assert len(claim_due(engine, NOW, 10, LEASE)) == 3
    assert claim_due(engine, NOW + LEASE, 10, LEASE) == []  # the lease still holds
    again = claim_due(engine, NOW + LEASE + timedelta(seconds=1), 10, LEASE)
    assert len(again) == 3
    assert all(row.maybe_sent and row.attempts == 2 for row in again)
    from sqlalchemy import select

    from storage.deliveries import DELIVERIES

    with engine.connect() as connection:
        errors = set(connection.execute(select(DELIVERIES.c.error)).scalars())
    assert errors == {LEASE_EXPIRED}


@pytest.mark.postgres
def test_concurrent_claimers_on_postgresql_get_disjoint_sets(
    postgres_schema_url: str,
) -> None:
    setup = make_engine(postgres_schema_url)
    from tests.conftest import _truncate

    _truncate(setup)
    _due_rows(setup, 1000)
    setup.dispose()
    engines = [make_engine(postgres_schema_url) for _ in range(4)]
    claims: list[list[int]] = [[] for _ in engines]
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def claim(index: int) -> None:
        try:
            start.wait()
            while rows := claim_due(engines[index], NOW, 50, LEASE):
                assert len(rows) <= 50
                claims[index].extend(row.id for row in rows)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert errors == []
    everything = [row for claimed in claims for row in claimed]
    assert len(everything) == 1000
    assert len(set(everything)) == 1000
