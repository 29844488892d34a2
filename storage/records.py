"""What people record through the bot: tasks done, VO involvement, action items.

Each function is a domain action: it validates, writes, cancels nudges whose reason went
away, and leaves an audit entry. Repeating an action is harmless (a second "Done" keeps the
first record).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.deliveries import dedupe_key, insert_new_in
from storage.models import (
    ActionArea,
    ActionItem,
    ActionState,
    AuditEntry,
    Delivery,
    DeliveryStatus,
    Person,
    Role,
    TaskCompletion,
    VoAnswer,
    VoConfirmation,
    table_of,
)
from storage.queries import active_members

TASK_NUDGES = ("task_open", "reminder", "escalation")


def audit(
    session: Session, at: datetime, actor: str, action: str, subject: str, detail: str | None = None
) -> None:
    session.add(AuditEntry(at=at, actor=actor, action=action, subject=subject, detail=detail))


def mark_task_done(
    session: Session,
    *,
    cycle_id: str,
    milestone_id: str,
    unit_id: str,
    done_on: date,
    now: datetime,
    actor: str,
    person_id: int | None = None,
    archive_ref: str | None = None,
) -> tuple[TaskCompletion, bool]:
    """Record completion; returns (the record, whether it is new). Stops the unit's reminders."""
    existing = session.exec(
        select(TaskCompletion).where(
            TaskCompletion.cycle_id == cycle_id,
            TaskCompletion.milestone_id == milestone_id,
            TaskCompletion.unit_id == unit_id,
        )
    ).first()
    if existing is not None:
        return existing, False
    completion = TaskCompletion(
        cycle_id=cycle_id,
        milestone_id=milestone_id,
        unit_id=unit_id,
        done_on=done_on,
        done_by=person_id,
        archive_ref=archive_ref or None,
        recorded_at=now,
    )
    session.add(completion)
    _cancel(session, cycle_id, milestone_id, unit_id, TASK_NUDGES, "task marked done")
    audit(session, now, actor, "task.done", f"{cycle_id}/{milestone_id}/{unit_id}", archive_ref)
    session.flush()
    return completion, True


def record_vo_answer(
    session: Session,
    *,
    cycle_id: str,
    milestone_id: str,
    unit_id: str,
    person_id: int,
    answer: VoAnswer,
    now: datetime,
    actor: str,
    involved_on: date | None = None,
    comment: str | None = None,
) -> VoConfirmation:
    """Record (or update) a VO's answer: documentation of involvement, not an approval."""
    found = session.exec(
        select(VoConfirmation).where(
            VoConfirmation.cycle_id == cycle_id,
            VoConfirmation.milestone_id == milestone_id,
            VoConfirmation.unit_id == unit_id,
            VoConfirmation.person_id == person_id,
        )
    ).first()
    confirmation = found
    if confirmation is None:
        confirmation = VoConfirmation(
            cycle_id=cycle_id,
            milestone_id=milestone_id,
            unit_id=unit_id,
            person_id=person_id,
            answer=answer,
            recorded_at=now,
        )
    confirmation.answer = answer
    confirmation.involved_on = involved_on
    confirmation.comment = comment or None
    confirmation.recorded_at = now
    session.add(confirmation)
    audit(session, now, actor, "vo.answer", f"{cycle_id}/{milestone_id}/{unit_id}", answer.value)
    session.flush()
    return confirmation


def add_action_item(
    session: Session,
    *,
    cycle_id: str,
    unit_id: str,
    title: str,
    now: datetime,
    actor: str,
    owner: str | None = None,
    due_on: date | None = None,
    area: ActionArea = ActionArea.develop,
) -> ActionItem:
    title = title.strip()
    if not title:
        raise ValueError("an action item needs a title")
    item = ActionItem(
        cycle_id=cycle_id,
        unit_id=unit_id,
        title=title,
        owner=owner,
        due_on=due_on,
        area=area,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    audit(session, now, actor, "action.add", f"{cycle_id}/{unit_id}/{item.id}", title)
    return item


def set_action_state(
    session: Session,
    item: ActionItem,
    state: ActionState,
    *,
    now: datetime,
    actor: str,
    due_on: date | None = None,
    note: str | None = None,
) -> ActionItem:
    item.state = state
    if due_on is not None:
        item.due_on = due_on
    if note:
        item.note = note
    item.updated_at = now
    session.add(item)
    if state in (ActionState.done, ActionState.dropped):
        session.execute(
            table_of(Delivery)
            .update()
            .where(
                table_of(Delivery).c.subject_id == item.id,
                table_of(Delivery).c.nudge == "checkin",
                table_of(Delivery).c.status == DeliveryStatus.pending.value,
            )
            .values(status=DeliveryStatus.cancelled.value, error="action item closed")
        )
    audit(
        session,
        now,
        actor,
        "action.state",
        f"{item.cycle_id}/{item.unit_id}/{item.id}",
        state.value,
    )
    session.flush()
    return item


def _cancel(
    session: Session,
    cycle_id: str,
    milestone_id: str,
    unit_id: str,
    nudges: tuple[str, ...],
    reason: str,
) -> None:
    table = table_of(Delivery)
    session.execute(
        table.update()
        .where(
            table.c.cycle_id == cycle_id,
            table.c.milestone_id == milestone_id,
            table.c.unit_id == unit_id,
            table.c.nudge.in_(nudges),
            table.c.status == DeliveryStatus.pending.value,
        )
        .values(status=DeliveryStatus.cancelled.value, error=reason)
    )


# -- the Slack app's further actions ------------------------------------------------------------

LOCALES = ("nb", "en")
DEFAULT_TIMEZONE = "Europe/Oslo"
_SNOOZE = ":snooze:"
_GOING = (DeliveryStatus.pending.value, DeliveryStatus.sending.value, DeliveryStatus.sent.value)
_OCCURRENCE_LIMIT = 64


def _aware(at: datetime, what: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")


def snooze_delivery(
    session: Session,
    *,
    delivery_id: int,
    person_id: int,
    until: datetime,
    now: datetime,
    actor: str,
    timezone: str | None = None,
) -> int | None:
    """ "Remind me tomorrow": a new pending copy of the delivery, due at `until`; its id.

    The copy's occurrence is the original's with ``:snooze:<local day of until>`` (replacing
    an earlier snooze suffix, so snoozing a snoozed reminder stays short), and its dedupe key
    is built like the planner's, so a second click for the same day inserts nothing and
    returns None. The copy is not loaded (a click answers without it). The day is read in the
    person's zone, else `timezone`, else Europe/Oslo. Refuses (ValueError, nothing written) a
    delivery that is not the person's.
    """
    _aware(until, "until")
    _aware(now, "now")
    original = session.get(Delivery, delivery_id)
    if original is None:
        raise ValueError(f"no delivery with id {delivery_id}")
    if original.person_id != person_id:
        raise ValueError(f"delivery {delivery_id} was not sent to person {person_id}")
    person = session.get(Person, person_id)
    zone = (person.timezone if person is not None else None) or timezone or DEFAULT_TIMEZONE
    day = until.astimezone(ZoneInfo(zone)).date()
    base = original.occurrence.split(_SNOOZE, 1)[0]
    occurrence = f"{base}{_SNOOZE}{day.isoformat()}"
    if len(occurrence) > _OCCURRENCE_LIMIT:
        raise ValueError(f"occurrence {occurrence!r} is longer than {_OCCURRENCE_LIMIT}")
    values = {
        "dedupe_key": dedupe_key(original.cycle_id, original.milestone_id, occurrence, person_id),
        "cycle_id": original.cycle_id,
        "milestone_id": original.milestone_id,
        "occurrence": occurrence,
        "person_id": person_id,
        "unit_id": original.unit_id,
        "role": original.role,
        "nudge": original.nudge,
        "optional": original.optional,
        "subject_id": original.subject_id,
        "workspace": original.workspace,
        "status": DeliveryStatus.pending.value,
        "attempts": 0,
        "due_at": until,
        "next_attempt_at": until,
        "expires_at": original.expires_at,
        "created_at": now,
    }
    new = insert_new_in(session, [values])
    if not new:
        return None
    audit(session, now, actor, "delivery.snooze", f"delivery/{delivery_id}", until.isoformat())
    return new[0]


def snoozed_until(session: Session, parts: Sequence[Delivery]) -> dict[int, datetime]:
    """When the "Remind me tomorrow" copy of each part is (or was) due, by the part's id.

    `parts` are deliveries sent to one person as one message. A copy is the part's own: the
    same nudge, milestone, unit and occurrence (less any snooze suffix), made after the part
    was sent (an older copy is an earlier snooze of another message). Copies that will not
    go (cancelled, expired, failed) do not count.
    """
    sent = [
        (part.id, part.sent_at, part)
        for part in parts
        if part.id is not None and part.sent_at is not None
    ]
    if not sent:
        return {}
    first = sent[0][2]
    copies = session.exec(
        select(Delivery.unit_id, Delivery.occurrence, Delivery.due_at, Delivery.created_at).where(
            Delivery.person_id == first.person_id,
            Delivery.nudge == first.nudge,
            Delivery.milestone_id == first.milestone_id,
            col(Delivery.unit_id).in_({part.unit_id for _, _, part in sent if part.unit_id}),
            col(Delivery.occurrence).contains(_SNOOZE),
            col(Delivery.status).in_(_GOING),
        )
    ).all()
    found: dict[int, datetime] = {}
    for part_id, sent_at, part in sent:
        base = part.occurrence.split(_SNOOZE, 1)[0]
        for unit_id, occurrence, due_at, created_at in copies:
            if (
                unit_id == part.unit_id
                and occurrence.split(_SNOOZE, 1)[0] == base
                and occurrence != part.occurrence
                and created_at >= sent_at
            ):
                found[part_id] = max(due_at, found.get(part_id, due_at))
    return found


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise ValueError(f"no person with id {person_id}")
    return person


def pause_person(
    session: Session, *, person_id: int, until: datetime | None, now: datetime, actor: str
) -> Person:
    """Hold back the person's optional nudges until `until` (None: resume now). Deadline
    reminders still go. Setting what is already set changes nothing and is not audited."""
    _aware(now, "now")
    if until is not None:
        _aware(until, "until")
        if until <= now:
            raise ValueError("a pause must end in the future; pass None to resume")
    person = _person(session, person_id)
    current = person.paused_until
    if current is not None and current <= now:
        current = None  # an expired pause is no pause
    if current == until:
        return person
    person.paused_until = until
    session.add(person)
    action, detail = ("person.pause", until.isoformat()) if until else ("person.resume", None)
    audit(session, now, actor, action, f"person/{person_id}", detail)
    session.flush()
    return person


def set_locale(
    session: Session, *, person_id: int, locale: str, now: datetime, actor: str
) -> Person:
    """The language the bot speaks with the person: nb or en (ValueError otherwise)."""
    wanted = locale.strip().lower()
    if wanted not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; use one of {', '.join(LOCALES)}")
    person = _person(session, person_id)
    if person.locale == wanted:
        return person
    person.locale = wanted
    session.add(person)
    audit(session, now, actor, "person.locale", f"person/{person_id}", wanted)
    session.flush()
    return person


def update_action_item(
    session: Session,
    item: ActionItem,
    *,
    title: str | None = None,
    owner: str | None = None,
    due_on: date | None = None,
    area: ActionArea | None = None,
    now: datetime,
    actor: str,
) -> ActionItem:
    """Change what is given (None keeps a field; an empty owner clears it). One audit entry
    lists the changed fields; a call that changes nothing writes nothing."""
    changes: dict[str, object] = {}
    if title is not None:
        title = title.strip()
        if not title:
            raise ValueError("an action item needs a title")
        changes["title"] = title
    if owner is not None:
        changes["owner"] = owner.strip() or None
    if due_on is not None:
        changes["due_on"] = due_on
    if area is not None:
        changes["area"] = ActionArea(area)
    changed = {name: value for name, value in changes.items() if getattr(item, name) != value}
    if not changed:
        return item
    for name, value in changed.items():
        setattr(item, name, value)
    item.updated_at = now
    session.add(item)
    detail = ", ".join(f"{name}={value}" for name, value in changed.items())
    audit(session, now, actor, "action.update", f"{item.cycle_id}/{item.unit_id}/{item.id}", detail)
    session.flush()
    return item


def employees_to_notify(session: Session, unit_id: str) -> list[Person]:
    """The active employees of the active unit (for "you said, we did"), by name."""
    return [
        person for person, _membership, _unit in active_members(session, unit_id, Role.employee)
    ]


def vos_of(session: Session, unit_id: str) -> list[Person]:
    """The unit's active safety representatives (invited to its follow-up meeting)."""
    return [person for person, _membership, _unit in active_members(session, unit_id, Role.vo)]
