"""The conversation core on a real database, with deliveries planned and sent by the engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bot.conversation import Core, Identity
from storage.models import AuditEntry, Delivery, table_of
from tests.engine.harness import World, build_world, make_plan, oslo
from tests.slack_app.world import ORG, PLAN, PULSE, USERS

__all__ = ["PULSE", "USERS", "CoreWorld", "core_world", "oslo"]


@dataclass
class CoreWorld:
    world: World
    core: Core

    def who(self, user: str, **extra: Any) -> Identity:
        return Identity("slack", USERS[user], **extra)

    def at(self, moment: datetime) -> CoreWorld:
        self.world.at(moment)
        return self

    def deliver(self) -> int:
        return self.world.tick()

    def deliveries(self, **where: Any) -> list[Delivery]:
        return [
            d for d in self.world.deliveries() if all(getattr(d, k) == v for k, v in where.items())
        ]

    def one(self, **where: Any) -> Delivery:
        [found] = self.deliveries(**where)
        return found

    def rows(self, model: type[SQLModel]) -> list[Any]:
        with Session(self.world.engine) as session:
            return list(session.exec(select(model)).scalars())  # type: ignore[call-overload]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows except the audit log's time, to prove that nothing changed."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        with self.world.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                rows = connection.execute(select(table)).all()
                out[table.name] = sorted(tuple(map(repr, row)) for row in rows)
        return out

    def audit_actions(self) -> list[str]:
        with self.world.engine.connect() as connection:
            table = table_of(AuditEntry)
            return [row.action for row in connection.execute(select(table.c.action))]


@contextmanager
def core_world(
    engine: Engine, start: datetime | None = None, *, extra: str = "", org: str = ORG
) -> Iterator[CoreWorld]:
    from datetime import date

    plan = make_plan(PLAN + extra)
    world = build_world(engine, plan, start or oslo(date(2024, 4, 22), 9), org_csv=org)
    world.transport.platform = "slack"
    core = Core(engine=engine, plan=plan, clock=world.clock, calendar=world.calendar)
    try:
        yield CoreWorld(world, core)
    finally:
        world.sender.close()
