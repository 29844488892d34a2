"""Messages the Slack app sends on its own after an answer: to employees, and to leaders."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.i18n.catalog import t_mrkdwn
from storage.models import ActionItem, Person, Unit
from storage.records import employees_to_notify

log = logging.getLogger("arkbot.slack")


def _dm(client: WebClient, person: Person, text: str) -> None:
    """A plain direct message; someone we cannot reach is logged, never the clicker's error."""
    try:
        user = person.slack_user_id
        if not user:
            user = client.users_lookupByEmail(email=person.email)["user"]["id"]
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=text)
    except (SlackApiError, KeyError, TypeError):
        log.warning("could not message person %s", person.id, exc_info=True)


def you_said_we_did(client: WebClient, session: Session, item: ActionItem) -> int:
    """Tell the unit's employees that an action from their follow-up meeting is done."""
    unit = session.get(Unit, item.unit_id)
    unit_name = unit.name if unit else item.unit_id
    people = employees_to_notify(session, item.unit_id)
    for person in people:
        _dm(
            client,
            person,
            t_mrkdwn(
                person.locale, "slack.action.you_said_we_did", item=item.title, unit=unit_name
            ),
        )
    return len(people)


def tell_leaders(client: WebClient, leaders: list[Person], key: str, **values: str) -> None:
    """`key` filled in with `values` (escaped for mrkdwn) to each leader, in their language."""
    for leader in leaders:
        _dm(client, leader, t_mrkdwn(leader.locale, key, **values))
