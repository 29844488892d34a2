"""Button clicks: on reminders, VO questions, action check-ins, and the App Home.

Each handler acks at once, finds who clicked, checks they may, and either records the answer
or opens the modal that asks for the rest. A click from someone else, an unknown person, a
repeated click or a click on an old message changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.access import coordinates, is_vo_for, leads
from bot.i18n.catalog import format_day, t
from bot.ics import follow_up_invitation
from bot.slack import modals
from bot.slack.context import Deps, deny, locale_of, person_for, tell, update_in_place, user_id_of
from bot.slack.homes import publish_home
from bot.slack.notify import you_said_we_did
from schedules.events import Rules
from storage.db import session_scope
from storage.models import ActionItem, ActionState, Delivery, Person, TaskCompletion, Unit, VoAnswer
from storage.pulses import has_answered, pulse_rounds
from storage.records import (
    audit,
    employees_to_notify,
    pause_person,
    set_action_state,
    snooze_delivery,
    vos_of,
)

Respond = Callable[..., Any]


def register(app: App, deps: Deps) -> None:
    def handler(fn: Callable[..., None]) -> Callable[..., None]:
        def run(
            ack: Callable[[], None], body: dict[str, Any], client: WebClient, respond: Respond
        ) -> None:
            ack()
            fn(deps, body, client, respond)

        return run

    app.action("task_done")(handler(task_done))
    app.action("task_snooze")(handler(task_snooze))
    for answer in VoAnswer:
        app.action(f"vo_{answer.value}")(handler(vo_question))
    app.action("action_on_track")(handler(action_checkin))
    app.action("action_done")(handler(action_checkin))
    app.action("action_delayed")(handler(action_checkin))
    app.action("action_dropped")(handler(action_checkin))
    app.action("calendar_file")(handler(calendar_file))
    app.action(re.compile(r"^pulse_answer(:\d+)?$"))(handler(pulse_answer))
    app.action("home_task_done")(handler(home_task_done))
    app.action(re.compile(r"^home_vo_(yes|partly|not_yet)$"))(handler(home_vo))
    app.action("home_add_action")(handler(home_add_action))
    app.action("home_resume")(handler(home_resume))


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _delivery_for_click(
    session: Session, deps: Deps, body: dict[str, Any], respond: Respond
) -> tuple[Person, Delivery, str] | None:
    """The clicker and the delivery the button belongs to, if the clicker is its addressee."""
    person = person_for(session, user_id_of(body))
    locale = locale_of(person, body)
    if person is None:
        deny(respond, locale, "slack.access.unknown_user")
        return None
    try:
        delivery_id = int(str(_action(body).get("value", "")))
    except ValueError:
        deny(respond, locale, "slack.access.stale")
        return None
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.cycle_id != deps.plan.id:
        deny(respond, locale, "slack.access.stale")
        return None
    if delivery.person_id != person.id:
        deny(respond, locale, "slack.access.not_addressee")
        return None
    return person, delivery, locale


def _reference(body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    container = body.get("container") or {}
    return {"c": container.get("channel_id"), "ts": container.get("message_ts"), **extra}


def _unit_name(session: Session, unit_id: str | None) -> str:
    unit = session.get(Unit, unit_id) if unit_id else None
    return unit.name if unit else (unit_id or "")


def task_done(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    with session_scope(deps.engine) as session:
        found = _delivery_for_click(session, deps, body, respond)
        if found is None:
            return
        person, delivery, locale = found
        unit_id = delivery.unit_id or ""
        if not leads(session, person.id or 0, unit_id) and not coordinates(
            session, person.id or 0, unit_id
        ):
            deny(respond, locale, "slack.access.not_leader", unit=_unit_name(session, unit_id))
            return
        if _already_done(
            session, deps, delivery.milestone_id, unit_id, locale, respond, client, body
        ):
            return
        milestone = deps.plan.milestone(delivery.milestone_id)
        view = modals.task_done_modal(
            locale,
            title=milestone.title.get(locale),
            unit=_unit_name(session, unit_id),
            today=deps.today(person),
            metadata=_reference(body, d=delivery.id, u=unit_id, m=delivery.milestone_id),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _already_done(
    session: Session,
    deps: Deps,
    milestone_id: str,
    unit_id: str,
    locale: str,
    respond: Respond,
    client: WebClient | None = None,
    body: dict[str, Any] | None = None,
) -> bool:
    done = session.exec(
        select(TaskCompletion).where(
            TaskCompletion.cycle_id == deps.plan.id,
            TaskCompletion.milestone_id == milestone_id,
            TaskCompletion.unit_id == unit_id,
        )
    ).first()
    if done is None:
        return False
    who = session.get(Person, done.done_by) if done.done_by else None
    note = t(
        locale,
        "slack.done.already",
        who=who.name if who else "?",
        date=format_day(done.done_on, locale),
    )
    tell(respond, note)
    if client is not None and body is not None:
        update_in_place(client, body, note)
    return True


def task_snooze(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    with session_scope(deps.engine) as session:
        found = _delivery_for_click(session, deps, body, respond)
        if found is None:
            return
        person, delivery, locale = found
        zone = person.timezone or deps.calendar.timezone
        tomorrow = deps.calendar.next_working_day(deps.today(person) + timedelta(days=1))
        until = deps.calendar.send_time(tomorrow, zone)
        snooze_delivery(
            session, delivery_id=delivery.id or 0, person_id=person.id or 0, until=until,
            now=deps.now(), actor=person.email,
        )  # fmt: skip
        note = t(locale, "slack.snooze.set", date=format_day(tomorrow, locale))
    update_in_place(client, body, note)


def vo_question(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    answer = VoAnswer(str(_action(body).get("action_id", "")).removeprefix("vo_"))
    with session_scope(deps.engine) as session:
        found = _delivery_for_click(session, deps, body, respond)
        if found is None:
            return
        person, delivery, locale = found
        unit_id = delivery.unit_id or ""
        if not is_vo_for(session, person.id or 0, unit_id):
            deny(respond, locale, "slack.access.not_vo", unit=_unit_name(session, unit_id))
            return
        view = _vo_view(
            deps, session, person, locale, answer, unit_id, delivery.milestone_id, body, delivery.id
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _vo_view(
    deps: Deps,
    session: Session,
    person: Person,
    locale: str,
    answer: VoAnswer,
    unit_id: str,
    milestone_id: str,
    body: dict[str, Any],
    delivery_id: int | None,
) -> Any:
    milestone = deps.plan.milestone(milestone_id)
    return modals.vo_answer_modal(
        locale,
        answer=answer,
        title=milestone.title.get(locale),
        unit=_unit_name(session, unit_id),
        today=deps.today(person),
        metadata=_reference(body, d=delivery_id, u=unit_id, m=milestone_id),
    )


def action_checkin(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    state = ActionState(str(_action(body).get("action_id", "")).removeprefix("action_"))
    with session_scope(deps.engine) as session:
        found = _delivery_for_click(session, deps, body, respond)
        if found is None:
            return
        person, delivery, locale = found
        item = session.get(ActionItem, delivery.subject_id) if delivery.subject_id else None
        if item is None:
            deny(respond, locale, "slack.access.stale")
            return
        if not leads(session, person.id or 0, item.unit_id) and not coordinates(
            session, person.id or 0, item.unit_id
        ):
            deny(respond, locale, "slack.access.not_leader", unit=_unit_name(session, item.unit_id))
            return
        reference = _reference(body, d=delivery.id, a=item.id)
        if state is ActionState.delayed:
            view = modals.action_delayed_modal(
                locale,
                item=item.title,
                due_on=item.due_on,
                today=deps.today(person),
                metadata=reference,
            )
        elif state is ActionState.dropped:
            view = modals.action_dropped_modal(locale, item=item.title, metadata=reference)
        else:
            was_done = item.state is ActionState.done
            set_action_state(session, item, state, now=deps.now(), actor=person.email)
            note = t(
                locale,
                "slack.action.recorded",
                item=item.title,
                state=t(locale, f"action_state.{state.value}"),
            )
            if state is ActionState.done and not was_done and deps.you_said_we_did:
                you_said_we_did(client, session, item)
            update_in_place(client, body, note)
            return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def calendar_file(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """The follow-up meeting as an .ics invitation, for the leader to send from Outlook."""
    with session_scope(deps.engine) as session:
        found = _delivery_for_click(session, deps, body, respond)
        if found is None:
            return
        person, delivery, locale = found
        unit_id = delivery.unit_id or ""
        if not leads(session, person.id or 0, unit_id):
            deny(respond, locale, "slack.access.not_leader", unit=_unit_name(session, unit_id))
            return
        milestone = deps.plan.milestone(delivery.milestone_id)
        unit = _unit_name(session, unit_id)
        zone = person.timezone or deps.calendar.timezone
        # A week ahead at 10:00 as a starting point; the leader picks the real time in Outlook.
        day = deps.calendar.next_working_day(deps.today(person) + timedelta(days=7))
        starts_at = datetime.combine(day, time(10), tzinfo=ZoneInfo(zone)).astimezone(UTC)
        attendees = [p.email for p in employees_to_notify(session, unit_id)]
        attendees += [p.email for p in vos_of(session, unit_id)]
        content = follow_up_invitation(
            summary=t(locale, "slack.ics.title", unit=unit),
            description=milestone.details.get(locale)
            if milestone.details
            else milestone.title.get(locale),
            organizer_email=person.email,
            attendees=sorted(set(attendees)),
            starts_at=starts_at,
            duration=timedelta(hours=2),
            location=None,
            uid_seed=f"{deps.plan.id}|{milestone.id}|{unit_id}",
            now=deps.now(),
        )
        audit(
            session,
            deps.now(),
            person.email,
            "ics.sent",
            f"{deps.plan.id}/{milestone.id}/{unit_id}",
        )
    channel = (body.get("container") or {}).get("channel_id") or delivery.channel_id
    client.files_upload_v2(
        channel=channel,
        content=content,
        filename=t(locale, "slack.ics.filename"),
        title=t(locale, "slack.ics.title", unit=unit),
        initial_comment=t(locale, "slack.ics.comment", unit=unit),
    )


def pulse_answer(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """Open the pulse's questions; answering twice, or after the round closed, is refused."""
    with session_scope(deps.engine) as session:
        found = _delivery_for_click(session, deps, body, respond)
        if found is None:
            return
        person, delivery, locale = found
        milestone = deps.plan.milestone(delivery.milestone_id)
        if milestone.pulse is None:
            deny(respond, locale, "slack.access.stale")
            return
        if has_answered(session, deps.plan.id, milestone.id, delivery.occurrence, person.id or 0):
            update_in_place(client, body, t(locale, "slack.pulse.already"))
            return
        if not _round_open(deps, milestone.id, delivery.occurrence, deps.today(person)):
            update_in_place(client, body, t(locale, "slack.pulse.closed"))
            return
        view = modals.pulse_modal(
            locale, questions=list(milestone.pulse.questions), metadata={"d": delivery.id}
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _round_open(deps: Deps, pulse_id: str, round_id: str, today: date) -> bool:
    for pulse_round in pulse_rounds(deps.plan, deps.calendar, Rules()):
        if pulse_round.pulse_id == pulse_id and pulse_round.round == round_id:
            return pulse_round.opens_on <= today <= pulse_round.closes_on
    return False


# -- the App Home's buttons ---------------------------------------------------------------


def _home_target(body: dict[str, Any]) -> tuple[str, str]:
    unit_id, _, milestone_id = str(_action(body).get("value", "")).partition("|")
    return unit_id, milestone_id


def home_task_done(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    unit_id, milestone_id = _home_target(body)
    with session_scope(deps.engine) as session:
        person = person_for(session, user_id_of(body))
        if person is None or person.id is None:
            return
        locale = locale_of(person, body)
        if not leads(session, person.id, unit_id) or milestone_id not in {
            m.id for m in deps.plan.milestones
        }:
            return
        if _already_done(session, deps, milestone_id, unit_id, locale, _ignore):
            publish_home(client, deps, session, person)
            return
        view = modals.task_done_modal(
            locale,
            title=deps.plan.milestone(milestone_id).title.get(locale),
            unit=_unit_name(session, unit_id),
            today=deps.today(person),
            metadata={"u": unit_id, "m": milestone_id},
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def home_vo(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    answer = VoAnswer(str(_action(body).get("action_id", "")).removeprefix("home_vo_"))
    unit_id, milestone_id = _home_target(body)
    with session_scope(deps.engine) as session:
        person = person_for(session, user_id_of(body))
        if person is None or person.id is None or not is_vo_for(session, person.id, unit_id):
            return
        if milestone_id not in {m.id for m in deps.plan.milestones}:
            return
        view = _vo_view(
            deps, session, person, locale_of(person, body), answer, unit_id, milestone_id, {}, None
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def home_add_action(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    unit_id = str(_action(body).get("value", ""))
    with session_scope(deps.engine) as session:
        person = person_for(session, user_id_of(body))
        if person is None or person.id is None or not leads(session, person.id, unit_id):
            return
        view = modals.action_item_modal(
            locale_of(person, body), units=[(unit_id, _unit_name(session, unit_id))], metadata={}
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def home_resume(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    with session_scope(deps.engine) as session:
        person = person_for(session, user_id_of(body))
        if person is None or person.id is None:
            return
        pause_person(session, person_id=person.id, until=None, now=deps.now(), actor=person.email)
        session.refresh(person)
        publish_home(client, deps, session, person)


def _ignore(**_: Any) -> None:
    """On the App Home there is no message to answer in; the refreshed home is the answer."""
