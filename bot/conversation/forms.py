"""Showing a form again, from its reference alone: after a refused save on a platform that
draws forms inside the message (Teams), and to put the original message back on Cancel."""

from __future__ import annotations

from bot.conversation import actions, pulses, tasks, vo
from bot.conversation.base import STALE, Core, Refusal, Turn, action
from bot.conversation.home import home_of
from bot.conversation.redraw import current_message
from bot.conversation.types import FormKind, FormRef, Identity, Outcome, Status
from storage.models import ActionState


def reopen(core: Core, who: Identity, kind: FormKind, ref: FormRef) -> Outcome:
    """The form `kind` for `ref`, checked again exactly as when it was first asked for."""
    if kind is FormKind.task_done:
        if ref.delivery_id is not None:
            return tasks.done_clicked(core, who, ref.delivery_id)
        return tasks.done_from_home(core, who, ref.unit_id or "", ref.milestone_id or "")
    if kind is FormKind.vo_answer and ref.answer is not None:
        if ref.delivery_id is not None:
            return vo.clicked(core, who, ref.delivery_id, ref.answer)
        return vo.from_home(core, who, ref.unit_id or "", ref.milestone_id or "", ref.answer)
    if kind in (FormKind.action_delayed, FormKind.action_dropped):
        state = ActionState.delayed if kind is FormKind.action_delayed else ActionState.dropped
        return actions.checkin_clicked(core, who, ref.delivery_id, state)
    if kind is FormKind.action_item:
        return actions.new_item(core, who, ref.unit_id)
    if kind is FormKind.pulse:
        return pulses.clicked(core, who, ref.delivery_id)
    return _stale(core, who)


@action
def _stale(turn: Turn) -> Outcome:
    raise Refusal(STALE)


@action
def cancel(turn: Turn, ref: FormRef) -> Outcome:
    """The message the form replaced, with its buttons; or the home view it came from."""
    if ref.delivery_id is None:
        return turn.outcome(Status.shown, home=home_of(turn))
    delivery = turn.own_delivery(ref.delivery_id)
    return turn.outcome(Status.shown, redraw=current_message(turn, delivery))
