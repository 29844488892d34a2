"""httpx's line per request stays out of the log, whatever the Teams SDK does to its level."""

from __future__ import annotations

import asyncio
import logging

import pytest
from microsoft_teams.common.http.client import Client

from bot.messages import Message, MessageKind
from bot.teams.http_logs import HTTPX, quiet_http_requests
from bot.transports.base import Recipient
from bot.transports.teams import TeamsTransport
from tests.fakes.teams_connector import DEFAULT_TENANT, FakeTeamsConnector

NOTICE = Message(kind=MessageKind.information, locale="en", headline="The survey opens", body="")


def test_a_card_sent_at_info_leaves_no_httpx_line_but_warnings_still_show(
    teams_transport: TeamsTransport,
    fake_teams: FakeTeamsConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # as `arkbot serve` logs
    kari = Recipient(
        person_id=7,
        email="kari@example.org",
        name="Kari",
        locale="en",
        teams_aad_object_id="aad-kari",
        teams_tenant_id=DEFAULT_TENANT,
    )

    teams_transport.send(kari, NOTICE)
    logging.getLogger(HTTPX).warning("connection pool is full")

    assert len(fake_teams.activities) == 1
    assert [r.getMessage() for r in caplog.records if r.name == HTTPX] == [
        "connection pool is full"
    ]


def test_the_sdk_resetting_httpx_to_its_level_clears_no_logger_caches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quiet_http_requests()
    quiet_http_requests()  # idempotent: one filter
    httpx_logger = logging.getLogger(HTTPX)
    assert len(httpx_logger.filters) == 1
    cleared: list[int] = []
    monkeypatch.setattr(logging.Logger.manager, "_clear_cache", lambda: cleared.append(1))

    client = Client()  # the SDK sets httpx's level here, as it does thrice per activity
    asyncio.run(client.http.aclose())
    assert cleared == []

    httpx_logger.setLevel(logging.DEBUG)  # a real change still takes effect
    assert httpx_logger.level == logging.DEBUG
    assert cleared == [1]
    httpx_logger.setLevel("NOTSET")
    assert httpx_logger.level == logging.NOTSET
