"""TeamsTransport with the real Teams SDK client against the fake Bot Framework connector."""

from __future__ import annotations

import httpx
import pytest

from bot.messages import ActionId, Button, Message, MessageKind
from bot.teams.cards import render_card
from bot.teams.sdk import CachedToken
from bot.transports.base import (
    PermanentFailure,
    RateLimited,
    Recipient,
    TemporaryFailure,
    Transport,
)
from bot.transports.teams import (
    NOT_INSTALLED,
    ConversationRef,
    MemoryConversations,
    TeamsTransport,
    translate_error,
)
from tests.fakes.teams_connector import DEFAULT_APP_ID, DEFAULT_TENANT, FakeTeamsConnector

REMINDER = Message(
    kind=MessageKind.reminder,
    locale="nb",
    headline="Svar på undersøkelsen",
    body="Fristen er *13. oktober 2023*.",
    context="Steg 3 av 7",
    buttons=[
        Button(action=ActionId.task_done, label="Ferdig", value="12", style="primary"),
        Button(action=ActionId.task_snooze, label="Påminn meg i morgen", value="12"),
    ],
    delivery_id=12,
)


def kari(person_id: int = 7, aad: str | None = "aad-kari") -> Recipient:
    return Recipient(
        person_id=person_id,
        email="kari@example.org",
        name="Kari Nordmann",
        locale="nb",
        teams_aad_object_id=aad,
        teams_tenant_id=DEFAULT_TENANT,
    )


def test_is_a_transport(teams_transport: TeamsTransport) -> None:
    as_protocol: Transport = teams_transport
    assert as_protocol.platform == "teams"
    assert as_protocol.workspace == DEFAULT_TENANT


def test_card_arrives_and_conversation_is_created_and_remembered_once(
    teams_transport: TeamsTransport, fake_teams: FakeTeamsConnector
) -> None:
    first = teams_transport.send(kari(), REMINDER)
    second = teams_transport.send(kari(), REMINDER)

    conversation = fake_teams.conversation_id_for("aad-kari")
    assert first.platform == "teams"
    assert first.channel_id == second.channel_id == conversation
    assert first.message_id
    assert first.message_id != second.message_id
    assert [c.member_id for c in fake_teams.created] == ["aad-kari"]
    assert fake_teams.created[0].tenant_id == DEFAULT_TENANT
    assert fake_teams.activities_by_conversation() == {conversation: 2}
    card = fake_teams.activities[0].cards[0]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    actions = card["body"][-1]["actions"]
    assert actions[0]["type"] == "Action.Execute"
    assert actions[0]["data"] == {"action": "task_done", "delivery_id": 12, "value": "12"}
    stored = teams_transport.conversations.get(7)
    assert stored is not None
    assert stored.conversation_id == conversation


def test_stored_reference_is_used_without_creating(
    fake_teams: FakeTeamsConnector, teams_transport: TeamsTransport
) -> None:
    fake_teams.add_conversation("a:known", DEFAULT_TENANT)
    teams_transport.conversations.remember(7, ConversationRef("a:known", fake_teams.url))
    result = teams_transport.send(kari(), REMINDER)
    assert result.channel_id == "a:known"
    assert fake_teams.created == []


def test_stale_reference_is_forgotten_and_created_again(
    fake_teams: FakeTeamsConnector, teams_transport: TeamsTransport
) -> None:
    teams_transport.conversations.remember(7, ConversationRef("a:gone", fake_teams.url))
    result = teams_transport.send(kari(), REMINDER)
    assert result.channel_id == fake_teams.conversation_id_for("aad-kari")
    assert len(fake_teams.created) == 1


def test_429_is_rate_limited_with_retry_after(
    teams_transport: TeamsTransport, fake_teams: FakeTeamsConnector
) -> None:
    teams_transport.send(kari(), REMINDER)
    fake_teams.fail_next("send", status=429, retry_after=7)
    with pytest.raises(RateLimited) as raised:
        teams_transport.send(kari(), REMINDER)
    assert raised.value.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_temporary(
    teams_transport: TeamsTransport, fake_teams: FakeTeamsConnector, status: int
) -> None:
    fake_teams.fail_next("send", status=status)
    with pytest.raises(TemporaryFailure, match=f"teams_http_{status}"):
        teams_transport.send(kari(), REMINDER)


def test_not_installed_is_permanent(
    teams_transport: TeamsTransport, fake_teams: FakeTeamsConnector
) -> None:
    fake_teams.not_installed_for("aad-ola")
    with pytest.raises(PermanentFailure) as raised:
        teams_transport.send(kari(person_id=8, aad="aad-ola"), REMINDER)
    assert raised.value.reason == NOT_INSTALLED
    assert teams_transport.conversations.get(8) is None


def test_no_teams_id_is_permanent(teams_transport: TeamsTransport) -> None:
    with pytest.raises(PermanentFailure, match="no_teams_id"):
        teams_transport.send(kari(aad=None), REMINDER)


def test_connection_refused_is_temporary(teams_transport: TeamsTransport) -> None:
    teams_transport.conversations.remember(7, ConversationRef("a:x", "http://127.0.0.1:9"))
    with pytest.raises(TemporaryFailure, match="connection_error"):
        teams_transport.send(kari(), REMINDER)


def test_update_card_replaces_the_card(
    teams_transport: TeamsTransport, fake_teams: FakeTeamsConnector
) -> None:
    sent = teams_transport.send(kari(), REMINDER)
    assert sent.channel_id
    assert sent.message_id
    result = teams_transport.update_card(
        sent.channel_id, sent.message_id, render_card(REMINDER, note="Ferdig 13. oktober")
    )
    assert result.message_id == sent.message_id
    current = fake_teams.current(sent.channel_id, sent.message_id)
    assert current is not None
    assert current.updated
    body = current.cards[0]["body"]
    assert body[-1]["text"] == "Ferdig 13. oktober"
    assert all(element["type"] != "ActionSet" for element in body)
    assert fake_teams.activities_by_conversation() == {sent.channel_id: 1}


def test_update_of_an_unknown_activity_is_permanent(
    teams_transport: TeamsTransport, fake_teams: FakeTeamsConnector
) -> None:
    sent = teams_transport.send(kari(), REMINDER)
    assert sent.channel_id
    with pytest.raises(PermanentFailure, match="not_found"):
        teams_transport.update_card(sent.channel_id, "1:999", render_card(REMINDER))


def test_conversation_pacing_refuses_without_waiting(
    fake_teams: FakeTeamsConnector, teams_transport: TeamsTransport
) -> None:
    now = [100.0]
    paced = TeamsTransport(
        teams_transport.app,
        loop=teams_transport.loop,
        tenant_id=DEFAULT_TENANT,
        conversations=MemoryConversations(),
        conversation_rate=6.0,
        time_fn=lambda: now[0],
    )
    paced.send(kari(), REMINDER)
    with pytest.raises(RateLimited) as raised:
        paced.send(kari(), REMINDER)
    assert 0 < raised.value.retry_after <= 1 / 6 + 1e-9
    now[0] += 0.2
    paced.send(kari(), REMINDER)


def test_token_is_fetched_once(fake_teams: FakeTeamsConnector) -> None:
    calls: list[object] = []

    def provider(scope: object, tenant: str | None) -> str:
        calls.append(scope)
        return fake_teams.token_provider(scope, tenant)

    from bot.teams.loop import EventLoopThread

    cached = CachedToken(provider)
    with EventLoopThread() as loop:
        first = loop.run(cached("https://api.botframework.com/.default", None))
        second = loop.run(cached("https://api.botframework.com/.default", None))
    assert first is second
    assert len(calls) == 1


def test_translate_unknown_status() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/v3/conversations")
    response = httpx.Response(409, request=request, json={"error": {"code": "Conflict"}})
    error = httpx.HTTPStatusError("conflict", request=request, response=response)
    failure = translate_error(error)
    assert isinstance(failure, PermanentFailure)
    assert failure.reason == "teams_http_409 (Conflict)"
    unauthorized = httpx.Response(401, request=request)
    assert (
        "teams_unauthorized"
        in translate_error(
            httpx.HTTPStatusError("401", request=request, response=unauthorized)
        ).reason
    )


def test_failure_reasons_are_explained_in_both_languages() -> None:
    from bot.transports.teams import failure_text

    assert "not installed" in failure_text(NOT_INSTALLED, "en")
    assert "ikke installert" in failure_text(NOT_INSTALLED, "nb")
    assert "CLIENT_ID" in failure_text("teams_unauthorized: the connector refused", "en")
    assert (
        failure_text("teams_http_409 (Conflict)", "nb") == "Teams svarte: teams_http_409 (Conflict)"
    )


def test_a_token_callable_and_an_environment_secret_do_not_mix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.teams.sdk import make_teams_app
    from tests.teams.conftest import teams_settings

    monkeypatch.setenv("CLIENT_SECRET", "from-the-environment")
    with pytest.raises(ValueError, match="CLIENT_SECRET"):
        make_teams_app(teams_settings(), token=lambda scope, tenant: None)


def test_missing_credentials_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import Settings
    from bot.teams.sdk import make_teams_app
    from tests.teams.conftest import teams_settings

    for name in ("CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="CLIENT_ID"):
        make_teams_app(Settings(_env_file=None))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="CLIENT_SECRET is not set"):
        make_teams_app(teams_settings())


def test_app_is_configured_safely(
    monkeypatch: pytest.MonkeyPatch, fake_teams: FakeTeamsConnector
) -> None:
    from bot.teams.sdk import HTTP_TIMEOUT_SECONDS, make_teams_app
    from tests.teams.conftest import teams_settings

    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    app = make_teams_app(
        teams_settings(),
        token=fake_teams.token_provider,
        openid_metadata_url=fake_teams.openid_metadata_url,
    )
    assert app.options.dangerously_allow_unauthenticated_requests is False
    assert app.cloud.openid_metadata_url == fake_teams.openid_metadata_url
    assert app.cloud.token_issuer == "https://api.botframework.com"
    assert app.http_client.http.timeout.read == HTTP_TIMEOUT_SECONDS
    assert app.api.service_url == "https://smba.trafficmanager.net/teams"
    assert app.id == DEFAULT_APP_ID


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        TimeoutError("loop.run timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("closed"),
    ],
)
def test_timeouts_and_connection_trouble_are_temporary(error: Exception) -> None:
    assert isinstance(translate_error(error), TemporaryFailure)


def test_a_request_timeout_is_temporary_and_403_outside_create_is_not_not_installed() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/v3/conversations/a:1/activities")
    for status, expected in [(408, TemporaryFailure), (403, PermanentFailure)]:
        response = httpx.Response(status, request=request)
        failure = translate_error(httpx.HTTPStatusError("x", request=request, response=response))
        assert isinstance(failure, expected)
        assert failure.reason != NOT_INSTALLED
