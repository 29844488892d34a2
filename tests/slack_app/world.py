"""A running arkbot Slack app for tests: real Bolt over HTTP, real slack_sdk, fake Slack API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.sender import Sender, SenderConfig
from bot.slack.app import build_app
from bot.slack.server import HttpServer, make_server
from bot.transports.slack import SlackTransport, slack_client
from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from schedules.plan import Plan
from schedules.planner import Planner
from storage.directory import import_org
from storage.models import Delivery, table_of
from tests.engine.harness import make_plan, oslo
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.signing import (
    Response,
    SignedClient,
    block_actions_payload,
    slash_command_form,
    view_submission_payload,
)

SECRET = "test-signing-secret"

ORG = """unit_id,unit_name,parent_id,level,email,name,role,locale,timezone,slack_user_id
FAK,Fakultetet,,2,koord@example.org,Kari Koordinator,coordinator,nb,,U0KOORD001
IFA,Institutt A,FAK,3,leder.a@example.org,Anne Leder,leader,nb,,U0LEDERA01
IFA,Institutt A,FAK,3,vo.a@example.org,Vidar Verneombud,vo,en,,U0VOA00001
IFA,Institutt A,FAK,3,ansatt1@example.org,Ola Ansatt,employee,nb,,U0ANSATT01
IFA,Institutt A,FAK,3,ansatt2@example.org,Emma Employee,employee,en,,U0ANSATT02
IFB,Institutt B,FAK,3,leder.b@example.org,Bjørn Leder,leader,en,,U0LEDERB01
"""
# Vidar is the VO of both institutes, and Anne leads both: their nudges come as digests.
TWO_UNITS = ORG + (
    "IFB,Institutt B,FAK,3,vo.a@example.org,Vidar Verneombud,vo,en,,U0VOA00001\n"
    "IFB,Institutt B,FAK,3,leder.a@example.org,Anne Leder,leader,nb,,U0LEDERA01\n"
)
USERS = {
    "koord": "U0KOORD001",
    "leader_a": "U0LEDERA01",
    "vo_a": "U0VOA00001",
    "employee": "U0ANSATT01",
    "employee_en": "U0ANSATT02",
    "leader_b": "U0LEDERB01",
    "stranger": "U0STRANGER",
}

PLAN = """
  - id: form
    phase: 1
    kind: task
    title: {nb: Fyll ut skjema, en: Fill in the form}
    audience: [{role: leader, level: 3}]
    when: {type: deadline, due: 2024-05-21, opens: 2024-04-22}
    calendar_invite: true
  - id: vo-point
    phase: 1
    kind: vo_meeting
    title: {nb: Møtepunkt med verneombud, en: Meeting point with the VO}
    audience: [{role: vo}]
    when: {type: window, start: 2024-04-22, end: 2024-04-26}
    confirm_by: 2024-05-10
  - id: follow-up
    phase: 4
    kind: checkin
    title: {nb: Oppfølging av tiltak, en: Following up actions}
    audience: [{role: leader}]
    when: {type: window, start: 2024-04-29, end: 2024-06-14}
"""


@dataclass
class SlackWorld:
    engine: Engine
    plan: Plan
    clock: FrozenClock
    api: FakeSlackAPI
    server: HttpServer
    client: SignedClient
    planner: Planner
    sender: Sender
    _responses: Iterator[int]

    def at(self, moment: datetime) -> SlackWorld:
        self.clock.set(moment)
        return self

    def deliver(self) -> int:
        """Plan and send what is due now, through slack_sdk to the fake."""
        self.planner.run()
        sent = 0
        while (stats := self.sender.run_once()).claimed:
            sent += stats.sent
        return sent

    def deliveries(self, **where: Any) -> list[Delivery]:
        table = table_of(Delivery)
        query = select(table).order_by(table.c.id)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with self.engine.connect() as connection:
            return [
                Delivery.model_validate(dict(row)) for row in connection.execute(query).mappings()
            ]

    def response_url(self) -> str:
        return f"{self.api.url}response/{next(self._responses)}"

    def replies(self) -> list[dict[str, Any]]:
        """What the app answered through response_url (ephemeral replies), in order."""
        return [call.params for call in self.api.calls if call.method.startswith("response/")]

    def click(
        self, user: str, action_id: str, value: str, delivery: Delivery | None = None
    ) -> Response:
        payload = block_actions_payload(
            action_id=action_id,
            value=value,
            user_id=USERS[user],
            channel_id=(delivery.channel_id if delivery and delivery.channel_id else "D0F0000001"),
            message_ts=(
                delivery.message_id if delivery and delivery.message_id else "1700000000.000100"
            ),
        )
        payload["response_url"] = self.response_url()
        return self.client.interactive(payload)

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> Response:
        payload = view_submission_payload(
            callback_id=view["callback_id"],
            private_metadata=view.get("private_metadata", ""),
            values=values,
            user_id=USERS[user],
        )
        return self.client.interactive(payload)

    def command(self, user: str, text: str) -> Response:
        form = slash_command_form(text, user_id=USERS[user])
        form["response_url"] = self.response_url()
        return self.client.post_form("/slack/events", form)

    def opened_views(self) -> list[dict[str, Any]]:
        return [_view(call.params) for call in self.api.calls_to("views.open")]

    def published(self, user: str) -> list[dict[str, Any]]:
        return [
            _view(c.params)
            for c in self.api.calls_to("views.publish")
            if c.params.get("user_id") == USERS[user]
        ]

    def dms_to(self, user: str) -> list[str]:
        channel = self.api.dm_channel(USERS[user])
        return [m.text or "" for m in self.api.messages if m.channel == channel]


def _view(params: dict[str, Any]) -> dict[str, Any]:
    view = params.get("view")
    return json.loads(view) if isinstance(view, str) else dict(view or {})


def datepicker(day: date) -> dict[str, Any]:
    return {"value": {"type": "datepicker", "selected_date": day.isoformat()}}


def text_input(text: str | None) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": text}}


def choice(value: str, kind: str = "radio_buttons") -> dict[str, Any]:
    return {"value": {"type": kind, "selected_option": {"value": value}}}


PULSE = """
  - id: pulse
    phase: 4
    kind: pulse
    title: {nb: Puls, en: Pulse}
    audience: [{role: employee}]
    when: {type: window, start: 2024-04-22, end: 2024-06-14}
    pulse:
      cadence_days: 28
      open_days: 7
      questions:
        - id: safe
          text: {nb: "Er det trygt å si ifra?", en: "Is it safe to speak up?"}
          scale: "1-5"
        - id: know
          text: {nb: "Kjenner du tiltakene?", en: "Do you know the actions?"}
          scale: yes_no_unsure
"""


@contextmanager
def slack_world(
    engine: Engine, start: datetime | None = None, *, extra: str = "", org: str = ORG
) -> Iterator[SlackWorld]:
    plan = make_plan(PLAN + extra)
    clock = FrozenClock(start or oslo(date(2024, 4, 22), 9))
    calendar = WorkCalendar()
    with FakeSlackAPI() as api:
        for line in org.splitlines()[1:]:
            cells = line.split(",")
            api.add_user(cells[4], cells[9])
        settings = Settings(
            SLACK_BOT_TOKEN=api.token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=api.url,
            _env_file=None,
        )
        import_org(engine, org, clock=clock, actor="test")
        app = build_app(
            settings, engine, plan, clock, calendar=calendar, process_before_response=True
        )
        server = make_server(app)
        server.start()
        transport = SlackTransport(slack_client(api.token, api.url))
        world = SlackWorld(
            engine=engine,
            plan=plan,
            clock=clock,
            api=api,
            server=server,
            client=SignedClient(server.url, SECRET),
            planner=Planner(engine, plan, calendar, clock),
            sender=Sender(
                engine, plan, transport, calendar, clock, config=SenderConfig(concurrency=1)
            ),
            _responses=count(1),
        )
        try:
            yield world
        finally:
            world.sender.close()
            server.close()
