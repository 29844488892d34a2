"""Token buckets kept in the database, so every instance draws on one budget per platform.

One row per key (`slack:default`, `teams:<tenant>`): the tokens left at `updated_at`, and
`paused_until` after a 429. A change reads the row, refills it by the elapsed time and writes
it back, under `SELECT … FOR UPDATE` on PostgreSQL and as a conditional UPDATE (retried when
another writer came first) on SQLite. No coordinator process, no clock other than the
instances' own (a clock running behind never refills backwards).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from storage.models import RateBucket, table_of

BUCKETS: Table = table_of(RateBucket)
_RETRIES = 50


@dataclass(frozen=True, slots=True)
class BucketState:
    tokens: float
    updated_at: datetime
    paused_until: datetime | None

    def refilled(self, now: datetime, rate: float, capacity: float) -> BucketState:
        """The state at `now`: tokens grow at `rate` a second up to `capacity`, not while paused."""
        start = self.updated_at
        if self.paused_until is not None and self.paused_until > start:
            start = self.paused_until
        tokens = self.tokens
        if now > start:
            tokens = min(capacity, tokens + (now - start).total_seconds() * rate)
        return BucketState(tokens, max(now, self.updated_at), self.paused_until)


Change = Callable[[BucketState], tuple[BucketState, float]]


def ensure(engine: Engine, key: str, capacity: float, now: datetime) -> None:
    """Create the bucket, full, unless it exists."""
    values = {"key": key, "tokens": float(capacity), "updated_at": now, "paused_until": None}
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(BUCKETS).values(**values).on_conflict_do_nothing(index_elements=["key"])
    with engine.begin() as connection:
        connection.execute(statement)


def read(engine: Engine, key: str) -> BucketState | None:
    with engine.connect() as connection:
        return _read(connection, key, lock=False)


def _read(connection: Connection, key: str, lock: bool) -> BucketState | None:
    query = select(BUCKETS.c.tokens, BUCKETS.c.updated_at, BUCKETS.c.paused_until).where(
        BUCKETS.c.key == key
    )
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else BucketState(float(row[0]), row[1], row[2])


def change(engine: Engine, key: str, apply: Change) -> float:
    """Apply `apply` (old state → new state, result) atomically; returns the result."""
    postgres = engine.dialect.name == "postgresql"
    for _ in range(_RETRIES):
        with engine.begin() as connection:
            old = _read(connection, key, lock=postgres)
            if old is None:
                raise LookupError(f"no rate bucket {key!r}; call ensure() first")
            new, result = apply(old)
            statement = (
                update(BUCKETS)
                .where(BUCKETS.c.key == key)
                .values(tokens=new.tokens, updated_at=new.updated_at, paused_until=new.paused_until)
            )
            if not postgres:  # nobody changed it since we read it
                statement = statement.where(
                    BUCKETS.c.tokens == old.tokens, BUCKETS.c.updated_at == old.updated_at
                )
            if connection.execute(statement).rowcount == 1:
                return result
    raise RuntimeError(f"rate bucket {key!r}: too many concurrent changes")


def utc_from(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
