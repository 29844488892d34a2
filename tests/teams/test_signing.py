"""The fake connector's keys and `sign_activity_token` against the SDK's own token checks.

The app's messaging route is taken from `NoServerAdapter` and called directly, as an HTTP
adapter would: a valid token reaches the handler, every kind of bad token gets 401.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.teams.loop import EventLoopThread
from bot.teams.sdk import NoServerAdapter, make_teams_app
from tests.fakes.teams_connector import DEFAULT_APP_ID, DEFAULT_TENANT, FakeTeamsConnector
from tests.teams.conftest import teams_settings
from tests.teams.signing import SigningKey, sign_activity_token


def activity(service_url: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "act-1",
        "text": "hei",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:kari", "aadObjectId": "aad-kari", "name": "Kari"},
        "recipient": {"id": f"28:{DEFAULT_APP_ID}", "name": "arkbot"},
        "conversation": {
            "id": "a:1-kari",
            "conversationType": "personal",
            "tenantId": DEFAULT_TENANT,
        },
        "channelData": {"tenant": {"id": DEFAULT_TENANT}},
    }


@pytest.fixture
def messages(fake_teams: FakeTeamsConnector, teams_loop: EventLoopThread) -> Any:
    adapter = NoServerAdapter()
    app = make_teams_app(
        teams_settings(),
        token=fake_teams.token_provider,
        service_url=fake_teams.url,
        openid_metadata_url=fake_teams.openid_metadata_url,
        http_server_adapter=adapter,
    )
    seen: list[str] = []

    @app.on_message
    async def on_message(ctx: Any) -> None:
        seen.append(ctx.activity.text)

    teams_loop.run(app.initialize())
    handler = adapter.routes[("POST", "/api/messages")]

    def post(token: str | None) -> int:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        request = {"body": activity(fake_teams.url), "headers": headers}
        response = teams_loop.run(handler(request), timeout=10)
        return int(response["status"])

    post.seen = seen  # type: ignore[attr-defined]
    return post


def test_a_signed_token_is_accepted(messages: Any, fake_teams: FakeTeamsConnector) -> None:
    token = sign_activity_token(app_id=DEFAULT_APP_ID, service_url=fake_teams.url)
    assert messages(token) == 200
    assert messages.seen == ["hei"]


@pytest.mark.parametrize(
    "make",
    [
        lambda url: sign_activity_token(app_id=DEFAULT_APP_ID, service_url=url, expires_in=-600),
        lambda url: sign_activity_token(app_id="someone-else", service_url=url),
        lambda url: sign_activity_token(
            app_id=DEFAULT_APP_ID, service_url=url, issuer="https://evil.example"
        ),
        lambda url: sign_activity_token(app_id=DEFAULT_APP_ID, service_url="https://other"),
        lambda url: sign_activity_token(app_id=DEFAULT_APP_ID, service_url=url, kid="unknown"),
        lambda url: sign_activity_token(
            app_id=DEFAULT_APP_ID, service_url=url, key=SigningKey.generate("arkbot-test-key")
        ),
        lambda url: "garbage",
        lambda url: None,
    ],
    ids=["expired", "audience", "issuer", "service-url", "kid", "forged", "garbage", "missing"],
)
def test_bad_tokens_are_refused(messages: Any, fake_teams: FakeTeamsConnector, make: Any) -> None:
    assert messages(make(fake_teams.url)) == 401
    assert messages.seen == []
