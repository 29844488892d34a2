"""Every request to the Teams endpoint carries a Bot Framework token that the real SDK
validates (signature against the published keys, issuer, audience, expiry, serviceUrl);
anything else is answered 401 before a handler runs, and changes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.teams.validated_tokens import ValidatedTokens
from tests.fakes.teams_connector import DEFAULT_APP_ID
from tests.teams.signing import SigningKey, sign_activity_token
from tests.teams_app.world import TeamsWorld, teams_world


def _snapshot(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(map(repr, connection.execute(select(table)).all()))
            for table in SQLModel.metadata.sorted_tables
        }


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _tokens(world: TeamsWorld) -> dict[str, str | None]:
    url = world.fake.url
    other = SigningKey.generate("arkbot-test-key")  # same kid, another key: a forgery
    return {
        "forged": sign_activity_token(app_id=DEFAULT_APP_ID, service_url=url, key=other),
        "unknown kid": sign_activity_token(app_id=DEFAULT_APP_ID, service_url=url, kid="nope"),
        "expired": sign_activity_token(app_id=DEFAULT_APP_ID, service_url=url, expires_in=-600),
        "wrong audience": sign_activity_token(app_id="another-app", service_url=url),
        "wrong issuer": sign_activity_token(
            app_id=DEFAULT_APP_ID, service_url=url, issuer="https://evil.example"
        ),
        "other serviceUrl": sign_activity_token(
            app_id=DEFAULT_APP_ID, service_url="https://evil.example/"
        ),
        "alg none": _unsigned({"aud": DEFAULT_APP_ID, "iss": "https://api.botframework.com"}),
        "garbage": "not-a-jwt",
        "empty": "",
    }


@pytest.mark.parametrize(
    "case",
    [
        "forged",
        "unknown kid",
        "expired",
        "wrong audience",
        "wrong issuer",
        "other serviceUrl",
        "alg none",
        "garbage",
        "empty",
        "missing",
    ],
)
def test_bad_tokens_are_refused_and_change_nothing(engine: Engine, case: str) -> None:
    with teams_world(engine) as world:
        world.deliver()
        [delivery] = world.deliveries(unit_id="IFA", nudge="task_open")
        before = _snapshot(engine)
        sent_before = len(world.fake.activities)
        click = world.activity(
            "leader_a",
            "invoke",
            name="adaptiveCard/action",
            value={
                "action": {
                    "type": "Action.Execute",
                    "verb": "task_snooze",
                    "data": {"action": "task_snooze", "delivery_id": delivery.id},
                }
            },
        )
        answer = (
            world.post(click, signed=False)
            if case == "missing"
            else world.post(click, token=_tokens(world)[case] or " ")
        )
        assert answer.status == 401
        assert _snapshot(engine) == before
        assert len(world.fake.activities) == sent_before


def test_a_valid_token_from_another_tenant_is_refused_by_the_core(engine: Engine) -> None:
    with teams_world(engine) as world:
        world.deliver()
        [delivery] = world.deliveries(unit_id="IFA", nudge="task_open")
        before = _snapshot(engine)
        activity = world.activity(
            "leader_a",
            "invoke",
            name="adaptiveCard/action",
            value={
                "action": {
                    "type": "Action.Execute",
                    "data": {"action": "task_snooze", "delivery_id": delivery.id},
                }
            },
        )
        activity["conversation"]["tenantId"] = "99999999-0000-0000-0000-000000000000"
        activity["channelData"] = {"tenant": {"id": "99999999-0000-0000-0000-000000000000"}}
        answer = world.post(activity)
        assert answer.status == 200
        assert answer.body["type"] == "application/vnd.microsoft.activity.message"
        assert _snapshot(engine) == before


def test_an_unreadable_body_is_answered_400(engine: Engine) -> None:
    import urllib.error
    import urllib.request

    with teams_world(engine) as world:
        request = urllib.request.Request(
            f"{world.server.url}/api/messages", data=b"{nope", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 400


def test_a_validated_token_is_remembered_only_for_itself(engine: Engine) -> None:
    """The connector reuses one token for an hour: it is checked in full once; a forged or
    replayed-elsewhere token next to it still goes through the full check and is refused."""
    with teams_world(engine) as world:
        world.deliver()
        [delivery] = world.deliveries(unit_id="IFA", nudge="task_open")
        cache = world.endpoint.app.server._token_validator
        assert isinstance(cache, ValidatedTokens)
        token = sign_activity_token(app_id=DEFAULT_APP_ID, service_url=world.fake.url)
        data = {"action": "task_done", "delivery_id": delivery.id}
        value = {"action": {"type": "Action.Execute", "verb": "task_done", "data": data}}
        checks = cache.full_checks
        for _ in range(3):
            click = world.activity("leader_a", "invoke", name="adaptiveCard/action", value=value)
            assert world.post(click, token=token).status == 200
        assert cache.full_checks == checks + 1
        before = _snapshot(engine)
        moved = world.activity("leader_a", "invoke", name="adaptiveCard/action", value=value)
        moved["serviceUrl"] = "https://evil.example/"
        assert world.post(moved, token=token).status == 401
        forged = world.activity("leader_a", "invoke", name="adaptiveCard/action", value=value)
        assert world.post(forged, token=_tokens(world)["forged"]).status == 401
        assert _snapshot(engine) == before
