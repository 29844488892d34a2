"""Anonymous pulse questions: answered once per round, only while the round is open.

The answers are stored without the person; a separate marker records only that they
answered (storage.pulses), so the outcome never carries what they said.
"""

from __future__ import annotations

from bot.conversation.base import STALE, Refusal, Turn, action
from bot.conversation.fields import FieldError
from bot.conversation.redraw import answered
from bot.conversation.types import Form, FormKind, FormRef, Outcome, Status
from schedules.events import Nudge, Rules
from schedules.plan import Milestone
from storage.models import Delivery
from storage.pulses import find_round, has_answered, record_pulse_answers


def _pulse(turn: Turn, delivery_id: int | None) -> tuple[Delivery, Milestone]:
    delivery = turn.own_delivery(delivery_id)
    milestone = turn.core.milestone(delivery.milestone_id)
    if delivery.nudge != Nudge.pulse.value or milestone is None or milestone.pulse is None:
        raise Refusal(STALE)
    return delivery, milestone


def _is_open(turn: Turn, milestone: Milestone, round_id: str) -> bool:
    try:
        found = find_round(turn.plan, milestone.id, round_id, turn.core.calendar, Rules())
    except ValueError:
        return False
    return found.is_open(turn.today)


@action
def clicked(turn: Turn, delivery_id: int | None) -> Outcome:
    delivery, milestone = _pulse(turn, delivery_id)
    assert milestone.pulse is not None
    plan_id = turn.cycle_id
    if has_answered(turn.session, plan_id, milestone.id, delivery.occurrence, turn.person_id):
        note = turn.text("conversation.pulse.already")
        return turn.outcome(Status.already, note, redraw=answered(turn, delivery, note))
    if not _is_open(turn, milestone, delivery.occurrence):
        note = turn.text("conversation.pulse.closed")
        return turn.outcome(Status.already, note, redraw=answered(turn, delivery, note))
    form = Form(
        FormKind.pulse,
        turn.locale,
        FormRef(delivery_id=delivery.id),
        title=milestone.title.get(turn.locale),
        questions=list(milestone.pulse.questions),
        today=turn.today,
    )
    return turn.outcome(Status.form, form=form)


@action
def submit(turn: Turn, ref: FormRef, answers: dict[str, str]) -> Outcome:
    """`answers`: question id → value. Every question must be answered (the form asks all)."""
    delivery, milestone = _pulse(turn, ref.delivery_id)
    assert milestone.pulse is not None
    first = f"q:{milestone.pulse.questions[0].id}"
    if not _is_open(turn, milestone, delivery.occurrence):
        raise FieldError(first, "conversation.pulse.closed")
    try:
        recorded = record_pulse_answers(
            turn.session,
            plan=turn.plan,
            pulse_id=milestone.id,
            round=delivery.occurrence,
            person_id=turn.person_id,
            unit_id=delivery.unit_id or "",
            answers=answers,
            today=turn.today,
            calendar=turn.core.calendar,
        )
    except ValueError:
        missing = next((q.id for q in milestone.pulse.questions if answers.get(q.id) is None), None)
        if missing is not None:
            raise FieldError(f"q:{missing}", "field.required") from None
        raise FieldError(first, "field.bad_choice") from None
    note = turn.text("conversation.pulse.thanks" if recorded else "conversation.pulse.already")
    status = Status.recorded if recorded else Status.already
    return turn.outcome(status, note, redraw=answered(turn, delivery, note))
