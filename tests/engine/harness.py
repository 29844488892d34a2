"""A small world for engine tests: a plan, an organisation, a frozen clock, a scripted transport."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.messages import Message
from bot.sender import Sender, SenderConfig
from bot.transports.base import Recipient, SendResult
from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from schedules.events import Rules
from schedules.loader import check_plan_text
from schedules.plan import Plan
from schedules.planner import Planner
from storage.directory import import_org
from storage.models import Delivery, table_of

OSLO = ZoneInfo("Europe/Oslo")

ORG_CSV = """unit_id,unit_name,parent_id,level,email,name,role,locale,timezone
UNI,Universitetet,,1,,,,,
FAK,Fakultetet,UNI,2,koord@example.org,Kari Koordinator,coordinator,nb,
FAK,Fakultetet,UNI,2,dekan@example.org,Dag Dekan,leader,nb,
IFA,Institutt A,FAK,3,leder.a@example.org,Anne Leder,leader,nb,
IFA,Institutt A,FAK,3,vo.a@example.org,Vidar Verneombud,vo,nb,
IFA,Institutt A,FAK,3,ansatt1@example.org,Ola Ansatt,employee,nb,
IFA,Institutt A,FAK,3,ansatt2@example.org,Emma Employee,employee,en,
IFB,Institutt B,FAK,3,leder.b@example.org,Bjørn Leder,leader,en,
IFB,Institutt B,FAK,3,vo.a@example.org,Vidar Verneombud,vo,nb,
IFB,Institutt B,FAK,3,ansatt3@example.org,Per Ansatt,employee,nb,America/New_York
"""

PLAN_HEAD = """
id: test-cycle
name: {nb: Testsyklus, en: Test cycle}
anchors: {survey_start: 2024-03-04}
milestones:
"""


def make_plan(milestones_yaml: str) -> Plan:
    plan, issues = check_plan_text(PLAN_HEAD + milestones_yaml, "test-plan.yaml")
    assert plan is not None, [str(issue) for issue in issues]
    return plan


def oslo(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO).astimezone(UTC)


@dataclass
class ScriptedTransport:
    """Records sends; `script` may raise a TransportError for a given recipient email."""

    platform: str = "test"
    workspace: str = "default"
    sent: list[tuple[Recipient, Message]] = field(default_factory=list)
    script: Callable[[Recipient, Message], None] | None = None

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        if self.script is not None:
            self.script(recipient, message)
        self.sent.append((recipient, message))
        return SendResult(
            platform=self.platform, channel_id=recipient.email, message_id=str(len(self.sent))
        )


@dataclass
class World:
    engine: Engine
    plan: Plan
    clock: FrozenClock
    calendar: WorkCalendar
    transport: ScriptedTransport
    planner: Planner
    sender: Sender

    def at(self, moment: datetime) -> World:
        self.clock.set(moment)
        return self

    def tick(self) -> int:
        """Plan, then send until nothing more is due now; returns how many were sent."""
        self.planner.run()
        before = len(self.transport.sent)
        while self.sender.run_once().claimed:
            pass
        return len(self.transport.sent) - before

    def run_days(self, first: date, last: date, hours: tuple[int, ...] = (0, 9, 12, 16)) -> None:
        day = first
        while day <= last:
            for hour in hours:
                self.at(oslo(day, hour)).tick()
            day = date.fromordinal(day.toordinal() + 1)

    def deliveries(self) -> list[Delivery]:
        table = table_of(Delivery)
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).order_by(table.c.id)).mappings().all()
        return [Delivery.model_validate(dict(row)) for row in rows]

    def sent_to(self, email: str) -> list[Message]:
        return [message for recipient, message in self.transport.sent if recipient.email == email]


def build_world(
    engine: Engine,
    plan: Plan,
    start: datetime,
    *,
    rules: Rules | None = None,
    config: SenderConfig | None = None,
    org_csv: str = ORG_CSV,
    transport: ScriptedTransport | None = None,
) -> World:
    clock = FrozenClock(start)
    calendar = WorkCalendar()
    import_org(engine, org_csv, clock=clock, actor="test")
    transport = transport or ScriptedTransport()
    planner = Planner(engine, plan, calendar, clock, rules or Rules())
    sender = Sender(
        engine, plan, transport, calendar, clock, config=config or SenderConfig(concurrency=2)
    )
    return World(engine, plan, clock, calendar, transport, planner, sender)
