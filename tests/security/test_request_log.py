"""Refused and unauthenticated requests leave one short line in the log, never their body."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy.engine import Engine

from bot.slack.request_log import BoltLogGuard, RefusalLog, refusal_reason
from bot.slack.server import make_server
from bot.transports.slack import slack_client
from tests.engine.harness import oslo
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.signing import SignedClient, block_actions_payload, stale_timestamp
from tests.slack_app.world import PULSE, USERS, choice, slack_world

SECRET_VALUE = "a-value-only-the-body-holds"


def _all_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused a Slack request" in r.getMessage()]


def _click(user: str = "leader_a") -> dict[str, object]:
    return block_actions_payload(action_id="task_done", value=SECRET_VALUE, user_id=USERS[user])


def test_a_forged_request_is_one_line_without_its_body(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with slack_world(engine) as world:
        caplog.clear()
        answer = world.client.interactive(_click(), signature="v0=" + "0" * 64)
        assert answer.status == 401
        stale = world.client.interactive(_click(), timestamp=stale_timestamp(6 * 60))
        assert stale.status == 401
        unsigned = world.client.post(
            "/slack/events", "payload=x", "application/x-www-form-urlencoded", signature=""
        )
        assert unsigned.status == 401
    text = _all_text(caplog)
    assert SECRET_VALUE not in text
    assert USERS["leader_a"] not in text
    assert _refusals(caplog) == [
        "refused a Slack request (bad_signature): HTTP 401",
        "refused a Slack request (stale_timestamp): HTTP 401",
        "refused a Slack request (unsigned): HTTP 401",
    ]


def test_unauthenticated_callers_cannot_write_lines(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with slack_world(engine) as world:
        caplog.clear()
        forged = "payload=x\n2026-01-01 INFO arkbot forged line\r\nmore"
        world.client.post(
            "/slack/events", forged, "application/x-www-form-urlencoded", signature="v0=1"
        )
        world.client.post(
            "/slack/events", b"\xff\xfe\nforged", "text/plain", timestamp=0, signature="v0=1"
        )
    assert "forged" not in _all_text(caplog)
    assert all("\n" not in r.getMessage() and "\r" not in r.getMessage() for r in caplog.records)


def test_a_flood_of_forged_requests_is_rate_limited(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with slack_world(engine) as world:
        caplog.clear()
        for _ in range(25):
            assert world.client.interactive(_click(), signature="v0=bad").status == 401
    assert len(_refusals(caplog)) == 10


def test_the_rate_limit_reports_what_it_held_back() -> None:
    now = [1000.0]
    logger = logging.getLogger("tests.refusals")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
        refusals = RefusalLog(per_minute=3, clock=lambda: now[0], logger=logger)
        for _ in range(8):
            refusals.refused("bad_signature", 401)
        refusals.refused("stale_timestamp", 401)
        assert len(records) == 4
        now[0] += 60
        refusals.refused("bad_signature", 401)
    finally:
        logger.removeHandler(handler)
    assert records[-2] == "5 more Slack requests refused (bad_signature) were not logged one by one"
    assert records[-1] == "refused a Slack request (bad_signature): HTTP 401"


def test_signature_reasons() -> None:
    body = b"payload=%7B%7D"
    assert refusal_reason("s", body, None, None, 100.0) == "unsigned"
    assert refusal_reason("s", body, "abc", "v0=1", 100.0) == "bad_timestamp"
    assert refusal_reason("s", body, "1", "v0=1", 1000.0) == "stale_timestamp"
    assert refusal_reason("s", body, "1000", "v0=1", 1000.0) == "bad_signature"
    import hashlib
    import hmac

    good = "v0=" + hmac.new(b"s", b"v0:1000:" + body, hashlib.sha256).hexdigest()
    assert refusal_reason("s", body, "1000", good, 1000.0) is None


def test_bolt_records_lose_bodies_and_line_breaks() -> None:
    guard = BoltLogGuard()

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("slack_bolt.App", logging.INFO, __file__, 1, message, None, None)

    assert not guard.filter(record("Request body: {'user': {'id': 'U1'}}"))
    assert not guard.filter(record("Invalid request signature detected (body: x)"))
    kept = record("Unhandled request ({'type': 'block_actions'})\n---\n[Suggestion] …")
    assert guard.filter(kept)
    assert kept.getMessage() == "Unhandled request ({'type': 'block_actions'})"


def test_a_refused_pulse_answer_leaves_no_person_in_the_log(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with slack_world(engine, extra=PULSE) as world:
        world.deliver()
        pulses = world.deliveries(nudge="pulse")
        employee = next(
            p for p in pulses if p.channel_id == world.api.dm_channel(USERS["employee"])
        )
        world.click("employee", "pulse_answer", str(employee.id), employee)
        modal = world.opened_views()[-1]
        world.at(oslo(date(2024, 5, 2), 10))  # the round closed on 28 April
        caplog.clear()
        world.submit("employee", modal, {"q:safe": choice("4"), "q:know": choice("unsure")})
    text = _all_text(caplog)
    assert USERS["employee"] not in text
    assert "ansatt1@example.org" not in text
    assert "unsure" not in text


def test_a_listener_error_does_not_log_the_request_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error handler in the style of Bolt's documentation logs the whole body at INFO (with
    the user's id); the guard drops that line and keeps the error."""
    caplog.set_level(logging.DEBUG)  # before the app: Bolt copies the root's level
    api = FakeSlackAPI().start()
    app = App(
        signing_secret="s3cret",
        client=slack_client(api.token, api.url),
        token_verification_enabled=False,
        process_before_response=True,
    )

    @app.action("task_done")
    def fails(ack: Any) -> None:
        ack()
        raise ValueError("the listener failed")

    @app.error
    def documented_style(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
        logger.exception(f"Error: {error}")
        logger.info(f"Request body: {body}")

    server = make_server(app)
    server.start()
    try:
        SignedClient(server.url, "s3cret").interactive(_click("employee"))
    finally:
        server.close()
        api.stop()
    text = _all_text(caplog)
    assert "the listener failed" in text  # the error itself is logged
    assert USERS["employee"] not in text
    assert SECRET_VALUE not in text
