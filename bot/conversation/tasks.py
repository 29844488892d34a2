"""Leaders and their tasks: Done (with date and archive reference), remind me tomorrow, and
the follow-up meeting's calendar invitation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import col, select

from bot.access import coordinates, leads
from bot.conversation import fields
from bot.conversation.base import NOT_LEADER, STALE, Refusal, Turn, action
from bot.conversation.home import home_of, stale_home
from bot.conversation.notes import done_note, snooze_note
from bot.conversation.redraw import answered
from bot.conversation.types import File, FormKind, FormRef, Outcome, Status
from bot.i18n.catalog import format_day
from bot.ics import follow_up_invitation
from schedules.events import Nudge
from schedules.plan import Milestone
from storage.models import Delivery, Person, TaskCompletion
from storage.records import audit, employees_to_notify, mark_task_done, snooze_delivery, vos_of

TASK_NUDGES = frozenset({Nudge.task_open.value, Nudge.reminder.value, Nudge.escalation.value})


def _task_milestone(turn: Turn, milestone_id: str | None) -> Milestone:
    milestone = turn.core.milestone(milestone_id)
    if milestone is None or milestone.kind != "task":
        raise Refusal("conversation.not_task")
    return milestone


def _require_task_owner(turn: Turn, unit_id: str) -> None:
    """A unit's task is marked done by its leader, or by a coordinator above it."""
    if not (leads(turn.session, turn.person_id, unit_id)
            or coordinates(turn.session, turn.person_id, unit_id)):  # fmt: skip
        raise Refusal(NOT_LEADER, unit=turn.unit_name(unit_id))


def _task_delivery(turn: Turn, delivery_id: int | None) -> Delivery:
    delivery = turn.own_delivery(delivery_id)
    if delivery.nudge not in TASK_NUDGES or not delivery.unit_id:
        raise Refusal(STALE)
    return delivery


_COMPLETION = select(TaskCompletion).where(
    col(TaskCompletion.cycle_id) == bindparam("cycle_id"),
    col(TaskCompletion.milestone_id) == bindparam("milestone_id"),
    col(TaskCompletion.unit_id) == bindparam("unit_id"),
)


def _completion(turn: Turn, milestone_id: str, unit_id: str) -> TaskCompletion | None:
    keys = {"cycle_id": turn.cycle_id, "milestone_id": milestone_id, "unit_id": unit_id}
    return turn.session.exec(_COMPLETION, params=keys).first()


def _already(turn: Turn, done: TaskCompletion, delivery: Delivery | None) -> Outcome:
    who = turn.session.get(Person, done.done_by) if done.done_by else None
    note = turn.text(
        "conversation.done.already",
        who=who.name if who else "?",
        date=format_day(done.done_on, turn.locale),
    )
    return turn.outcome(
        Status.already,
        note,
        redraw=answered(turn, delivery, note) if delivery is not None else [],
        home=None if delivery is not None else home_of(turn),
    )


@action
def done_clicked(turn: Turn, delivery_id: int | None) -> Outcome:
    """Done on a reminder: the form that asks for the date and the archive reference."""
    delivery = _task_delivery(turn, delivery_id)
    unit_id = delivery.unit_id or ""
    _require_task_owner(turn, unit_id)
    milestone = _task_milestone(turn, delivery.milestone_id)
    done = _completion(turn, milestone.id, unit_id)
    if done is not None:
        return _already(turn, done, delivery)
    ref = FormRef(delivery_id=delivery.id, unit_id=unit_id, milestone_id=milestone.id)
    return turn.milestone_form(FormKind.task_done, milestone, unit_id, ref)


@action
def done_from_home(turn: Turn, unit_id: str, milestone_id: str) -> Outcome:
    """Done on the home view, where there is no message: only the unit's leader."""
    if not leads(turn.session, turn.person_id, unit_id):
        return stale_home(turn, NOT_LEADER)
    milestone = _task_milestone(turn, milestone_id)
    done = _completion(turn, milestone.id, unit_id)
    if done is not None:
        return _already(turn, done, None)
    return turn.milestone_form(
        FormKind.task_done, milestone, unit_id, FormRef(unit_id=unit_id, milestone_id=milestone.id)
    )


@action
def submit_done(turn: Turn, ref: FormRef, done_on: str | None, archive_ref: str | None) -> Outcome:
    """The form came back: everything it names is read and checked again before recording."""
    delivery: Delivery | None = None
    if ref.delivery_id is not None:
        delivery = _task_delivery(turn, ref.delivery_id)
        unit_id, milestone_id = delivery.unit_id or "", delivery.milestone_id
        _require_task_owner(turn, unit_id)
    else:
        unit_id, milestone_id = ref.unit_id or "", ref.milestone_id or ""
        if not leads(turn.session, turn.person_id, unit_id):
            raise Refusal(NOT_LEADER, unit=turn.unit_name(unit_id))
    milestone = _task_milestone(turn, milestone_id)
    day = fields.day("done_on", done_on, turn.plan, not_after=turn.today) or turn.today
    reference = fields.text("archive_ref", archive_ref, limit=fields.ARCHIVE_REF_MAX)
    completion, _new = mark_task_done(
        turn.session,
        cycle_id=turn.cycle_id,
        milestone_id=milestone.id,
        unit_id=unit_id,
        done_on=day,
        now=turn.now,
        actor=turn.person.email,
        person_id=turn.person_id,
        archive_ref=reference,
    )
    who = turn.session.get(Person, completion.done_by) if completion.done_by else turn.person
    note = done_note(turn, who.name if who else turn.person.name, completion.done_on)
    if completion.archive_ref:
        note += " " + turn.text("conversation.done.reference", ref=completion.archive_ref)
    return turn.outcome(
        Status.recorded,
        note,
        redraw=answered(turn, delivery, note) if delivery is not None else [],
        home=home_of(turn),
    )


@action
def snooze(turn: Turn, delivery_id: int | None) -> Outcome:
    """Remind me tomorrow: the same reminder again on the next working day."""
    delivery = turn.own_delivery(delivery_id)
    calendar = turn.core.calendar
    tomorrow = calendar.next_working_day(turn.today + timedelta(days=1))
    until = calendar.send_time(tomorrow, turn.person.timezone or calendar.timezone)
    snooze_delivery(
        turn.session,
        delivery_id=delivery.id or 0,
        person_id=turn.person_id,
        until=until,
        now=turn.now,
        actor=turn.person.email,
    )
    note = snooze_note(turn, tomorrow)
    return turn.outcome(Status.recorded, note, redraw=answered(turn, delivery, note))


@action
def calendar_file(turn: Turn, delivery_id: int | None) -> Outcome:
    """The follow-up meeting as an .ics invitation, for the leader to send from Outlook."""
    delivery = turn.own_delivery(delivery_id)
    unit_id = delivery.unit_id or ""
    if not leads(turn.session, turn.person_id, unit_id):
        raise Refusal(NOT_LEADER, unit=turn.unit_name(unit_id))
    milestone = turn.core.milestone(delivery.milestone_id)
    if milestone is None or not milestone.calendar_invite:
        raise Refusal(STALE)
    unit = turn.unit_name(unit_id)
    calendar = turn.core.calendar
    zone = turn.person.timezone or calendar.timezone
    # A week ahead at 10:00 as a starting point; the leader picks the real time in Outlook.
    day = calendar.next_working_day(turn.today + timedelta(days=7))
    starts_at = datetime.combine(day, time(10), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    attendees = [p.email for p in employees_to_notify(turn.session, unit_id)]
    attendees += [p.email for p in vos_of(turn.session, unit_id)]
    details = milestone.details or milestone.title
    content = follow_up_invitation(
        summary=turn.text("conversation.ics.title", unit=unit),
        description=details.get(turn.locale),
        organizer_email=turn.person.email,
        attendees=sorted(set(attendees)),
        starts_at=starts_at,
        duration=timedelta(hours=2),
        location=None,
        uid_seed=f"{turn.cycle_id}|{milestone.id}|{unit_id}",
        now=turn.now,
    )
    subject = f"{turn.cycle_id}/{milestone.id}/{unit_id}"
    audit(turn.session, turn.now, turn.person.email, "ics.sent", subject)
    invitation = File(
        filename=turn.text("conversation.ics.filename"),
        title=turn.text("conversation.ics.title", unit=unit),
        comment=turn.text("conversation.ics.comment", unit=unit),
        content=content if isinstance(content, bytes) else str(content).encode("utf-8"),
    )
    return turn.outcome(Status.shown, files=[invitation])
