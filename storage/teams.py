"""Who someone is in Teams, and where the bot reaches them there.

- `person_for_teams` finds the directory person behind a Teams user: by Entra object id
  (``aadObjectId``; the tenant must agree when one is stored), else by Teams user id
  (``29:…``), else by e-mail / UPN (case-insensitive). Only active people are found. A
  person found by e-mail or user id learns their object id and tenant, so the next lookup
  is by id.
- `remember_conversation` / `conversation_of` / `forget_conversation` keep each person's
  1:1 conversation reference (conversation id, service URL, tenant), written when the bot
  is installed for someone or creates the conversation itself, and forgotten on uninstall.

Each function works in the caller's session (flushes, never commits) and writes an audit
entry when it changes something.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from storage.models import Person, TeamsConversation, table_of
from storage.records import audit

ACTOR = "teams"

# Built once: every click and message looks its sender up, and building the statement cost
# more than running it (docs/performance.md §9).
_ACTIVE = select(Person).where(col(Person.active)).order_by(col(Person.id))
_BY_AAD = _ACTIVE.where(col(Person.teams_aad_object_id) == bindparam("key"))
_BY_USER_ID = _ACTIVE.where(col(Person.teams_user_id) == bindparam("key"))
_BY_EMAIL = _ACTIVE.where(func.lower(col(Person.email)) == bindparam("key"))


def person_for_teams(
    session: Session,
    aad_object_id: str | None,
    tenant_id: str | None,
    *,
    user_id: str | None = None,
    email: str | None = None,
) -> Person | None:
    """The active person behind a Teams user, or None; see the module docstring."""
    aad = (aad_object_id or "").strip() or None
    tenant = (tenant_id or "").strip() or None
    if aad is not None:
        candidates = session.exec(_BY_AAD, params={"key": aad}).all()
        for person in candidates:
            if tenant is None or person.teams_tenant_id in (None, tenant):
                return person
        if candidates:
            return None  # the object id is someone's in another tenant
    found: Person | None = None
    teams_user = (user_id or "").strip() or None
    if teams_user is not None:
        found = session.exec(_BY_USER_ID, params={"key": teams_user}).first()
    address = (email or "").strip().lower() or None
    if found is None and address is not None:
        found = session.exec(_BY_EMAIL, params={"key": address}).first()
    if found is None:
        return None
    if aad is not None:
        if found.teams_aad_object_id not in (None, aad):
            return None  # the directory knows this person under another object id
        if found.teams_aad_object_id is None or (tenant and found.teams_tenant_id is None):
            found.teams_aad_object_id = aad
            found.teams_tenant_id = found.teams_tenant_id or tenant
            session.add(found)
            session.flush()
    return found


def conversation_of(session: Session, person_id: int) -> TeamsConversation | None:
    """The stored 1:1 conversation reference of a person, if any."""
    return session.get(TeamsConversation, person_id)


def conversations_of(session: Session, person_ids: Collection[int]) -> dict[int, TeamsConversation]:
    """The stored references of those people who have one, by person id (one query)."""
    if not person_ids:
        return {}
    rows = session.exec(
        select(TeamsConversation).where(col(TeamsConversation.person_id).in_(list(person_ids)))
    ).all()
    return {row.person_id: row for row in rows}


def remember_conversation(
    session: Session,
    person_id: int,
    *,
    tenant_id: str | None,
    conversation_id: str,
    service_url: str,
    now: datetime,
) -> bool:
    """Store (or replace) a person's conversation reference; True when something changed."""
    existing = session.get(TeamsConversation, person_id)
    if existing is not None and (
        existing.tenant_id,
        existing.conversation_id,
        existing.service_url,
    ) == (tenant_id, conversation_id, service_url):
        return False
    values = {
        "person_id": person_id,
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "service_url": service_url,
        "updated_at": now,
    }
    table = table_of(TeamsConversation)
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.person_id],
        set_={key: statement.excluded[key] for key in values if key != "person_id"},
    )
    session.execute(statement)
    if existing is not None:
        session.expire(existing)
    audit(session, now, ACTOR, "teams.conversation", f"person:{person_id}", conversation_id)
    session.flush()
    return True


def forget_conversation(
    session: Session, person_id: int, *, now: datetime, actor: str = ACTOR
) -> bool:
    """Drop a person's conversation reference (the app was uninstalled); True if one existed."""
    existing = session.get(TeamsConversation, person_id)
    if existing is None:
        return False
    session.delete(existing)
    audit(session, now, actor, "teams.uninstall", f"person:{person_id}")
    session.flush()
    return True
