"""Who may do what: small checks over the directory, asked by every handler before it acts.

The checks read only; they never write. Each `require_*` raises `Denied` with a catalogue
key (under `access.`) and the placeholders its text needs, so a handler can answer the person
politely and change nothing. Only active people, active memberships and active units count.
"""

from __future__ import annotations

from sqlalchemy import bindparam, exists
from sqlalchemy import select as core_select
from sqlmodel import Session

from storage.models import Membership, Person, Role, Unit, table_of
from storage.queries import UnknownUnitError, person_by_slack_id, unit_ancestors

UNKNOWN_USER = "access.unknown_user"
NOT_ADDRESSEE = "access.not_addressee"
NOT_LEADER = "access.not_leader"
NOT_VO = "access.not_vo"
NOT_COORDINATOR = "access.not_coordinator"


class Denied(Exception):
    """The person may not do this. `reason` is a catalogue key; `params` fill its text."""

    def __init__(self, reason: str, **params: str) -> None:
        self.reason = reason
        self.params = params
        super().__init__(reason)


def person_for_slack(session: Session, slack_user_id: str) -> Person | None:
    """The active person with this Slack user id, or None."""
    if not slack_user_id or not slack_user_id.strip():
        return None
    return person_by_slack_id(session, slack_user_id)


_members, _people, _units = table_of(Membership), table_of(Person), table_of(Unit)
# Built once: every click asks it, and building it cost more than running it.
_HAS_ROLE = core_select(
    exists()
    .where(
        _members.c.person_id == bindparam("person_id"),
        _members.c.role == bindparam("role"),
        _members.c.unit_id.in_(bindparam("unit_ids", expanding=True)),
        _members.c.active,
    )
    .where(_people.c.id == _members.c.person_id, _people.c.active)
    .where(_units.c.id == _members.c.unit_id, _units.c.active)
)


def _has_role(session: Session, person_id: int, role: Role, unit_ids: list[str]) -> bool:
    if not unit_ids:
        return False
    found = session.execute(
        _HAS_ROLE, {"person_id": person_id, "role": role.value, "unit_ids": unit_ids}
    )
    return bool(found.scalar())


def roles_of(session: Session, person_id: int) -> list[tuple[str, Role]]:
    """(unit id, role) of each active membership in an active unit; [] for an inactive person.
    Ordered by unit level, unit id and role."""
    members, people, units = table_of(Membership), table_of(Person), table_of(Unit)
    rows = session.execute(
        core_select(members.c.unit_id, members.c.role)
        .join(people, people.c.id == members.c.person_id)
        .join(units, units.c.id == members.c.unit_id)
        .where(
            members.c.person_id == person_id,
            members.c.active,
            people.c.active,
            units.c.active,
        )
        .order_by(units.c.level, units.c.id, members.c.role)
    )
    return [(unit_id, Role(role)) for unit_id, role in rows]


def may_act_on_delivery(delivery_person_id: int, person_id: int) -> bool:
    """Only the person a message was sent to may press its buttons."""
    return delivery_person_id == person_id


def leads(session: Session, person_id: int, unit_id: str) -> bool:
    """Is the person an active leader of this active unit?"""
    return _has_role(session, person_id, Role.leader, [unit_id])


def is_vo_for(session: Session, person_id: int, unit_id: str) -> bool:
    """Is the person an active safety representative (VO) of this active unit?"""
    return _has_role(session, person_id, Role.vo, [unit_id])


def coordinates(session: Session, person_id: int, unit_id: str) -> bool:
    """Is the person a coordinator of this unit or of a unit above it? False for an unknown
    or inactive unit."""
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.active:
        return False
    try:
        chain = [unit_id] + [unit.id for unit in unit_ancestors(session, unit_id)]
    except UnknownUnitError:
        return False
    return _has_role(session, person_id, Role.coordinator, chain)


def is_coordinator(session: Session, person_id: int) -> bool:
    """Does the person coordinate any active unit?"""
    return any(role is Role.coordinator for _, role in roles_of(session, person_id))


def may_manage_actions(session: Session, person_id: int, unit_id: str) -> bool:
    """May the person register and change the unit's action items: its leader or coordinator."""
    return leads(session, person_id, unit_id) or coordinates(session, person_id, unit_id)


# -- requirements: raise Denied ----------------------------------------------------------------


def _unit_name(session: Session, unit_id: str) -> str:
    unit = session.get(Unit, unit_id)
    return unit.name if unit is not None else unit_id


def require_person_for_slack(session: Session, slack_user_id: str) -> Person:
    person = person_for_slack(session, slack_user_id)
    if person is None or person.id is None:
        raise Denied(UNKNOWN_USER)
    return person


def require_addressee(delivery_person_id: int, person_id: int) -> None:
    if not may_act_on_delivery(delivery_person_id, person_id):
        raise Denied(NOT_ADDRESSEE)


def require_leader(session: Session, person_id: int, unit_id: str) -> None:
    if not leads(session, person_id, unit_id):
        raise Denied(NOT_LEADER, unit=_unit_name(session, unit_id))


def require_vo(session: Session, person_id: int, unit_id: str) -> None:
    if not is_vo_for(session, person_id, unit_id):
        raise Denied(NOT_VO, unit=_unit_name(session, unit_id))


def require_coordinator(session: Session, person_id: int, unit_id: str | None = None) -> None:
    """A coordinator of anything (no unit given), or of this unit or one above it."""
    allowed = (
        is_coordinator(session, person_id)
        if unit_id is None
        else coordinates(session, person_id, unit_id)
    )
    if not allowed:
        raise Denied(NOT_COORDINATOR)


def require_may_manage_actions(session: Session, person_id: int, unit_id: str) -> None:
    if not may_manage_actions(session, person_id, unit_id):
        raise Denied(NOT_LEADER, unit=_unit_name(session, unit_id))
