"""Notices queued as deliveries: "you said, we did", a leader's word after a VO's "not yet".

A click that tells other people writes one pending delivery per person in the click's own
transaction, due at once. The sender then delivers them like any nudge: paced, retried,
recorded, each exactly once, on the person's platform and inside the send window. Nothing
is sent while the click is being answered (a Teams invoke would wait for every notice, and
Teams retries an invoke that takes too long), and a crash loses none. The dedupe key names
the event, so a second click for the same event queues nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from storage.deliveries import dedupe_key, insert_new_in
from storage.models import DeliveryStatus

OCCURRENCE_LIMIT = 64  # deliveries.occurrence


def occurrence_of(*parts: object) -> str:
    """The parts joined with ':'; past the column's width the tail becomes a digest."""
    joined = ":".join(str(part) for part in parts)
    if len(joined) <= OCCURRENCE_LIMIT:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:24]
    return f"{joined[: OCCURRENCE_LIMIT - len(digest) - 1]}~{digest}"


def queue_notices(
    session: Session,
    *,
    cycle_id: str,
    milestone_id: str,
    nudge: str,
    occurrence: str,
    unit_id: str,
    recipients: Sequence[tuple[int, str]],
    now: datetime,
    expires_at: datetime | None,
    subject_id: int | None = None,
    workspace: str = "default",
) -> int:
    """One pending delivery per (person id, role), due now; returns how many were new."""
    rows = [
        {
            "dedupe_key": dedupe_key(cycle_id, milestone_id, occurrence, person_id),
            "cycle_id": cycle_id,
            "milestone_id": milestone_id,
            "occurrence": occurrence,
            "person_id": person_id,
            "unit_id": unit_id,
            "role": role,
            "nudge": nudge,
            "optional": False,
            "subject_id": subject_id,
            "workspace": workspace,
            "status": DeliveryStatus.pending.value,
            "attempts": 0,
            "due_at": now,
            "next_attempt_at": now,
            "expires_at": expires_at,
            "created_at": now,
        }
        for person_id, role in recipients
    ]
    return len(insert_new_in(session, rows))
