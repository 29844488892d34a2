"""The fake Bot Framework connector on its own: routes, auth, pacing windows, keys."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.teams_connector import DEFAULT_TENANT, FakeTeamsConnector


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def client(fake: FakeTeamsConnector) -> httpx.Client:
    return httpx.Client(
        base_url=fake.url, headers={"Authorization": f"Bearer {fake.token_provider()}"}
    )


def create(http: httpx.Client, member: str) -> httpx.Response:
    return http.post(
        "/v3/conversations", json={"members": [{"id": member}], "tenantId": DEFAULT_TENANT}
    )


def test_routes_and_auth(fake_teams: FakeTeamsConnector) -> None:
    fake_teams.add_member("aad-kari", name="Kari", email="kari@example.org")
    with client(fake_teams) as http:
        conversation = create(http, "aad-kari").json()["id"]
        assert create(http, "aad-kari").json()["id"] == conversation  # the same 1:1 chat
        sent = http.post(f"/v3/conversations/{conversation}/activities", json={"type": "message"})
        activity = sent.json()["id"]
        put = http.put(
            f"/v3/conversations/{conversation}/activities/{activity}", json={"text": "x"}
        )
        assert put.status_code == 200
        member = http.get(f"/v3/conversations/{conversation}/members/aad-kari").json()
        assert member["email"] == "kari@example.org"
        assert http.post("/v3/conversations/a:nope/activities", json={}).status_code == 404
    assert httpx.post(f"{fake_teams.url}/v3/conversations", json={}).status_code == 401
    assert httpx.get(f"{fake_teams.url}/keys").json()["keys"][0]["kty"] == "RSA"
    assert fake_teams.activities_by_conversation() == {conversation: 1}
    assert fake_teams.current(conversation, activity).body == {"text": "x"}  # type: ignore[union-attr]


def test_tenant_and_conversation_windows() -> None:
    clock = Clock()
    with (
        FakeTeamsConnector(
            tenant_rate_per_second=5, conversation_rate_per_second=2, time_fn=clock
        ) as fake,
        client(fake) as http,
    ):
        ids = [create(http, f"aad-{n}").json()["id"] for n in range(4)]
        assert create(http, "aad-5").status_code == 201  # the 5th request this second
        limited = create(http, "aad-6")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
        clock.now += 1.0
        statuses: list[Any] = [
            http.post(f"/v3/conversations/{ids[0]}/activities", json={}).status_code
            for _ in range(3)
        ]
        assert statuses == [201, 201, 429]
        assert fake.rate_limited == 2


def test_scripted_failures(fake_teams: FakeTeamsConnector) -> None:
    fake_teams.fail_next("create", status=503, times=2)
    with client(fake_teams) as http:
        assert create(http, "aad-x").status_code == 503
        assert create(http, "aad-x").status_code == 503
        assert create(http, "aad-x").status_code == 201
    with pytest.raises(ValueError, match="unknown kind"):
        fake_teams.fail_next("everything")
