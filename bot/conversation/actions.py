"""The unit's action plan: registering actions ("tiltak") and checking in on each one."""

from __future__ import annotations

from datetime import timedelta

from bot.access import may_manage_actions
from bot.conversation import fields
from bot.conversation.base import NOT_LEADER, STALE, Refusal, Turn, action
from bot.conversation.home import home_of, stale_home
from bot.conversation.redraw import answered
from bot.conversation.types import Form, FormKind, FormRef, Outcome, Status
from schedules.events import Nudge
from storage.models import ActionArea, ActionItem, ActionState, Delivery, Role
from storage.notices import occurrence_of, queue_notices
from storage.records import add_action_item, employees_to_notify, set_action_state

# "You said, we did" still makes sense a while after the click (a notice held back by the
# send window or a platform outage), not weeks later.
SAID_DONE_FOR = timedelta(days=14)
DIRECT = frozenset({ActionState.on_track, ActionState.done})
WITH_FORM = {
    ActionState.delayed: FormKind.action_delayed,
    ActionState.dropped: FormKind.action_dropped,
}


def _checkin(turn: Turn, delivery_id: int | None) -> tuple[Delivery, ActionItem]:
    delivery = turn.own_delivery(delivery_id)
    item = turn.session.get(ActionItem, delivery.subject_id) if delivery.subject_id else None
    if delivery.nudge != Nudge.checkin.value or item is None or item.cycle_id != turn.cycle_id:
        raise Refusal(STALE)
    if not may_manage_actions(turn.session, turn.person_id, item.unit_id):
        raise Refusal(NOT_LEADER, unit=turn.unit_name(item.unit_id))
    return delivery, item


def _recorded(turn: Turn, delivery: Delivery, item: ActionItem, state: ActionState) -> str:
    return turn.text(
        "conversation.action.recorded",
        item=item.title,
        state=turn.text(f"action_state.{state.value}"),
    )


def _you_said_we_did(turn: Turn, delivery: Delivery, item: ActionItem) -> None:
    """Tell the unit's employees that an action from their follow-up meeting is done: queued
    for the sender, once per action item."""
    if not turn.core.you_said_we_did:
        return
    queue_notices(
        turn.session,
        cycle_id=turn.cycle_id,
        milestone_id=delivery.milestone_id,
        nudge=Nudge.said_done.value,
        occurrence=occurrence_of(Nudge.said_done.value, f"item{item.id}"),
        unit_id=item.unit_id,
        recipients=[
            (person.id, Role.employee.value)
            for person in employees_to_notify(turn.session, item.unit_id)
            if person.id is not None
        ],
        now=turn.now,
        expires_at=turn.now + SAID_DONE_FOR,
        subject_id=item.id,
        workspace=delivery.workspace,
    )


@action
def checkin_clicked(turn: Turn, delivery_id: int | None, state: ActionState) -> Outcome:
    """On track and Done are recorded at once; Delayed asks for a date, Dropped for a reason."""
    delivery, item = _checkin(turn, delivery_id)
    if state in WITH_FORM:
        form = Form(
            WITH_FORM[state],
            turn.locale,
            FormRef(delivery_id=delivery.id, item_id=item.id, state=state),
            title=item.title,
            today=turn.today,
            initial_date=max(item.due_on or turn.today, turn.today),
        )
        return turn.outcome(Status.form, form=form)
    if state not in DIRECT:
        raise Refusal(STALE)
    was_done = item.state is ActionState.done
    set_action_state(turn.session, item, state, now=turn.now, actor=turn.person.email)
    note = _recorded(turn, delivery, item, state)
    if state is ActionState.done and not was_done:
        _you_said_we_did(turn, delivery, item)
    return turn.outcome(Status.recorded, note, redraw=answered(turn, delivery, note))


@action
def submit_change(turn: Turn, ref: FormRef, new_due: str | None, note: str | None) -> Outcome:
    if ref.state not in WITH_FORM:
        raise Refusal(STALE)
    delivery, item = _checkin(turn, ref.delivery_id)
    state = ref.state
    assert state is not None
    due = None
    if state is ActionState.delayed:
        due = fields.day("new_due", new_due, turn.plan, required=True, not_before=turn.today)
        if due is None:  # required, so unreachable; keeps the type narrow
            raise fields.FieldError("new_due", "field.past_date")
    required = state is ActionState.dropped
    remark = fields.text("note", note, limit=fields.COMMENT_MAX, required=required, multiline=True)
    set_action_state(
        turn.session, item, state, now=turn.now, actor=turn.person.email, due_on=due, note=remark
    )
    text = _recorded(turn, delivery, item, state)
    return turn.outcome(
        Status.recorded, text, redraw=answered(turn, delivery, text), home=home_of(turn)
    )


def _led_units(turn: Turn) -> list[tuple[str, str]]:
    from bot.access import roles_of

    return sorted(
        (unit_id, turn.unit_name(unit_id))
        for unit_id, role in roles_of(turn.session, turn.person_id)
        if role is Role.leader
    )


@action
def new_item(turn: Turn, unit_id: str | None = None) -> Outcome:
    """The form for a new action: for one unit (from the home view) or any the asker leads."""
    units = _led_units(turn)
    if unit_id is not None:
        units = [unit for unit in units if unit[0] == unit_id]
        if not units:
            return stale_home(turn, NOT_LEADER)
    if not units:
        raise Refusal("conversation.action.none_to_lead")
    ref = FormRef(unit_id=units[0][0]) if len(units) == 1 else FormRef()
    return turn.outcome(
        Status.form,
        form=Form(FormKind.action_item, turn.locale, ref, today=turn.today, units=units),
    )


@action
def submit_item(
    turn: Turn,
    ref: FormRef,
    *,
    unit_id: str | None,
    title: str | None,
    owner: str | None,
    due_on: str | None,
    area: str | None,
) -> Outcome:
    unit = unit_id or ref.unit_id or ""
    if unit not in {led for led, _name in _led_units(turn)}:
        raise Refusal(NOT_LEADER, unit=turn.unit_name(unit))
    what = fields.text("title", title, limit=fields.TITLE_MAX, required=True, multiline=True)
    who = fields.text("owner", owner, limit=fields.OWNER_MAX)
    due = fields.day("due_on", due_on, turn.plan, not_before=turn.today)
    kind = fields.choice("area", area, [a.value for a in ActionArea], default=ActionArea.develop)
    assert what is not None
    item = add_action_item(
        turn.session,
        cycle_id=turn.cycle_id,
        unit_id=unit,
        title=what,
        now=turn.now,
        actor=turn.person.email,
        owner=who,
        due_on=due,
        area=ActionArea(kind),
    )
    reply = turn.text("conversation.action.added", item=item.title, unit=turn.unit_name(unit))
    return turn.outcome(Status.recorded, reply, home=home_of(turn))
