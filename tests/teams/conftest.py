"""A real Teams SDK app and transport pointed at the fake connector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.teams.loop import EventLoopThread
from bot.teams.sdk import make_teams_app
from bot.transports.teams import TeamsTransport
from tests.fakes.teams_connector import DEFAULT_APP_ID, DEFAULT_TENANT, FakeTeamsConnector


def teams_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "CLIENT_ID": DEFAULT_APP_ID,
        "TENANT_ID": DEFAULT_TENANT,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def teams_loop() -> Iterator[EventLoopThread]:
    loop = EventLoopThread(name="test-teams")
    yield loop
    loop.close()


@pytest.fixture
def teams_transport(
    fake_teams: FakeTeamsConnector, teams_loop: EventLoopThread
) -> Iterator[TeamsTransport]:
    app = make_teams_app(
        teams_settings(),
        token=fake_teams.token_provider,
        service_url=fake_teams.url,
        openid_metadata_url=fake_teams.openid_metadata_url,
    )
    transport = TeamsTransport(
        app, loop=teams_loop, tenant_id=DEFAULT_TENANT, conversation_rate=None
    )
    yield transport
    transport.close()
