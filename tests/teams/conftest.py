"""A real Teams SDK app and transport pointed at the fake connector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.teams.loop import EventLoopThread
from bot.teams.sdk import make_teams_app
from bot.transports.teams import TeamsTransport
from tests.fakes.teams_connector import DEFAULT_TENANT, FakeTeamsConnector, connector_settings


def teams_settings(**overrides: object) -> Settings:
    settings: Settings = connector_settings(**overrides)
    return settings


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
