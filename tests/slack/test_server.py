"""The HTTP server around a real Bolt app: signed requests over real HTTP, real verification.

The Bolt app is built here (not the product's app) so that these tests are about serving:
routing, signature and timestamp checks, acknowledgement, shutdown. Its Web API client points
at the local fake Slack API, so Bolt's start-up auth.test never leaves the machine.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack.server import HttpServer, make_server, serve_socket_mode
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.signing import (
    BOT_USER_ID,
    SignedClient,
    block_actions_payload,
    load_payload,
    stale_timestamp,
    view_submission_payload,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class Harness:
    app: App
    server: HttpServer
    client: SignedClient
    clicks: list[tuple[str, str, str | None]] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    homes: list[str] = field(default_factory=list)
    home_opened: threading.Event = field(default_factory=threading.Event)


def _bolt_app(fake: FakeSlackAPI) -> App:
    client = WebClient(token=fake.token, base_url=fake.url, retry_handlers=[], timeout=5)
    return App(signing_secret=SECRET, client=client)


def _listen(harness: Harness) -> None:
    app = harness.app

    @app.action("ark-done")
    def done(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        harness.clicks.append((body["user"]["id"], action["action_id"], action.get("value")))
        ack()

    @app.command("/ark")
    def ark(ack: Ack, command: dict[str, Any]) -> None:
        harness.commands.append((command["user_id"], command["text"]))
        ack(f"/ark {command['text']}: noted")

    @app.view("ark-done-modal")
    def submitted(ack: Ack, view: dict[str, Any]) -> None:
        harness.submissions.append(view)
        ack()

    @app.event("app_home_opened")
    def home(event: dict[str, Any]) -> None:
        harness.homes.append(event["user"])
        harness.home_opened.set()


@pytest.fixture
def serve(fake_slack: FakeSlackAPI) -> Iterator[Callable[..., Harness]]:
    """Start a server around a fresh Bolt app; every server started is closed afterwards."""
    started: list[tuple[HttpServer, threading.Thread]] = []

    def start(health: Callable[[], bool] | None = None) -> Harness:
        app = _bolt_app(fake_slack)
        server = make_server(app, health=health)
        started.append((server, server.start()))
        harness = Harness(app, server, SignedClient(server.url, SECRET))
        _listen(harness)
        return harness

    yield start
    for server, thread in started:
        server.close()
        thread.join(timeout=5)
        assert not thread.is_alive(), "the server thread did not stop"


@pytest.fixture
def harness(serve: Callable[..., Harness]) -> Harness:
    return serve()


# -- health and routing ---------------------------------------------------------------------


def test_healthz_answers_ok(harness: Harness) -> None:
    status, body, headers = harness.client.get("/healthz")
    assert (status, json.loads(body)) == (200, {"ok": True})
    assert headers["content-type"] == "application/json"


def test_healthz_reports_a_stopped_scheduler_and_a_failing_check(
    serve: Callable[..., Harness],
) -> None:
    def broken() -> bool:
        raise RuntimeError("scheduler gone")

    assert serve(health=lambda: False).client.get("/healthz")[:2] == (503, '{"ok": false}')
    assert serve(health=broken).client.get("/healthz")[:2] == (503, '{"ok": false}')
    assert serve(health=lambda: True).client.get("/healthz")[:2] == (200, '{"ok": true}')


def test_get_on_the_events_endpoint_is_not_allowed(harness: Harness) -> None:
    status, _, headers = harness.client.get("/slack/events")
    assert status == 405
    assert headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/", "/slack", "/slack/events/extra", "/slack/install"])
def test_unknown_paths_are_404_for_get_and_signed_post(harness: Harness, path: str) -> None:
    assert harness.client.get(path).status == 404
    signed = harness.client.post_form(
        path,
        {"payload": json.dumps(block_actions_payload(action_id="ark-done", value="delivery:1"))},
    )
    assert signed.status == 404
    assert harness.clicks == []


def test_bolt_checked_its_token_against_the_fake_not_slack(
    harness: Harness, fake_slack: FakeSlackAPI
) -> None:
    assert [call.method for call in fake_slack.calls] == ["auth.test"]


# -- signed requests reach the listeners ------------------------------------------------------


def test_a_signed_click_reaches_the_listener(harness: Harness) -> None:
    response = harness.client.block_actions(
        action_id="ark-done", value="delivery:7", user_id="U0KARI0001"
    )
    assert response.status == 200
    assert harness.clicks == [("U0KARI0001", "ark-done", "delivery:7")]


def test_a_click_on_a_button_nobody_handles_is_404_and_harmless(harness: Harness) -> None:
    response = harness.client.block_actions(action_id="ark-unknown", value="x")
    assert response.status == 404
    assert harness.clicks == []


def test_a_slash_command_is_acknowledged_within_the_request(harness: Harness) -> None:
    status, body, headers = harness.client.slash_command("status", user_id="U0KARI0001")
    assert (status, body) == (200, "/ark status: noted")
    assert headers["content-type"].startswith("text/plain")
    assert harness.commands == [("U0KARI0001", "status")]


def test_a_view_submission_reaches_the_view_listener(harness: Harness) -> None:
    values = {"archive-ref": {"value": {"type": "plain_text_input", "value": "2023/4711"}}}
    response = harness.client.view_submission(
        callback_id="ark-done-modal", values=values, private_metadata='{"delivery": 7}'
    )
    assert response.status == 200
    [view] = harness.submissions
    assert view["state"]["values"] == values
    assert view["private_metadata"] == '{"delivery": 7}'


def test_app_home_opened_is_acknowledged_and_dispatched(harness: Harness) -> None:
    response = harness.client.app_home_opened("U0KARI0001")
    assert response.status == 200
    assert harness.home_opened.wait(timeout=5)  # events run after the acknowledgement
    assert harness.homes == ["U0KARI0001"]


def test_the_events_url_verification_challenge_is_answered(harness: Harness) -> None:
    challenge = {
        "token": "x",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    status, body, _ = harness.client.post_json("/slack/events", challenge)
    assert status == 200
    assert challenge["challenge"] in body


def test_fifty_concurrent_clicks_are_all_acknowledged(harness: Harness) -> None:
    def click(n: int) -> int:
        return harness.client.block_actions(action_id="ark-done", value=f"delivery:{n}").status

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(click, range(50)))
    assert statuses == [200] * 50
    assert sorted(value or "" for _, _, value in harness.clicks) == sorted(
        f"delivery:{n}" for n in range(50)
    )


# -- refused: nothing reaches a listener ------------------------------------------------------


def test_a_forged_signature_is_refused(harness: Harness) -> None:
    response = harness.client.block_actions(
        action_id="ark-done", value="delivery:7", signature="v0=" + "0" * 64
    )
    assert response.status == 401
    assert harness.clicks == []


def test_a_request_signed_with_another_secret_is_refused(harness: Harness) -> None:
    intruder = SignedClient(harness.server.url, "not-the-signing-secret")
    assert intruder.block_actions(action_id="ark-done", value="delivery:7").status == 401
    assert intruder.slash_command("report").status == 401
    assert harness.clicks == []
    assert harness.commands == []


def test_an_unsigned_request_is_refused(harness: Harness) -> None:
    payload = json.dumps(block_actions_payload(action_id="ark-done", value="delivery:7"))
    request = urllib.request.Request(
        harness.server.url + "/slack/events",
        data=f"payload={payload}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert harness.clicks == []


def test_a_stale_timestamp_is_refused_even_when_correctly_signed(harness: Harness) -> None:
    six_minutes_old = stale_timestamp(6 * 60)
    response = harness.client.block_actions(
        action_id="ark-done", value="delivery:7", timestamp=six_minutes_old
    )
    assert response.status == 401
    assert harness.client.slash_command("status", timestamp=six_minutes_old).status == 401
    assert harness.clicks == []
    assert harness.commands == []


def test_a_timestamp_four_minutes_old_is_still_accepted(harness: Harness) -> None:
    response = harness.client.block_actions(
        action_id="ark-done", value="delivery:7", timestamp=int(time.time()) - 4 * 60
    )
    assert response.status == 200
    assert len(harness.clicks) == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    ],
    ids=["not-utf8", "broken-json", "broken-payload", "payload-not-an-object"],
)
def test_a_signed_garbage_body_is_a_400_and_the_server_lives_on(
    harness: Harness, body: bytes, content_type: str
) -> None:
    status, answer, _ = harness.client.post("/slack/events", body, content_type)
    assert status == 400
    assert json.loads(answer) == {"ok": False, "error": "invalid_body"}
    assert harness.clicks == []
    assert harness.client.block_actions(action_id="ark-done", value="after").status == 200


def test_a_signed_body_of_the_wrong_shape_is_a_404(harness: Harness) -> None:
    status, _, _ = harness.client.post_form("/slack/events", {"hello": "world"})
    assert status == 404
    assert harness.clicks == []


# -- lifecycle ------------------------------------------------------------------------------


def test_close_stops_serving_and_is_idempotent(fake_slack: FakeSlackAPI) -> None:
    server = make_server(_bolt_app(fake_slack))
    assert server.port > 0
    thread = server.start()
    assert SignedClient(server.url, SECRET).get("/healthz").status == 200
    server.close()
    server.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.url + "/healthz", timeout=2)


def test_close_before_run_releases_the_port(fake_slack: FakeSlackAPI) -> None:
    server = make_server(_bolt_app(fake_slack))
    server.close()
    server.run()  # returns at once: the server is closed
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.url + "/healthz", timeout=2)


# -- the recorded payloads are what Slack sends ------------------------------------------------


def test_recorded_payloads_parse_with_the_slack_sdk_models() -> None:
    click = load_payload("block_actions")
    assert {"type", "user", "team", "api_app_id", "trigger_id", "container", "channel"} <= set(
        click
    )
    assert click["container"]["message_ts"] == click["message"]["ts"]
    assert [type(b).__name__ for b in Block.parse_all(click["message"]["blocks"])] == [
        "SectionBlock",
        "ActionsBlock",
    ]
    submission = load_payload("view_submission")
    view = submission["view"]
    modal = View(**view)  # the view as Slack returns it, fields and all
    modal.validate_json()
    assert (modal.type, modal.callback_id) == ("modal", "ark-done-modal")
    assert set(view["state"]["values"]) == {block["block_id"] for block in view["blocks"]}
    home = load_payload("app_home_opened")
    assert (home["type"], home["event"]["type"]) == ("event_callback", "app_home_opened")
    assert home["authorizations"][0]["user_id"] == BOT_USER_ID
    command = load_payload("slash_command")
    assert {
        "token",
        "team_id",
        "channel_id",
        "user_id",
        "user_name",
        "command",
        "text",
        "response_url",
        "trigger_id",
        "api_app_id",
    } <= set(command)
    assert all(isinstance(value, str) for value in command.values())  # a form: strings only


def test_built_payloads_carry_the_clicked_button_in_the_message() -> None:
    payload = block_actions_payload(action_id="ark-later", value="delivery:9", block_id="b9")
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "ark-later",
        "b9",
        "delivery:9",
    )
    actions_block = payload["message"]["blocks"][1]
    assert actions_block["block_id"] == "b9"
    assert actions_block["elements"][0]["action_id"] == "ark-later"
    picked = block_actions_payload(
        action_id="ark-date", action={"type": "datepicker", "selected_date": "2023-10-12"}
    )
    assert "value" not in picked["actions"][0]
    assert picked["actions"][0]["selected_date"] == "2023-10-12"
    submitted = view_submission_payload(callback_id="cb", values={"b": {"a": {"type": "x"}}})
    assert [block["block_id"] for block in submitted["view"]["blocks"]] == ["b"]


def test_socket_mode_asks_for_a_connection_with_the_app_token(fake_slack: FakeSlackAPI) -> None:
    """Socket Mode goes through the app's Web API client (SLACK_API_URL) with the xapp token."""
    app_token = "xapp-test-not-a-real-app-token"
    with pytest.raises(SlackApiError) as refused:  # the fake knows no xapp token: no websocket
        serve_socket_mode(_bolt_app(fake_slack), app_token)
    assert refused.value.response["error"] == "invalid_auth"
    [call] = fake_slack.calls_to("apps.connections.open")
    assert call.headers["authorization"] == f"Bearer {app_token}"
