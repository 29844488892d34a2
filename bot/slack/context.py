"""What every Slack listener needs: the domain's parts, who is asking, and small reply helpers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.access import person_for_slack
from bot.compose import Composer, Subject
from bot.i18n.catalog import normalise_locale, t
from bot.slack.blocks import render_payload
from schedules.calendar import WorkCalendar
from schedules.clock import Clock
from schedules.plan import Plan
from storage.deliveries import Claimed
from storage.models import Delivery, Person

log = logging.getLogger("arkbot.slack")


@dataclass(frozen=True, slots=True)
class Deps:
    engine: Engine
    plan: Plan
    clock: Clock
    calendar: WorkCalendar
    you_said_we_did: bool = True
    pulse_min_group: int = 5

    def now(self) -> datetime:
        return self.clock.now()

    def today(self, person: Person | None) -> date:
        return self.calendar.local_date(self.now(), person.timezone if person else None)


def person_for(session: Session, slack_user_id: str | None) -> Person | None:
    """The active person behind a Slack user id, or None."""
    return person_for_slack(session, slack_user_id) if slack_user_id else None


def locale_of(person: Person | None, body: dict[str, Any]) -> str:
    if person is not None:
        return normalise_locale(person.locale)
    return normalise_locale((body.get("user") or {}).get("locale"))


def user_id_of(body: dict[str, Any]) -> str | None:
    user = body.get("user") or {}
    return user.get("id") or body.get("user_id")


def tell(respond: Callable[..., Any], text: str) -> None:
    """A short ephemeral answer to the person who clicked or typed; nothing else changes."""
    respond(text=text, response_type="ephemeral", replace_original=False)


def deny(respond: Callable[..., Any], locale: str, key: str, **values: Any) -> None:
    tell(respond, t(locale, key, **values))


def update_in_place(client: WebClient, body: dict[str, Any], note: str) -> None:
    """Replace a message's buttons with a line saying what happened (the message stays)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    message = body.get("message") or {}
    if not channel or not ts:
        return
    blocks = [block for block in message.get("blocks") or [] if block.get("type") != "actions"]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    client.chat_update(channel=channel, ts=ts, text=message.get("text") or note, blocks=blocks)


def update_delivery_message(
    client: WebClient,
    deps: Deps,
    delivery: Delivery,
    person: Person,
    note: str,
    unit_name: str | None = None,
) -> None:
    """After a modal: redraw the delivery's message without its buttons, with what happened."""
    if not delivery.channel_id or not delivery.message_id or delivery.id is None:
        return
    milestone = next((m for m in deps.plan.milestones if m.id == delivery.milestone_id), None)
    if milestone is None:
        return
    claimed = Claimed(
        id=delivery.id,
        cycle_id=delivery.cycle_id,
        milestone_id=delivery.milestone_id,
        occurrence=delivery.occurrence,
        person_id=delivery.person_id,
        unit_id=delivery.unit_id,
        role=delivery.role,
        nudge=delivery.nudge,
        optional=delivery.optional,
        subject_id=delivery.subject_id,
        workspace=delivery.workspace,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        expires_at=delivery.expires_at,
    )
    message = Composer(deps.plan).compose(
        claimed, person.locale, Subject(milestone, unit_name), deps.today(person)
    )
    redrawn = message.model_copy(
        update={"buttons": [], "context": f"{message.context or ''}\n{note}"}
    )
    payload = render_payload(redrawn)
    try:
        client.chat_update(
            channel=delivery.channel_id,
            ts=delivery.message_id,
            text=payload["text"],
            blocks=payload["blocks"],
        )
    except Exception:  # the record is saved; a message we cannot redraw is not worth an error
        log.warning("could not update message %s", delivery.message_id, exc_info=True)
