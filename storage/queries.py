"""Questions the rest of the app asks the organisation directory.

Each helper is one or two queries however large the organisation is (no N+1): unit trees
are walked with recursive common table expressions, which SQLite and PostgreSQL share.
"""

from __future__ import annotations

from sqlalchemy import bindparam, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import Membership, Person, Role, Unit

# A guard against a corrupt tree: real trees are at most five levels deep.
MAX_DEPTH = 32


class UnknownUnitError(LookupError):
    """No unit has this id."""

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        super().__init__(f"unknown unit '{unit_id}'")


Member = tuple[Person, Membership, Unit]


def active_members(
    session: Session,
    unit_id: str | None = None,
    role: Role | None = None,
    level: int | None = None,
) -> list[Member]:
    """(person, membership, unit) for every active membership of an active person in an active
    unit, optionally only in one unit, with one role, or at one level; ordered by unit level,
    unit id, role and name."""
    query = (
        select(Person, Membership, Unit)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .join(Unit, col(Unit.id) == col(Membership.unit_id))
        .where(col(Person.active), col(Membership.active), col(Unit.active))
    )
    if unit_id is not None:
        query = query.where(col(Unit.id) == unit_id)
    if role is not None:
        query = query.where(col(Membership.role) == role)
    if level is not None:
        query = query.where(col(Unit.level) == level)
    query = query.order_by(
        col(Unit.level), col(Unit.id), col(Membership.role), col(Person.name), col(Person.id)
    )
    return [(person, membership, unit) for person, membership, unit in session.exec(query)]


def unit_by_id(session: Session, unit_id: str) -> Unit | None:
    """The unit with this id, active or not."""
    return session.get(Unit, unit_id)


def unit_ancestors(session: Session, unit_id: str) -> list[Unit]:
    """The unit's parent, grandparent, … up to the root (nearest first, the unit itself not
    included). Raises `UnknownUnitError` for an id no unit has."""
    chain = _chain(session, unit_id)
    return chain[1:]


def unit_descendants(
    session: Session, unit_id: str, *, include_inactive: bool = False
) -> list[Unit]:
    """Every unit below this one (children first, then grandchildren, …; the unit itself not
    included). Inactive units, and what hangs below them, are left out unless asked for.
    Raises `UnknownUnitError` for an id no unit has."""
    if session.get(Unit, unit_id) is None:
        raise UnknownUnitError(unit_id)
    start = select(col(Unit.id), literal(0).label("depth")).where(col(Unit.id) == unit_id)
    tree = start.cte("subtree", recursive=True)
    child = aliased(Unit)
    step = select(col(child.id), (tree.c.depth + 1).label("depth")).where(
        col(child.parent_id) == tree.c.id, tree.c.depth < MAX_DEPTH
    )
    if not include_inactive:
        step = step.where(col(child.active))
    tree = tree.union_all(step)
    query = (
        select(Unit)
        .join(tree, col(Unit.id) == tree.c.id)
        .where(tree.c.depth > 0)
        .order_by(tree.c.depth, col(Unit.id))
    )
    return list(session.exec(query))


def coordinators_for(session: Session, unit_id: str) -> list[Person]:
    """The active coordinators of the unit or, if it has none, of its nearest ancestor that
    has some; [] when no unit up the tree has one. Raises `UnknownUnitError`."""
    chain = _chain(session, unit_id)
    depth = {unit.id: position for position, unit in enumerate(chain)}
    query = (
        select(Person, Membership.unit_id)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .join(Unit, col(Unit.id) == col(Membership.unit_id))
        .where(
            col(Membership.unit_id).in_(list(depth)),
            col(Membership.role) == Role.coordinator,
            col(Membership.active),
            col(Person.active),
            col(Unit.active),
        )
        .order_by(col(Person.name), col(Person.id))
    )
    found = list(session.exec(query))
    if not found:
        return []
    nearest = min(depth[member_unit] for _, member_unit in found)
    return [person for person, member_unit in found if depth[member_unit] == nearest]


def person_by_email(
    session: Session, email: str, *, include_inactive: bool = False
) -> Person | None:
    """The person with this e-mail address (case-insensitive); inactive people only on request."""
    query = select(Person).where(col(Person.email) == email.strip().lower())
    if not include_inactive:
        query = query.where(col(Person.active))
    return session.exec(query).first()


# Built once: every Slack request looks its sender up, and building the statement cost more
# than running it (docs/performance.md §9).
_BY_SLACK_ID = (
    select(Person)
    .where(col(Person.slack_user_id) == bindparam("slack_user_id"))
    .order_by(col(Person.active).desc(), col(Person.id))
)
_ACTIVE_BY_SLACK_ID = _BY_SLACK_ID.where(col(Person.active))


def person_by_slack_id(
    session: Session, slack_user_id: str, *, include_inactive: bool = False
) -> Person | None:
    """The person with this Slack user id; an active one wins over an inactive one."""
    query = _BY_SLACK_ID if include_inactive else _ACTIVE_BY_SLACK_ID
    return session.exec(query, params={"slack_user_id": slack_user_id.strip()}).first()


def _chain(session: Session, unit_id: str) -> list[Unit]:
    """The unit followed by its ancestors, nearest first, in one query."""
    start = select(col(Unit.id), col(Unit.parent_id), literal(0).label("depth")).where(
        col(Unit.id) == unit_id
    )
    chain = start.cte("chain", recursive=True)
    parent = aliased(Unit)
    chain = chain.union_all(
        select(col(parent.id), col(parent.parent_id), (chain.c.depth + 1).label("depth")).where(
            col(parent.id) == chain.c.parent_id, chain.c.depth < MAX_DEPTH
        )
    )
    query = select(Unit).join(chain, col(Unit.id) == chain.c.id).order_by(chain.c.depth)
    units = list(session.exec(query))
    if not units:
        raise UnknownUnitError(unit_id)
    return units
