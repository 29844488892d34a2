"""A sender killed mid fan-out (SIGKILL) costs at most `concurrency` repeats, none with the check.

A real `arkbot run-due` process sends through the real slack_sdk client to the fake Slack API.
The fake lets 100 messages through and then holds every further chat.postMessage, as requests
on the wire are when a process dies; once all eight workers are stuck there, the process is
killed and the held messages arrive. A second `run-due`, after the lease, finishes the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from benchmarks.fanout import PLAN, SEND_AT
from benchmarks.orgs import slack_users, university_csv
from schedules.clock import FrozenClock
from storage.db import make_engine
from storage.directory import import_org
from tests.fakes.slack_api import FakeSlackAPI

PEOPLE = 300
CONCURRENCY = 8
LEASE = 120
BEFORE_KILL = 100


def _run_due(env: dict[str, str], cwd: Path, at: str) -> subprocess.Popen[bytes]:
    code = "from bot.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "run-due", "--now", at],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize("history_check", [False, True], ids=["no-check", "history-check"])
def test_a_killed_sender_repeats_at_most_its_concurrency(
    db_url: str, tmp_path: Path, history_check: bool
) -> None:
    csv = university_csv(PEOPLE)
    users = slack_users(csv)
    engine = make_engine(db_url)
    import_org(engine, csv, clock=FrozenClock(SEND_AT), actor="test")
    engine.dispose()
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    with FakeSlackAPI(users=users) as fake:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "DATABASE_URL": db_url,
            "ARKBOT_PLAN": str(plan),
            "ARKBOT_TRANSPORT": "slack",
            "SLACK_BOT_TOKEN": fake.token,
            "SLACK_API_URL": fake.url,
            "ARKBOT_SENDER_CONCURRENCY": str(CONCURRENCY),
            "ARKBOT_LEASE_SECONDS": str(LEASE),
            "ARKBOT_RATE_PER_MINUTE": "1000000",
            "ARKBOT_RATE_BURST": "100000",
            "ARKBOT_SLACK_HISTORY_CHECK": "true" if history_check else "false",
        }
        fake.hold("chat.postMessage", after=BEFORE_KILL)
        first = _run_due(env, tmp_path, SEND_AT.isoformat())
        try:
            stuck = fake.wait_until(
                lambda api: (
                    api.count("chat.postMessage") >= BEFORE_KILL + CONCURRENCY
                    or first.poll() is not None
                ),
                timeout=60,
            )
            assert stuck
            assert first.poll() is None, first.communicate()[0].decode()
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        fake.release()  # the requests that were on the wire arrive after all
        assert fake.wait_until(lambda api: len(api.messages) == BEFORE_KILL + CONCURRENCY), len(
            fake.messages
        )

        later = (SEND_AT + timedelta(seconds=LEASE + 1)).isoformat()
        second = _run_due(env, tmp_path, later)
        output = second.communicate(timeout=120)[0].decode()
        assert second.returncode == 0, output
        received = Counter(message.user_id for message in fake.messages)

    missing = set(users.values()) - set(received)
    assert not missing, f"{len(missing)} got nothing; second run said: {output}"
    repeated = sum(count - 1 for count in received.values())
    if history_check:
        assert repeated == 0, output
    else:
        assert 0 < repeated <= CONCURRENCY, output
