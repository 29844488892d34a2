"""Safety representatives: "were you involved?" — yes (when) / partly / not yet (comment).

The answer documents involvement; it is never a sign-off that moves the leader's duty.
"""

from __future__ import annotations

from datetime import timedelta

from bot.access import is_vo_for
from bot.conversation import fields
from bot.conversation.base import NOT_VO, STALE, Refusal, Turn, action
from bot.conversation.home import home_of, stale_home
from bot.conversation.notes import vo_note
from bot.conversation.redraw import answered
from bot.conversation.types import FormKind, FormRef, Outcome, Status
from schedules.events import Nudge
from schedules.plan import Milestone
from schedules.timing import vo_deadline
from storage.models import Delivery, Role, VoAnswer
from storage.notices import occurrence_of, queue_notices
from storage.queries import active_members
from storage.records import record_vo_answer


def _meeting_point(turn: Turn, milestone_id: str | None) -> Milestone:
    milestone = turn.core.milestone(milestone_id)
    if milestone is None or milestone.kind != "vo_meeting":
        raise Refusal(STALE)
    return milestone


def _question(turn: Turn, delivery_id: int | None) -> Delivery:
    delivery = turn.own_delivery(delivery_id)
    if delivery.nudge != Nudge.vo_question.value or not delivery.unit_id:
        raise Refusal(STALE)
    return delivery


def _require_vo(turn: Turn, unit_id: str) -> None:
    if not is_vo_for(turn.session, turn.person_id, unit_id):
        raise Refusal(NOT_VO, unit=turn.unit_name(unit_id))


@action
def clicked(turn: Turn, delivery_id: int | None, answer: VoAnswer) -> Outcome:
    delivery = _question(turn, delivery_id)
    unit_id = delivery.unit_id or ""
    _require_vo(turn, unit_id)
    milestone = _meeting_point(turn, delivery.milestone_id)
    ref = FormRef(
        delivery_id=delivery.id, unit_id=unit_id, milestone_id=milestone.id, answer=answer
    )
    return turn.milestone_form(FormKind.vo_answer, milestone, unit_id, ref)


@action
def from_home(turn: Turn, unit_id: str, milestone_id: str, answer: VoAnswer) -> Outcome:
    if not is_vo_for(turn.session, turn.person_id, unit_id):
        return stale_home(turn, NOT_VO)
    milestone = _meeting_point(turn, milestone_id)
    ref = FormRef(unit_id=unit_id, milestone_id=milestone.id, answer=answer)
    return turn.milestone_form(FormKind.vo_answer, milestone, unit_id, ref)


@action
def submit(turn: Turn, ref: FormRef, involved_on: str | None, comment: str | None) -> Outcome:
    if ref.answer is None:
        raise Refusal(STALE)
    delivery: Delivery | None = None
    if ref.delivery_id is not None:
        delivery = _question(turn, ref.delivery_id)
        unit_id, milestone_id = delivery.unit_id or "", delivery.milestone_id
    else:
        unit_id, milestone_id = ref.unit_id or "", ref.milestone_id or ""
    _require_vo(turn, unit_id)
    milestone = _meeting_point(turn, milestone_id)
    answer = ref.answer
    day = fields.day("involved_on", involved_on, turn.plan, not_after=turn.today)
    remark = fields.text("comment", comment, limit=fields.COMMENT_MAX, multiline=True)
    record_vo_answer(
        turn.session,
        cycle_id=turn.cycle_id,
        milestone_id=milestone.id,
        unit_id=unit_id,
        person_id=turn.person_id,
        answer=answer,
        now=turn.now,
        actor=turn.person.email,
        involved_on=day if answer is not VoAnswer.not_yet else None,
        comment=remark,
    )
    note = vo_note(turn, turn.today, answer)
    if answer is VoAnswer.not_yet:
        _tell_leaders(turn, milestone, unit_id, delivery)
    return turn.outcome(
        Status.recorded,
        note,
        redraw=answered(turn, delivery, note) if delivery is not None else [],
        home=home_of(turn),
    )


def _tell_leaders(turn: Turn, milestone: Milestone, unit_id: str, origin: Delivery | None) -> None:
    """ "Not yet" before the meeting point's deadline: a friendly word to the unit's leaders,
    queued for the sender (once per VO and meeting point). After the deadline the unit shows
    up in the coordinator's overview instead."""
    deadline = vo_deadline(turn.plan, turn.core.calendar, milestone)
    if deadline is None or turn.today > deadline:
        return
    leaders = [
        (leader.id, Role.leader.value)
        for leader, _membership, _unit in active_members(turn.session, unit_id, Role.leader)
        if leader.id is not None
    ]
    queue_notices(
        turn.session,
        cycle_id=turn.cycle_id,
        milestone_id=milestone.id,
        nudge=Nudge.vo_not_yet.value,
        occurrence=occurrence_of(Nudge.vo_not_yet.value, unit_id, f"vo{turn.person_id}"),
        unit_id=unit_id,
        recipients=leaders,
        now=turn.now,
        # Pointless once the deadline has passed: the overview takes over.
        expires_at=turn.core.calendar.send_time(deadline + timedelta(days=1)),
        workspace=origin.workspace if origin is not None else "default",
    )
