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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.workers import MAX_AUTO_PROCESSES, process_count
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
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0  # not listening yet, or bound but its web processes still starting


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


@dataclass
class Served:
    base: str
    teams: FakeTeamsConnector
    slack: FakeSlackAPI
    process: subprocess.Popen[bytes]


@pytest.fixture(params=[1, 2], ids=["one-process", "two-web-processes"])
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
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
            ARKBOT_WEB_PROCESSES=str(request.param),
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
            yield Served(base, teams, slack, process)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.stdout:
                process.stdout.close()


def test_serve_answers_slack_and_teams_on_one_port(served: Served) -> None:
    base, teams = served.base, served.teams
    slack = SignedClient(base, SECRET)
    command = slash_command_form("help")
    command["response_url"] = f"{served.slack.url}response.help"  # lands on the fake
    assert slack.post_form("/slack/events", command).status == 200
    # The answer is worked out after the ack, and still arrives.
    assert served.slack.wait_until(lambda fake: bool(fake.calls_to("response.help")), 30)
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


def test_how_many_web_processes() -> None:
    assert process_count(1, "sqlite:///x.db") == 1
    assert process_count(3, "postgresql://db/arkbot") == 3
    assert 1 <= process_count(0, "sqlite:///x.db") <= MAX_AUTO_PROCESSES
    assert process_count(0, "sqlite://") == 1  # an in-memory database lives in one process
    assert process_count(4, "sqlite:///:memory:") == 1


def _web_processes(parent: int) -> set[int]:
    """The web processes `arkbot serve` started (children running multiprocessing's spawn)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if int(stat[1]) == parent and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def _until(condition: Callable[[], bool], timeout: float = START_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # polling another process's state, bounded by the deadline
    return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("served", [2], indirect=True)
def test_a_killed_web_process_is_replaced_and_all_stop_with_serve(served: Served) -> None:
    workers = _web_processes(served.process.pid)
    assert len(workers) == 2
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)  # as an OOM kill would
    assert _until(lambda: len(_web_processes(served.process.pid) - {victim}) == 2)
    assert _until(lambda: _get(f"{served.base}/healthz") == 200)
    replaced = _web_processes(served.process.pid)
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(timeout=20)
    assert _until(lambda: not any(_alive(pid) for pid in replaced), 20)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("served", [2], indirect=True)
def test_web_processes_stop_when_serve_is_killed_outright(served: Served) -> None:
    workers = _web_processes(served.process.pid)
    assert len(workers) == 2
    served.process.kill()  # kill -9: no chance to stop them
    served.process.wait(timeout=10)
    # Nobody runs the scheduler now: the orphans notice and stop within seconds.
    assert _until(lambda: not any(_alive(pid) for pid in workers), 20)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has stopped; only its parent's wait is missing
