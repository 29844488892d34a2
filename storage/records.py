"""What people record through the bot: tasks done, VO involvement, action items.

Each function is a domain action: it validates, writes, cancels nudges whose reason went
away, and leaves an audit entry. Repeating an action is harmless (a second "Done" keeps the
first record).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from storage.models import (
    ActionArea,
    ActionItem,
    ActionState,
    AuditEntry,
    Delivery,
    DeliveryStatus,
    TaskCompletion,
    VoAnswer,
    VoConfirmation,
    table_of,
)

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
