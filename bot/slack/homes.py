"""Publishing a person's App Home."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlmodel import Session

from bot.i18n.catalog import t
from bot.overview import person_home
from bot.slack.context import Deps
from bot.slack.home import home_view
from storage.models import Person


def publish_home(client: WebClient, deps: Deps, session: Session, person: Person) -> None:
    if person.id is None or not person.slack_user_id:
        return
    today = deps.today(person)
    home = person_home(session, deps.plan, person.id, today, deps.calendar)
    client.views_publish(user_id=person.slack_user_id, view=home_view(home, today=today))


def publish_unknown(client: WebClient, slack_user_id: str, locale: str) -> None:
    client.views_publish(
        user_id=slack_user_id,
        view={
            "type": "home",
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": t(locale, "slack.home_unknown")},
                }
            ],
        },
    )
