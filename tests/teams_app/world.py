"""A running arkbot Teams app for tests: the real SDK behind arkbot's own HTTP server,
signed activities in, the real SDK client out to a local fake Bot Framework connector."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.conversation import Core
from bot.sender import Sender, SenderConfig
from bot.slack.server import HttpServer, make_server
from bot.teams.app import MESSAGES, TeamsEndpoint, build_endpoint
from bot.teams.loop import EventLoopThread
from bot.transports.teams import DatabaseConversations, TeamsTransport
from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from schedules.plan import Plan
from schedules.planner import Planner
from storage.directory import import_org
from storage.models import Delivery, Person, table_of
from tests.engine.harness import make_plan, oslo
from tests.fakes.teams_connector import DEFAULT_APP_ID, DEFAULT_TENANT, FakeTeamsConnector
from tests.slack_app.world import ORG, PLAN, PULSE
from tests.teams.signing import sign_activity_token

__all__ = ["PULSE", "TeamsWorld", "teams_world"]

# Entra object ids of the people in tests.slack_app.world.ORG, by the same short names.
AAD = {
    "koord": "aad-koord",
    "leader_a": "aad-leder-a",
    "vo_a": "aad-vo-a",
    "employee": "aad-ansatt1",
    "employee_en": "aad-ansatt2",
    "leader_b": "aad-leder-b",
    "stranger": "aad-stranger",
}
EMAILS = {
    "koord": "koord@example.org",
    "leader_a": "leder.a@example.org",
    "vo_a": "vo.a@example.org",
    "employee": "ansatt1@example.org",
    "employee_en": "ansatt2@example.org",
    "leader_b": "leder.b@example.org",
}


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class TeamsWorld:
    engine: Engine
    plan: Plan
    clock: FrozenClock
    fake: FakeTeamsConnector
    endpoint: TeamsEndpoint
    server: HttpServer
    planner: Planner
    sender: Sender
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def at(self, moment: datetime) -> TeamsWorld:
        self.clock.set(moment)
        return self

    def deliver(self) -> int:
        self.planner.run()
        sent = 0
        while (stats := self.sender.run_once()).claimed:
            sent += stats.sent
        return sent

    def deliveries(self, **where: Any) -> list[Delivery]:
        from sqlalchemy import select

        table = table_of(Delivery)
        query = select(table).order_by(table.c.id)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with self.engine.connect() as connection:
            return [Delivery.model_validate(dict(r)) for r in connection.execute(query).mappings()]

    # -- activities in -------------------------------------------------------------------

    def activity(self, user: str, kind: str, **fields: Any) -> dict[str, Any]:
        aad = AAD[user]
        conversation = FakeTeamsConnector.conversation_id_for(aad)
        self.fake.add_conversation(conversation, DEFAULT_TENANT)  # Teams made it at install
        return {
            "type": kind,
            "id": f"act-{next(self._ids)}",
            "timestamp": "2024-04-22T07:00:00.000Z",
            "serviceUrl": self.fake.url,
            "channelId": "msteams",
            "from": {"id": f"29:{aad}", "aadObjectId": aad, "name": user},
            "recipient": {"id": f"28:{DEFAULT_APP_ID}", "name": "arkbot"},
            "conversation": {
                "id": conversation,
                "conversationType": "personal",
                "tenantId": DEFAULT_TENANT,
            },
            "channelData": {"tenant": {"id": DEFAULT_TENANT}},
            "locale": "nb-NO",
            **fields,
        }

    def post(
        self, activity: dict[str, Any], *, token: str | None = None, signed: bool = True
    ) -> Answer:
        """POST the activity with a valid token, with `token`, or (signed=False) with none."""
        if token is None and signed:
            token = sign_activity_token(app_id=DEFAULT_APP_ID, service_url=self.fake.url)
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            f"{self.server.url}{MESSAGES}",
            data=json.dumps(activity).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        return Answer(status, json.loads(raw) if raw else None)

    def click(self, user: str, data: dict[str, Any], *, reply_to: str | None = None) -> Answer:
        value = {
            "action": {"type": "Action.Execute", "verb": str(data.get("action")), "data": data},
            "trigger": "manual",
        }
        activity = self.activity(user, "invoke", name="adaptiveCard/action", value=value)
        if reply_to:
            activity["replyToId"] = reply_to
        return self.post(activity)

    def say(self, user: str, text: str) -> Answer:
        return self.post(self.activity(user, "message", text=text))

    def install(self, user: str) -> Answer:
        return self.post(self.activity(user, "installationUpdate", action="add"))

    # -- what arrived at the connector ---------------------------------------------------

    def cards_to(self, user: str) -> list[dict[str, Any]]:
        conversation = FakeTeamsConnector.conversation_id_for(AAD[user])
        return [
            card
            for activity in self.fake.activities
            if activity.conversation_id == conversation
            for card in activity.cards
        ]

    def texts_to(self, user: str) -> list[str]:
        conversation = FakeTeamsConnector.conversation_id_for(AAD[user])
        return [
            json.dumps(activity.body, ensure_ascii=False)
            for activity in self.fake.activities
            if activity.conversation_id == conversation
        ]


def _teams_ids(engine: Engine) -> None:
    people = table_of(Person)
    with engine.begin() as connection:
        for user, email in EMAILS.items():
            connection.execute(
                update(people)
                .where(people.c.email == email)
                .values(
                    teams_aad_object_id=AAD[user],
                    teams_tenant_id=DEFAULT_TENANT,
                    slack_user_id=None,
                )
            )


@contextmanager
def teams_world(
    engine: Engine, start: datetime | None = None, *, extra: str = "", org: str = ORG
) -> Iterator[TeamsWorld]:
    plan = make_plan(PLAN + extra)
    clock = FrozenClock(start or oslo(date(2024, 4, 22), 9))
    calendar = WorkCalendar()
    import_org(engine, org, clock=clock, actor="test")
    _teams_ids(engine)
    members = {f"29:{aad}": {"aadObjectId": aad} for aad in AAD.values()}
    with FakeTeamsConnector(members=members) as fake:
        settings = Settings(_env_file=None, CLIENT_ID=DEFAULT_APP_ID, TENANT_ID=DEFAULT_TENANT)  # type: ignore[call-arg]
        loop = EventLoopThread(name="test-teams-app")
        core = Core(
            engine=engine,
            plan=plan,
            clock=clock,
            calendar=calendar,
            workspaces=lambda platform: DEFAULT_TENANT if platform == "teams" else None,
        )
        from bot.teams.sdk import make_teams_app

        outbound = make_teams_app(
            settings, token=fake.token_provider, service_url=fake.url,
            openid_metadata_url=fake.openid_metadata_url,
        )  # fmt: skip
        transport = TeamsTransport(
            outbound,
            loop=loop,
            tenant_id=DEFAULT_TENANT,
            conversations=DatabaseConversations(engine, clock),
            conversation_rate=None,
        )
        endpoint = build_endpoint(
            settings,
            core,
            loop=loop,
            token=fake.token_provider,
            openid_metadata_url=fake.openid_metadata_url,
            service_url=fake.url,
        )
        server = make_server(None, routes={MESSAGES: endpoint.route})
        server.start()
        world = TeamsWorld(
            engine=engine,
            plan=plan,
            clock=clock,
            fake=fake,
            endpoint=endpoint,
            server=server,
            planner=Planner(engine, plan, calendar, clock),
            sender=Sender(
                engine, plan, transport, calendar, clock, config=SenderConfig(concurrency=1)
            ),
        )
        try:
            yield world
        finally:
            world.sender.close()
            server.close()
            loop.close()
