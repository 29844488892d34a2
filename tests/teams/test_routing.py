"""Platform choice: each nudge goes once, to the platform that fits the person."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.messages import Message, MessageKind
from bot.pacing import TokenBucket
from bot.runtime import bucket_from, sender_bucket_from, transport_from
from bot.sender import Sender, SenderConfig
from bot.teams.loop import EventLoopThread
from bot.teams.sdk import make_teams_app
from bot.transports.base import PermanentFailure, RateLimited, Recipient
from bot.transports.console import ConsoleTransport
from bot.transports.routing import RoutingTransport
from bot.transports.slack import SlackTransport, slack_client
from bot.transports.teams import DatabaseConversations, TeamsTransport
from schedules.calendar import WorkCalendar
from storage.models import DeliveryStatus, TeamsConversation
from tests.engine.harness import ScriptedTransport, build_world, make_plan, oslo
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.teams_connector import DEFAULT_APP_ID, DEFAULT_TENANT, FakeTeamsConnector
from tests.teams.conftest import teams_settings

HELLO = Message(kind=MessageKind.information, locale="nb", headline="Hei", body="")


def person(**ids: str | None) -> Recipient:
    return Recipient(person_id=1, email="kari@example.org", name="Kari", locale="nb", **ids)  # type: ignore[arg-type]


def routing(default: str = "slack", **kwargs: object) -> RoutingTransport:
    return RoutingTransport(
        {
            "slack": ScriptedTransport(platform="slack"),
            "teams": ScriptedTransport(platform="teams"),
        },
        default_platform=default,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("ids", "default", "expected"),
    [
        (
            {"slack_user_id": "U1", "teams_aad_object_id": "a", "preferred_platform": "teams"},
            "slack",
            "teams",
        ),
        (
            {"slack_user_id": "U1", "teams_aad_object_id": "a", "preferred_platform": "slack"},
            "teams",
            "slack",
        ),
        ({"slack_user_id": "U1", "teams_aad_object_id": "a"}, "teams", "teams"),
        ({"slack_user_id": "U1", "teams_aad_object_id": "a"}, "slack", "slack"),
        ({"teams_aad_object_id": "a", "preferred_platform": "slack"}, "slack", "teams"),
        ({"teams_user_id": "29:x"}, "slack", "teams"),
        ({"slack_user_id": "U1", "preferred_platform": "teams"}, "teams", "slack"),
        ({}, "teams", "slack"),  # known nowhere: Slack finds people by e-mail
    ],
)
def test_choice(ids: dict[str, str], default: str, expected: str) -> None:
    transport = routing(default)
    assert transport.choose(person(**ids)) == expected
    result = transport.send(person(**ids), HELLO)
    assert result.platform == expected
    sent = {name: len(t.sent) for name, t in transport.transports.items()}  # type: ignore[attr-defined]
    assert sent == {"slack": int(expected == "slack"), "teams": int(expected == "teams")}


def test_nobody_to_reach_without_slack() -> None:
    transport = RoutingTransport({"teams": ScriptedTransport(platform="teams")})
    with pytest.raises(PermanentFailure, match="not_reachable"):
        transport.send(person(), HELLO)


def test_permanent_refusal_falls_over_to_the_other_platform() -> None:
    def refuse(recipient: Recipient, message: Message) -> None:
        raise PermanentFailure("teams_app_not_installed")

    teams = ScriptedTransport(platform="teams", script=refuse)
    slack = ScriptedTransport(platform="slack")
    transport = RoutingTransport({"slack": slack, "teams": teams}, default_platform="teams")
    result = transport.send(person(slack_user_id="U1", teams_aad_object_id="a"), HELLO)
    assert result.platform == "slack"
    assert len(slack.sent) == 1
    with pytest.raises(PermanentFailure) as raised:
        transport.send(person(teams_aad_object_id="a"), HELLO)
    assert raised.value.reason == "teams_app_not_installed"


def test_an_empty_platform_bucket_refuses_without_calling() -> None:
    now = [0.0]
    bucket = TokenBucket(1.0, 1.0, lambda: now[0])
    transport = routing("teams", buckets={"teams": bucket})
    teams_user = person(teams_aad_object_id="a")
    transport.send(teams_user, HELLO)
    with pytest.raises(RateLimited) as raised:
        transport.send(teams_user, HELLO)
    assert raised.value.retry_after == pytest.approx(1.0)
    assert transport.send(person(slack_user_id="U1"), HELLO).platform == "slack"


def test_transport_follows_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SLACK_BOT_TOKEN", "ARKBOT_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)
    nothing = Settings(_env_file=None)  # type: ignore[call-arg]
    assert isinstance(transport_from(nothing), ConsoleTransport)
    slack = Settings(_env_file=None, SLACK_BOT_TOKEN=SecretStr("xoxb-test"))  # type: ignore[call-arg]
    assert isinstance(transport_from(slack), SlackTransport)
    teams = teams_settings(CLIENT_SECRET=SecretStr("not-a-secret"))
    made = transport_from(teams)
    assert isinstance(made, TeamsTransport)
    assert made.workspace == DEFAULT_TENANT
    made.close()
    with_token = transport_from(teams_settings(), teams_token=lambda scope, tenant: None)
    assert isinstance(with_token, TeamsTransport)
    with_token.close()
    both = teams_settings(CLIENT_SECRET=SecretStr("x"), SLACK_BOT_TOKEN=SecretStr("xoxb-test"))
    routed = transport_from(both)
    assert isinstance(routed, RoutingTransport)
    assert set(routed.transports) == {"slack", "teams"}
    combined = sender_bucket_from(both, routed)
    assert combined.rate == pytest.approx(300 / 60 + 48)
    assert combined.capacity == 20 + 2
    routed.transports["teams"].close()  # type: ignore[attr-defined]
    forced = teams_settings(
        CLIENT_SECRET=SecretStr("x"), SLACK_BOT_TOKEN=SecretStr("xoxb"), ARKBOT_TRANSPORT="console"
    )
    assert isinstance(transport_from(forced), ConsoleTransport)
    with pytest.raises(ValueError, match="unknown ARKBOT_TRANSPORT"):
        transport_from(teams_settings(ARKBOT_TRANSPORT="pigeon"))


def test_teams_bucket_never_exceeds_the_tenant_limit_in_a_second() -> None:
    settings = teams_settings()
    bucket = bucket_from(settings, platform="teams")
    assert bucket.rate + bucket.capacity == settings.teams_rate_per_second


# ----------------------------------------------------------------------------- end to end

INFO = """
  - id: news
    phase: 2
    kind: information
    title: {nb: Resultater, en: Results}
    audience: [{role: leader, level: 3}]
    when: {type: day, date: 2024-01-08}
"""
KARI_AAD = "8d3c1f0e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
OLA_AAD = "11111111-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
PER_AAD = "22222222-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
HEADER = (
    "unit_id,unit_name,parent_id,level,email,name,role,"
    "slack_user_id,teams_aad_object_id,preferred_platform"
)
ORG = f"""{HEADER}
FAK,Fakultetet,,2,koord@example.org,Kari Koordinator,coordinator,,,
IFA,Institutt A,FAK,3,both.teams@example.org,Kari Begge,leader,U0000000A,{KARI_AAD},teams
IFB,Institutt B,FAK,3,both.default@example.org,Ola Begge,leader,U0000000B,{OLA_AAD},
IFC,Institutt C,FAK,3,slack.only@example.org,Siv Slack,leader,U0000000C,,teams
IFD,Institutt D,FAK,3,teams.only@example.org,Per Teams,leader,,{PER_AAD},slack
"""


@pytest.fixture
def loop() -> Iterator[EventLoopThread]:
    with EventLoopThread() as running:
        yield running


def test_people_on_both_platforms_get_each_nudge_once(
    engine: Engine, fake_slack: FakeSlackAPI, fake_teams: FakeTeamsConnector, loop: EventLoopThread
) -> None:
    for email, user in [
        ("both.teams@example.org", "U0000000A"),
        ("both.default@example.org", "U0000000B"),
        ("slack.only@example.org", "U0000000C"),
    ]:
        fake_slack.add_user(email, user)
    world = build_world(engine, make_plan(INFO), oslo(date(2024, 1, 8), 9), org_csv=ORG)
    app = make_teams_app(
        teams_settings(), token=fake_teams.token_provider, service_url=fake_teams.url
    )
    teams = TeamsTransport(
        app,
        loop=loop,
        tenant_id=DEFAULT_TENANT,
        conversations=DatabaseConversations(engine, world.clock),
    )
    transport = RoutingTransport(
        {"slack": SlackTransport(slack_client(fake_slack.token, fake_slack.url)), "teams": teams},
        default_platform="slack",
    )
    sender = Sender(
        engine,
        world.plan,
        transport,
        WorkCalendar(),
        world.clock,
        config=SenderConfig(concurrency=4),
        rng=random.Random(1),
    )
    world.planner.run()
    first = sender.run_once()
    # a second instance, a restart, the next minute: nothing is sent again
    world.at(oslo(date(2024, 1, 8), 11))
    world.planner.run()
    second = sender.run_once()
    sender.close()

    assert (first.sent, first.failed, second.claimed) == (4, 0, 0)
    rows = {d.unit_id: d for d in world.deliveries()}
    assert {unit: (row.status, row.platform) for unit, row in rows.items()} == {
        "IFA": (DeliveryStatus.sent, "teams"),
        "IFB": (DeliveryStatus.sent, "slack"),
        "IFC": (DeliveryStatus.sent, "slack"),
        "IFD": (DeliveryStatus.sent, "teams"),
    }
    assert sorted(m.user_id or "" for m in fake_slack.messages) == ["U0000000B", "U0000000C"]
    assert fake_teams.activities_by_conversation() == {
        fake_teams.conversation_id_for(KARI_AAD): 1,
        fake_teams.conversation_id_for(PER_AAD): 1,
    }
    assert rows["IFA"].channel_id == fake_teams.conversation_id_for(KARI_AAD)
    with Session(engine) as session:
        stored = session.exec(select(TeamsConversation)).all()
    assert sorted(row.conversation_id for row in stored) == sorted(
        [fake_teams.conversation_id_for(KARI_AAD), fake_teams.conversation_id_for(PER_AAD)]
    )
    assert fake_teams.app_id == DEFAULT_APP_ID
