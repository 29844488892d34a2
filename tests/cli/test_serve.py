"""`arkbot serve` as a real process: Slack and Teams on one port beside /healthz, each on
because its credentials are set; Teams requests validated by the real SDK."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schedules.clock import FrozenClock
from storage.db import make_engine, upgrade
from storage.directory import import_org
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.teams_connector import DEFAULT_APP_ID, DEFAULT_TENANT, FakeTeamsConnector
from tests.slack.signing import SignedClient, slash_command_form
from tests.slack_app.world import ORG
from tests.teams.signing import sign_activity_token
from tests.teams_app.world import AAD, _teams_ids

SECRET = "serve-test-signing-secret"
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, ConnectionError):
        return 0  # not listening yet


def _post(url: str, body: dict[str, Any], token: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, FakeTeamsConnector]]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    upgrade(engine)
    import_org(engine, ORG, clock=FrozenClock(datetime(2024, 4, 22, 7, tzinfo=UTC)))
    _teams_ids(engine)
    engine.dispose()
    port = _free_port()
    with FakeSlackAPI() as slack, FakeTeamsConnector() as teams:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "ARKBOT_", "CLIENT_", "TENANT_", "TEAMS_"))
        }
        env.update(
            DATABASE_URL=url,
            PORT=str(port),
            SLACK_BOT_TOKEN=slack.token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            CLIENT_ID=DEFAULT_APP_ID,
            CLIENT_SECRET="serve-test-secret",
            TENANT_ID=DEFAULT_TENANT,
            TEAMS_SERVICE_URL=teams.url,
            TEAMS_OPENID_METADATA_URL=teams.openid_metadata_url,
            ARKBOT_TRANSPORT="console",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=tmp_path,  # no .env of the developer's
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while _get(f"{base}/healthz") != 200:  # bounded wait for the server to listen
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                process.kill()
                pytest.fail(f"arkbot serve did not come up:\n{output}")
            time.sleep(0.05)
        try:
            yield base, teams
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.stdout:
                process.stdout.close()


def test_serve_answers_slack_and_teams_on_one_port(
    served: tuple[str, FakeTeamsConnector],
) -> None:
    base, teams = served
    slack = SignedClient(base, SECRET)
    assert slack.post_form("/slack/events", slash_command_form("help")).status == 200
    invoke = {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": "act-1",
        "serviceUrl": teams.url,
        "channelId": "msteams",
        "from": {"id": f"29:{AAD['leader_a']}", "aadObjectId": AAD["leader_a"]},
        "recipient": {"id": f"28:{DEFAULT_APP_ID}"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": DEFAULT_TENANT},
        "channelData": {"tenant": {"id": DEFAULT_TENANT}},
        "value": {"action": {"type": "Action.Execute", "data": {"action": "task_done"}}},
    }
    token = sign_activity_token(app_id=DEFAULT_APP_ID, service_url=teams.url)
    status, body = _post(f"{base}/api/messages", invoke, token)
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"  # no such message
    assert _post(f"{base}/api/messages", invoke, None)[0] == 401
    assert _get(f"{base}/nothing-here") == 404
