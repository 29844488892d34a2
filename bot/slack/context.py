"""What every Slack listener needs: the conversation core, who is asking, and how to show
the core's outcome in Slack (ephemeral replies, modals, redrawn messages, the App Home)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.conversation import Core, Identity, Outcome
from bot.conversation.types import Redraw
from bot.escape import slack_mrkdwn
from bot.i18n.catalog import normalise_locale, t
from bot.slack import modals
from bot.slack.blocks import render_payload
from bot.slack.home import home_view

log = logging.getLogger("arkbot.slack")
Respond = Callable[..., Any]
Ack = Callable[..., None]


Work = Callable[[], None]


def at_once(work: Work) -> None:
    work()


@dataclass(frozen=True, slots=True)
class Deps:
    core: Core
    # Runs what a click does after its ack: at once, or (serving) on a few threads of its own
    # so that under a burst the acks, which Slack waits for, are not queued behind the work.
    after_ack: Callable[[Work], None] = at_once


def identity_of(body: dict[str, Any]) -> Identity:
    """Who the (verified) payload says is asking: a block action, a view or a command."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    return Identity(
        platform="slack",
        user_id=str(user.get("id") or body.get("user_id") or ""),
        workspace=(team.get("id") if isinstance(team, dict) else None)
        or body.get("team_id")
        or user.get("team_id"),
        locale=user.get("locale") if isinstance(user.get("locale"), str) else None,
    )


def tell(respond: Respond, text: str, blocks: list[Any] | None = None) -> None:
    """A short ephemeral answer to the person who clicked or typed; nothing else changes.
    The core's text is plain: names and titles in it must not become mentions or links."""
    payload: dict[str, Any] = {"text": slack_mrkdwn(text), "response_type": "ephemeral"}
    if blocks:
        payload["blocks"] = [b.to_dict() if hasattr(b, "to_dict") else b for b in blocks]
    else:
        payload["replace_original"] = False
    respond(**payload)


def show(
    deps: Deps,
    outcome: Outcome,
    client: WebClient,
    *,
    user_id: str,
    respond: Respond | None = None,
    trigger_id: str | None = None,
    reply: bool = True,
) -> None:
    """Everything the outcome asks for, in Slack's terms."""
    if outcome.form is not None and trigger_id:
        client.views_open(trigger_id=trigger_id, view=modals.modal_for(outcome.form))
    for redraw in outcome.redraw:
        _redraw(client, redraw)
    if reply and outcome.reply and respond is not None:
        tell(respond, outcome.reply)
    if outcome.home is not None:
        client.views_publish(user_id=user_id, view=home_view(outcome.home))
    if outcome.files:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        for file in outcome.files:
            client.files_upload_v2(
                channel=channel,
                content=file.content,
                filename=file.filename,
                title=file.title,
                initial_comment=file.comment or None,
            )


def _redraw(client: WebClient, redraw: Redraw) -> None:
    if redraw.platform not in (None, "slack"):
        return  # sent on another platform; that app redraws it
    payload = render_payload(redraw.message)
    try:
        client.chat_update(
            channel=redraw.channel_id,
            ts=redraw.message_id,
            text=payload["text"],
            blocks=payload["blocks"],
        )
    except SlackApiError:  # the record is saved; a message we cannot redraw is not an error
        log.warning("could not redraw a message (%s)", redraw.platform or "slack")


def publish_unknown(client: WebClient, slack_user_id: str, locale: str | None) -> None:
    client.views_publish(
        user_id=slack_user_id,
        view={
            "type": "home",
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": t(normalise_locale(locale), "conversation.home_unknown"),
                    },
                }
            ],
        },
    )
