"""Pytest fixtures for the fake Slack Web API and the fake Bot Framework connector (Teams).

Make them available everywhere with one line in ``tests/conftest.py``:

    pytest_plugins = ["tests.fakes.fixtures"]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.teams_connector import FakeTeamsConnector, connector_settings


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackAPI]:
    """A started fake Slack Web API with an empty directory; add people with ``add_user``."""
    with FakeSlackAPI() as api:
        yield api
        assert not api.errors, f"the fake Slack API itself failed: {api.errors!r}"


@pytest.fixture
def fake_slack_client(fake_slack: FakeSlackAPI) -> WebClient:
    """A real WebClient pointed at `fake_slack`, authorised, with no retry handlers."""
    return WebClient(token=fake_slack.token, base_url=fake_slack.url, retry_handlers=[], timeout=5)


@pytest.fixture
def fake_teams() -> Iterator[FakeTeamsConnector]:
    """A started fake Bot Framework connector (also serving /keys for inbound JWTs)."""
    with FakeTeamsConnector() as connector:
        yield connector
        assert not connector.errors, f"the fake connector itself failed: {connector.errors!r}"


@pytest.fixture
def fake_teams_app(fake_teams: FakeTeamsConnector) -> Any:
    """A real Teams SDK `App` (not initialised) pointed at `fake_teams`: outbound calls go to
    the fake with a token it accepts; inbound tokens are checked against its ``/keys``
    (sign them with ``tests.teams.signing.sign_activity_token``)."""
    from bot.teams.sdk import make_teams_app

    return make_teams_app(
        connector_settings(),
        token=fake_teams.token_provider,
        service_url=fake_teams.url,
        openid_metadata_url=fake_teams.openid_metadata_url,
    )
