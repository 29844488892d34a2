"""A person's rights over their data: export it, erase it; and the delivery log's retention.

- `export_person` gathers everything stored about one person as JSON-ready data (strings,
  numbers, booleans, lists and dicts; dates and times in ISO 8601).
- `erase_person` removes the person's personal data and keeps what the organisation needs:
  anonymous pulse answers (so aggregates stay intact), the unit's history (task
  completions and VO confirmations, detached from the person) and one audit entry saying
  that an erasure happened. The person's row stays, under a random pseudonym, so that
  references to it (``person/<id>`` in the audit log) point at nobody.
- `purge_deliveries` deletes finished delivery records older than the retention period.

Pulse answers are never part of an export: they carry no person and cannot be linked to
one. The export says only *that* the person answered a pulse round (the response markers).

Mentions of the person in free text written by others (an action item's owner, title or
note, another VO's comment, an audit entry's subject or detail, a delivery's error) are
found by the person's e-mail address and full name; they are listed in the export and
replaced with the pseudonym on erasure.
"""

from __future__ import annotations

import json
import re
import secrets
from calendar import monthrange
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    ActionItem,
    AuditEntry,
    Delivery,
    DeliveryStatus,
    Membership,
    Person,
    PulseResponse,
    TaskCompletion,
    TeamsConversation,
    Unit,
    VoConfirmation,
    table_of,
)
from storage.queries import person_by_email
from storage.records import audit

EXPORT_FORMAT = "arkbot-person-export/1"
PSEUDONYM_PREFIX = "erased-"
PSEUDONYM_DOMAIN = "invalid"  # reserved by RFC 2606: never a real mailbox
# A name shorter than this is not looked for in free text: it would match too much.
MIN_NAME_LENGTH = 4

FINISHED_STATUSES: tuple[DeliveryStatus, ...] = (
    DeliveryStatus.sent,
    DeliveryStatus.failed,
    DeliveryStatus.expired,
    DeliveryStatus.cancelled,
)

# Free-text columns where someone else may have written a person's name or e-mail address.
MENTION_COLUMNS: tuple[tuple[type[SQLModel], str], ...] = (
    (ActionItem, "owner"),
    (ActionItem, "title"),
    (ActionItem, "note"),
    (VoConfirmation, "comment"),
    (AuditEntry, "subject"),
    (AuditEntry, "detail"),
    (Delivery, "error"),
)


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What an erasure changed. Holds the pseudonym, never the erased name or address."""

    person_id: int
    pseudonym: str
    memberships_deleted: int
    deliveries_deleted: int
    pulse_markers_deleted: int
    vo_comments_cleared: int
    vo_confirmations_detached: int
    task_completions_detached: int
    audit_entries_rewritten: int
    mentions_replaced: int

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)


def is_pseudonym(email: str) -> bool:
    """Whether `email` is an address `erase_person` gave an erased person."""
    address = email.strip().lower()
    return address.startswith(PSEUDONYM_PREFIX) and address.endswith("@" + PSEUDONYM_DOMAIN)


def find_person(session: Session, email: str) -> Person:
    """The person with this e-mail address, active or not; LookupError when there is none."""
    address = email.strip().lower()
    person = person_by_email(session, address, include_inactive=True) if address else None
    if person is None or person.id is None:
        raise LookupError(
            f"no person with the e-mail address {address or email!r} in the directory "
            "(never imported, or already erased)"
        )
    return person


# --------------------------------------------------------------------------- export


def export_person(session: Session, email: str) -> dict[str, Any]:
    """Everything stored about the person with this e-mail address, as JSON-ready data.

    Raises LookupError for an unknown address.
    """
    person = find_person(session, email)
    person_id = person.id
    assert person_id is not None
    units = {unit.id: unit.name for unit in session.exec(select(Unit))}

    memberships = session.exec(
        select(Membership)
        .where(col(Membership.person_id) == person_id)
        .order_by(col(Membership.unit_id), col(Membership.role))
    ).all()
    completions = session.exec(
        select(TaskCompletion)
        .where(col(TaskCompletion.done_by) == person_id)
        .order_by(col(TaskCompletion.recorded_at), col(TaskCompletion.id))
    ).all()
    confirmations = session.exec(
        select(VoConfirmation)
        .where(col(VoConfirmation.person_id) == person_id)
        .order_by(col(VoConfirmation.recorded_at), col(VoConfirmation.id))
    ).all()
    deliveries = session.exec(
        select(Delivery)
        .where(col(Delivery.person_id) == person_id)
        .order_by(col(Delivery.created_at), col(Delivery.id))
    ).all()
    acted = session.exec(
        select(AuditEntry)
        .where(_lower(AuditEntry.actor) == person.email.lower())
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    ).all()
    about = session.exec(
        select(AuditEntry)
        .where(col(AuditEntry.subject) == f"person/{person_id}")
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    ).all()
    markers = session.exec(
        select(PulseResponse)
        .where(col(PulseResponse.person_id) == person_id)
        .order_by(
            col(PulseResponse.cycle_id), col(PulseResponse.pulse_id), col(PulseResponse.round)
        )
    ).all()
    own_confirmations = {row.id for row in confirmations}
    own_audit = {row.id for row in acted}
    mentions = [
        {"table": table_of(model).name, "id": row.id, "column": column, "text": text}
        for model, row, column, text in _mentions(session, person)
        if not (model is VoConfirmation and row.id in own_confirmations)
        and not (model is AuditEntry and row.id in own_audit)
    ]

    conversation = session.get(TeamsConversation, person_id)
    return {
        "format": EXPORT_FORMAT,
        "person": {
            "id": person_id,
            "email": person.email,
            "name": person.name,
            "locale": person.locale,
            "timezone": person.timezone,
            "slack_user_id": person.slack_user_id,
            "teams_user_id": person.teams_user_id,
            "teams_aad_object_id": person.teams_aad_object_id,
            "teams_tenant_id": person.teams_tenant_id,
            "preferred_platform": person.preferred_platform,
            "active": person.active,
            "paused_until": _iso(person.paused_until),
        },
        "memberships": [
            {
                "unit_id": m.unit_id,
                "unit_name": units.get(m.unit_id),
                "role": m.role.value,
                "active": m.active,
            }
            for m in memberships
        ],
        "task_completions": [
            {
                "cycle_id": c.cycle_id,
                "milestone_id": c.milestone_id,
                "unit_id": c.unit_id,
                "unit_name": units.get(c.unit_id),
                "done_on": _iso(c.done_on),
                "archive_ref": c.archive_ref,
                "recorded_at": _iso(c.recorded_at),
            }
            for c in completions
        ],
        "vo_confirmations": [
            {
                "cycle_id": v.cycle_id,
                "milestone_id": v.milestone_id,
                "unit_id": v.unit_id,
                "unit_name": units.get(v.unit_id),
                "answer": v.answer.value,
                "involved_on": _iso(v.involved_on),
                "comment": v.comment,
                "recorded_at": _iso(v.recorded_at),
            }
            for v in confirmations
        ],
        "deliveries": [
            {
                "cycle_id": d.cycle_id,
                "milestone_id": d.milestone_id,
                "occurrence": d.occurrence,
                "kind": d.nudge,
                "role": d.role,
                "unit_id": d.unit_id,
                "optional": d.optional,
                "status": d.status.value,
                "attempts": d.attempts,
                "platform": d.platform,
                "channel_id": d.channel_id,
                "message_id": d.message_id,
                "created_at": _iso(d.created_at),
                "due_at": _iso(d.due_at),
                "sent_at": _iso(d.sent_at),
                "expires_at": _iso(d.expires_at),
                "error": d.error,
            }
            for d in deliveries
        ],
        "teams_conversation": (
            {
                "tenant_id": conversation.tenant_id,
                "conversation_id": conversation.conversation_id,
                "service_url": conversation.service_url,
                "updated_at": _iso(conversation.updated_at),
            }
            if conversation is not None
            else None
        ),
        "audit_entries_as_actor": [_audit_json(entry) for entry in acted],
        "audit_entries_about": [_audit_json(entry) for entry in about],
        "pulse_rounds_answered": [
            {"cycle_id": m.cycle_id, "pulse_id": m.pulse_id, "round": m.round} for m in markers
        ],
        "pulse_answers": (
            "Pulse answers are stored without any link to the person who gave them; "
            "they cannot be found, exported or erased per person."
        ),
        "mentions": mentions,
    }


def _audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": _iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------- erasure


def erase_person(session: Session, email: str, *, now: datetime, actor: str) -> ErasureReport:
    """Remove the personal data of the person with this e-mail address; see the module docstring.

    Raises LookupError for an unknown address, so erasing twice fails clearly the second
    time. Flushes but does not commit: the caller owns the transaction.
    """
    _aware(now)
    person = find_person(session, email)
    person_id = person.id
    assert person_id is not None
    old_email = person.email
    token = secrets.token_hex(8)
    pseudonym = f"{PSEUDONYM_PREFIX}{token}@{PSEUDONYM_DOMAIN}"

    memberships = _delete(session, Membership, col(Membership.person_id) == person_id)
    deliveries = _delete(session, Delivery, col(Delivery.person_id) == person_id)
    markers = _delete(session, PulseResponse, col(PulseResponse.person_id) == person_id)
    _delete(session, TeamsConversation, col(TeamsConversation.person_id) == person_id)

    comments = 0
    confirmations = session.exec(
        select(VoConfirmation).where(col(VoConfirmation.person_id) == person_id)
    ).all()
    for confirmation in confirmations:
        if confirmation.comment is not None:
            comments += 1
        confirmation.comment = None
        confirmation.person_id = None
        session.add(confirmation)

    completions = session.exec(
        select(TaskCompletion).where(col(TaskCompletion.done_by) == person_id)
    ).all()
    for completion in completions:
        completion.done_by = None
        session.add(completion)

    rewritten = session.exec(
        select(AuditEntry).where(_lower(AuditEntry.actor) == old_email.lower())
    ).all()
    for entry in rewritten:
        entry.actor = pseudonym
        session.add(entry)
    session.flush()

    mentioned = 0
    patterns = _patterns(person)
    for model, row, column, text in _mentions(session, person):
        replaced = text
        for pattern in patterns:
            replaced = pattern.sub(pseudonym, replaced)
        if replaced != text:
            setattr(row, column, replaced[: _length(model, column)])
            session.add(row)
            mentioned += 1

    person.email = pseudonym
    person.name = f"{PSEUDONYM_PREFIX}{token}"
    person.slack_user_id = None
    person.teams_user_id = None
    person.teams_aad_object_id = None
    person.teams_tenant_id = None
    person.preferred_platform = None
    person.timezone = None
    person.paused_until = None
    person.active = False
    session.add(person)

    report = ErasureReport(
        person_id=person_id,
        pseudonym=pseudonym,
        memberships_deleted=memberships,
        deliveries_deleted=deliveries,
        pulse_markers_deleted=markers,
        vo_comments_cleared=comments,
        vo_confirmations_detached=len(confirmations),
        task_completions_detached=len(completions),
        audit_entries_rewritten=len(rewritten),
        mentions_replaced=mentioned,
    )
    # The fact of the erasure, without the name or address. A person erasing themselves is
    # recorded under their pseudonym.
    who = pseudonym if actor.strip().lower() == old_email.lower() else actor
    detail = {key: value for key, value in report.as_dict().items() if key != "person_id"}
    audit(
        session,
        now,
        who[:254],
        "person.erased",
        f"person/{person_id}",
        json.dumps(detail, sort_keys=True),
    )
    session.flush()
    return report


def _delete(session: Session, model: type[SQLModel], condition: Any) -> int:
    result = session.execute(table_of(model).delete().where(condition))
    return int(getattr(result, "rowcount", 0) or 0)


def _lower(attribute: Any) -> Any:
    return func.lower(col(attribute))


def _patterns(person: Person) -> list[re.Pattern[str]]:
    """The person's address, and their full name as whole words, case-insensitively."""
    patterns = [re.compile(re.escape(person.email), re.IGNORECASE)]
    name = " ".join(person.name.split())
    if len(name) >= MIN_NAME_LENGTH:
        words = r"\s+".join(re.escape(word) for word in name.split())
        patterns.append(re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE))
    return patterns


def _mentions(session: Session, person: Person) -> list[tuple[type[SQLModel], Any, str, str]]:
    """(model, row, column, text) for each free-text value that names the person.

    The values are matched in Python, not with SQL LIKE: SQLite folds only ASCII letters,
    and names such as "Øyvind" must be found in any case.
    """
    patterns = _patterns(person)
    found: list[tuple[type[SQLModel], Any, str, str]] = []
    for model, column in MENTION_COLUMNS:
        table = table_of(model)
        values = session.execute(
            select(table.c.id, table.c[column])
            .where(table.c[column].is_not(None))
            .order_by(table.c.id)
        ).all()
        for row_id, text in values:
            if isinstance(text, str) and any(pattern.search(text) for pattern in patterns):
                row = session.get(model, row_id)
                if row is not None:
                    found.append((model, row, column, text))
    return found


def _length(model: type[SQLModel], column: str) -> int | None:
    length = getattr(table_of(model).c[column].type, "length", None)
    return length if isinstance(length, int) else None


# --------------------------------------------------------------------------- retention


def months_before(at: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (the day clamped to the month's end)."""
    year, month = divmod(at.year * 12 + (at.month - 1) - months, 12)
    day = min(at.day, monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


def purge_deliveries(
    session: Session, *, older_than_months: int, now: datetime, actor: str = "retention"
) -> int:
    """Delete finished deliveries (sent, failed, expired, cancelled) created more than
    `older_than_months` calendar months before `now`; pending and sending ones always stay.

    Returns how many were deleted and leaves a "deliveries.purged" audit entry with the count.
    """
    _aware(now)
    if older_than_months < 1:
        raise ValueError(f"older_than_months must be at least 1, got {older_than_months}")
    cutoff = months_before(now, older_than_months)
    table = table_of(Delivery)
    result = session.execute(
        table.delete().where(
            table.c.created_at < cutoff,
            table.c.status.in_([status.value for status in FINISHED_STATUSES]),
        )
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    audit(
        session,
        now,
        actor,
        "deliveries.purged",
        "deliveries",
        json.dumps(
            {
                "deleted": count,
                "older_than_months": older_than_months,
                "created_before": cutoff.isoformat(),
            },
            sort_keys=True,
        ),
    )
    session.flush()
    return count


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {at.isoformat()}")
