"""Modal submissions: validate, record, then redraw the message and the App Home.

A bad value answers with Slack's inline field errors and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.access import coordinates, is_vo_for, leads
from bot.i18n.catalog import format_day, t
from bot.slack import modals
from bot.slack.context import Deps, locale_of, person_for, update_delivery_message, user_id_of
from bot.slack.homes import publish_home
from bot.slack.notify import tell_leaders
from schedules.timing import resolve
from storage.db import session_scope
from storage.models import (
    ActionArea,
    ActionItem,
    ActionState,
    Delivery,
    Membership,
    Person,
    Role,
    Unit,
    VoAnswer,
)
from storage.pulses import record_pulse_answers
from storage.records import add_action_item, mark_task_done, record_vo_answer, set_action_state

Ack = Callable[..., None]


def register(app: App, deps: Deps) -> None:
    def handler(fn: Callable[[Deps, Ack, dict[str, Any], WebClient], None]) -> Callable[..., None]:
        def run(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            fn(deps, ack, body, client)

        return run

    app.view(modals.TASK_DONE)(handler(task_done))
    app.view(modals.VO_ANSWER)(handler(vo_answer))
    app.view(modals.ACTION_DELAYED)(handler(action_changed))
    app.view(modals.ACTION_DROPPED)(handler(action_changed))
    app.view(modals.ACTION_ITEM)(handler(action_item))
    app.view(modals.PULSE_ANSWER)(handler(pulse_answer))


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _who(session: Session, body: dict[str, Any]) -> Person | None:
    return person_for(session, user_id_of(body))


def _delivery(session: Session, metadata: dict[str, Any]) -> Delivery | None:
    delivery_id = metadata.get("d")
    return session.get(Delivery, int(delivery_id)) if isinstance(delivery_id, int) else None


def _redraw(
    client: WebClient,
    deps: Deps,
    session: Session,
    person: Person,
    metadata: dict[str, Any],
    note: str,
) -> None:
    """After a change: the message it came from says what happened, and the Home is redrawn."""
    delivery = _delivery(session, metadata)
    if delivery is not None:
        unit = session.get(Unit, delivery.unit_id) if delivery.unit_id else None
        update_delivery_message(client, deps, delivery, person, note, unit.name if unit else None)
    publish_home(client, deps, session, person)


def _reject(ack: Ack, locale: str, **errors: str) -> None:
    ack(response_action="errors", errors={block: t(locale, key) for block, key in errors.items()})


def task_done(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body.get("view") or {}
    metadata, values = modals.metadata_of(view), modals.submitted(view)
    with session_scope(deps.engine) as session:
        person = _who(session, body)
        locale = locale_of(person, body)
        unit_id, milestone_id = str(metadata.get("u", "")), str(metadata.get("m", ""))
        if (
            person is None
            or person.id is None
            or milestone_id not in {m.id for m in deps.plan.milestones}
        ):
            ack()
            return
        if not (leads(session, person.id, unit_id) or coordinates(session, person.id, unit_id)):
            ack()
            return
        today = deps.today(person)
        done_on = _date(values.get("done_on")) or today
        if done_on > today:
            _reject(ack, locale, done_on="slack.error.future_date")
            return
        ack()
        completion, _ = mark_task_done(
            session,
            cycle_id=deps.plan.id,
            milestone_id=milestone_id,
            unit_id=unit_id,
            done_on=done_on,
            now=deps.now(),
            actor=person.email,
            person_id=person.id,
            archive_ref=values.get("archive_ref"),
        )
        who = session.get(Person, completion.done_by) if completion.done_by else person
        note = t(
            locale,
            "slack.done.marked",
            who=who.name if who else person.name,
            date=format_day(completion.done_on, locale),
        )
        if completion.archive_ref:
            note += " " + t(locale, "slack.done.reference", ref=completion.archive_ref)
        _redraw(client, deps, session, person, metadata, note)


def vo_answer(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body.get("view") or {}
    metadata, values = modals.metadata_of(view), modals.submitted(view)
    with session_scope(deps.engine) as session:
        person = _who(session, body)
        locale = locale_of(person, body)
        unit_id, milestone_id = str(metadata.get("u", "")), str(metadata.get("m", ""))
        try:
            answer = VoAnswer(str(metadata.get("answer", "")))
        except ValueError:
            ack()
            return
        if (
            person is None
            or person.id is None
            or milestone_id not in {m.id for m in deps.plan.milestones}
        ):
            ack()
            return
        if not is_vo_for(session, person.id, unit_id):
            ack()
            return
        today = deps.today(person)
        involved_on = _date(values.get("involved_on"))
        if involved_on is not None and involved_on > today:
            _reject(ack, locale, involved_on="slack.error.future_date")
            return
        ack()
        record_vo_answer(
            session,
            cycle_id=deps.plan.id,
            milestone_id=milestone_id,
            unit_id=unit_id,
            person_id=person.id,
            answer=answer,
            now=deps.now(),
            actor=person.email,
            involved_on=involved_on if answer is not VoAnswer.not_yet else None,
            comment=values.get("comment"),
        )
        note = t(
            locale,
            "slack.vo.recorded",
            date=format_day(today, locale),
            answer=t(locale, f"slack.vo.answer.{answer.value}"),
        )
        if answer is VoAnswer.not_yet:
            _nudge_leaders(deps, session, client, unit_id, milestone_id, today)
        _redraw(client, deps, session, person, metadata, note)


def _nudge_leaders(
    deps: Deps, session: Session, client: WebClient, unit_id: str, milestone_id: str, today: date
) -> None:
    """ "Not yet" before the meeting point's deadline: a friendly word to the unit's leader."""
    milestone = deps.plan.milestone(milestone_id)
    span = resolve(deps.plan, milestone)
    if span is None:
        return
    deadline = (
        milestone.confirm_by.resolve(deps.plan.anchors)
        if milestone.confirm_by
        else deps.calendar.next_working_day(span.ends_on + timedelta(days=1)) + timedelta(days=14)
    )
    if today > deadline:
        return  # after the deadline the unit shows up in the coordinator's overview instead
    leaders = list(
        session.exec(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)  # type: ignore[arg-type]
            .where(
                Membership.unit_id == unit_id,
                Membership.role == Role.leader,
                Membership.active == True,  # noqa: E712
                Person.active == True,  # noqa: E712
            )
        ).all()
    )
    unit = session.get(Unit, unit_id)
    for leader in leaders:
        tell_leaders(
            client,
            [leader],
            "slack.vo.leader_nudge",
            unit=unit.name if unit else unit_id,
            title=milestone.title.get(leader.locale),
            date=format_day(deadline, leader.locale),
        )


def action_changed(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body.get("view") or {}
    metadata, values = modals.metadata_of(view), modals.submitted(view)
    state = (
        ActionState.delayed
        if view.get("callback_id") == modals.ACTION_DELAYED
        else ActionState.dropped
    )
    with session_scope(deps.engine) as session:
        person = _who(session, body)
        locale = locale_of(person, body)
        item = (
            session.get(ActionItem, int(metadata["a"]))
            if isinstance(metadata.get("a"), int)
            else None
        )
        if person is None or person.id is None or item is None:
            ack()
            return
        if not (
            leads(session, person.id, item.unit_id) or coordinates(session, person.id, item.unit_id)
        ):
            ack()
            return
        new_due = _date(values.get("new_due"))
        if state is ActionState.delayed and (new_due is None or new_due < deps.today(person)):
            _reject(ack, locale, new_due="slack.error.past_date")
            return
        if state is ActionState.dropped and not values.get("note"):
            _reject(ack, locale, note="slack.error.required")
            return
        ack()
        set_action_state(
            session,
            item,
            state,
            now=deps.now(),
            actor=person.email,
            due_on=new_due,
            note=values.get("note"),
        )
        note = t(
            locale,
            "slack.action.recorded",
            item=item.title,
            state=t(locale, f"action_state.{state.value}"),
        )
        _redraw(client, deps, session, person, metadata, note)


def action_item(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body.get("view") or {}
    metadata, values = modals.metadata_of(view), modals.submitted(view)
    with session_scope(deps.engine) as session:
        person = _who(session, body)
        locale = locale_of(person, body)
        unit_id = str(values.get("unit") or metadata.get("unit") or "")
        if person is None or person.id is None or not leads(session, person.id, unit_id):
            ack()
            return
        title = values.get("title")
        due_on = _date(values.get("due_on"))
        if not title:
            _reject(ack, locale, title="slack.error.required")
            return
        if due_on is not None and due_on < deps.today(person):
            _reject(ack, locale, due_on="slack.error.past_date")
            return
        ack()
        add_action_item(
            session,
            cycle_id=deps.plan.id,
            unit_id=unit_id,
            title=title,
            now=deps.now(),
            actor=person.email,
            owner=values.get("owner"),
            due_on=due_on,
            area=ActionArea(values.get("area") or ActionArea.develop.value),
        )
        publish_home(client, deps, session, person)


def pulse_answer(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Store the answers without the person; only a marker says that they answered."""
    view = body.get("view") or {}
    metadata, values = modals.metadata_of(view), modals.submitted(view)
    with session_scope(deps.engine) as session:
        person = _who(session, body)
        locale = locale_of(person, body)
        delivery = _delivery(session, metadata)
        if (
            person is None
            or person.id is None
            or delivery is None
            or delivery.person_id != person.id
        ):
            ack()
            return
        answers = {
            block.removeprefix("q:"): value
            for block, value in values.items()
            if block.startswith("q:") and value is not None
        }
        try:
            recorded = record_pulse_answers(
                session,
                plan=deps.plan,
                pulse_id=delivery.milestone_id,
                round=delivery.occurrence,
                person_id=person.id,
                unit_id=delivery.unit_id or "",
                answers=answers,
                today=deps.today(person),
                calendar=deps.calendar,
            )
        except ValueError:
            first = next((block for block in values if block.startswith("q:")), "q")
            _reject(ack, locale, **{first: "slack.pulse.closed"})
            return
        ack()
        note = t(locale, "slack.pulse.thanks" if recorded else "slack.pulse.already")
        # The App Home shows no pulses, so only the message changes.
        update_delivery_message(client, deps, delivery, person, note)
