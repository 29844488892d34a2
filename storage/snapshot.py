"""A read-only picture of the active directory, loaded in one query for planning."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from storage.models import Membership, Person, Role, Unit, table_of


@dataclass(frozen=True, slots=True)
class Member:
    person_id: int
    timezone: str | None
    unit_id: str
    level: int
    role: Role


@dataclass(slots=True)
class DirectorySnapshot:
    members: list[Member]
    parents: dict[str, str | None]
    _coordinators: dict[str, list[int]] = field(default_factory=dict)

    def matching(self, role: Role, level: int | None) -> list[Member]:
        return [
            member
            for member in self.members
            if member.role == role and (level is None or member.level == level)
        ]

    def coordinators_for(self, unit_id: str) -> list[int]:
        """Coordinators of the unit, or of its nearest ancestor that has any."""
        current: str | None = unit_id
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            found = self._coordinators.get(current)
            if found:
                return found
            current = self.parents.get(current)
        return []

    def timezone_of(self, person_id: int) -> str | None:
        for member in self.members:
            if member.person_id == person_id:
                return member.timezone
        return None


def load_snapshot(connection: Connection) -> DirectorySnapshot:
    person, membership, unit = table_of(Person), table_of(Membership), table_of(Unit)
    rows = connection.execute(
        select(
            membership.c.person_id,
            person.c.timezone,
            membership.c.unit_id,
            unit.c.level,
            membership.c.role,
        )
        .join(person, person.c.id == membership.c.person_id)
        .join(unit, unit.c.id == membership.c.unit_id)
        .where(membership.c.active, person.c.active, unit.c.active)
        .order_by(membership.c.unit_id, membership.c.person_id, membership.c.role)
    ).all()
    members = [Member(*row) for row in rows]  # the role column already yields Role
    parents = {row[0]: row[1] for row in connection.execute(select(unit.c.id, unit.c.parent_id))}
    coordinators: dict[str, list[int]] = {}
    for member in members:
        if member.role is Role.coordinator:
            coordinators.setdefault(member.unit_id, []).append(member.person_id)
    return DirectorySnapshot(members, parents, coordinators)
