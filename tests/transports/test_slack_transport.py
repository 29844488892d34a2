"""SlackTransport with the real slack_sdk WebClient against the local fake Slack Web API."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.config import Settings
from bot.messages import ActionId, Button, Message, MessageKind
from bot.transports.base import (
    PermanentFailure,
    RateLimited,
    Recipient,
    SendResult,
    TemporaryFailure,
    Transport,
)
from bot.transports.slack import SlackTransport, slack_client, translate_error
from tests.fakes.slack_api import FakeSlackAPI

KARI = "kari.nordmann@example.org"
OLA = "ola.nordmann@example.org"


class Clock:
    def __init__(self, now: float = 500.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(clock: Clock) -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(
        users={KARI: "U0KARI", OLA: "U0OLA"}, inactive={"U0OLA"}, time_fn=clock
    ) as fake:
        yield fake
        assert fake.errors == []


@pytest.fixture
def transport(api: FakeSlackAPI) -> SlackTransport:
    return SlackTransport(slack_client(api.token, api.url, timeout=5), workspace="ntnu")


def person(email: str = KARI, slack_user_id: str | None = None) -> Recipient:
    return Recipient(
        person_id=7, email=email, name="Kari Nordmann", locale="nb", slack_user_id=slack_user_id
    )


REMINDER = Message(
    kind=MessageKind.reminder,
    locale="nb",
    headline="Svar på undersøkelsen",
    body="Fristen er 13. oktober 2023.",
    context="Steg 3 av 7",
    buttons=[
        Button(action=ActionId.task_done, label="Ferdig", value="task:12", style="primary"),
        Button(action=ActionId.task_snooze, label="Påminn meg i morgen", value="task:12"),
    ],
    delivery_id=4711,
)


def test_is_a_transport(transport: SlackTransport) -> None:
    as_protocol: Transport = transport

    assert (as_protocol.platform, as_protocol.workspace) == ("slack", "ntnu")


def test_send_by_slack_id_posts_blocks_and_fallback_to_the_dm(
    api: FakeSlackAPI, transport: SlackTransport
) -> None:
    result = transport.send(person(slack_user_id="U0KARI"), REMINDER)

    dm = api.dm_channel("U0KARI")
    assert result == SendResult(platform="slack", channel_id=dm, message_id="1700000000.000100")
    [posted] = api.messages
    assert posted.channel == dm
    assert posted.text == REMINDER.fallback
    assert [block["type"] for block in posted.blocks] == ["header", "section", "context", "actions"]
    buttons = posted.blocks[-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("task_done", "task:12"),
        ("task_snooze", "task:12"),
    ]
    assert posted.blocks[-1]["block_id"] == "delivery:4711"
    assert api.count("users.lookupByEmail") == 0
    assert posted.params["unfurl_links"] is False


def test_send_by_email_looks_the_person_up(api: FakeSlackAPI, transport: SlackTransport) -> None:
    result = transport.send(person(email="Kari.Nordmann@Example.org"), REMINDER)

    assert api.calls_to("users.lookupByEmail")[0].params == {"email": KARI}
    assert result.channel_id == api.dm_channel("U0KARI")
    assert api.messages[0].user_id == "U0KARI"


def test_three_messages_to_one_person_make_one_lookup_and_one_open(
    api: FakeSlackAPI, transport: SlackTransport
) -> None:
    results = [transport.send(person(), REMINDER) for _ in range(3)]

    assert api.count("users.lookupByEmail") == 1
    assert api.count("conversations.open") == 1
    assert api.count("chat.postMessage") == 3
    assert len({r.message_id for r in results}) == 3


def test_concurrent_first_sends_to_one_person_still_look_up_once(
    api: FakeSlackAPI, transport: SlackTransport
) -> None:
    start = threading.Barrier(8)
    results: list[SendResult] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait()
        result = transport.send(person(), REMINDER)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8
    assert api.count("users.lookupByEmail") == 1
    assert api.count("conversations.open") == 1


def test_429_is_rate_limited_with_retry_after_from_the_header(clock: Clock) -> None:
    with FakeSlackAPI(users={KARI: "U0KARI"}, rate_limit_per_minute=1, time_fn=clock) as api:
        transport = SlackTransport(slack_client(api.token, api.url))
        transport.send(person(), REMINDER)
        clock.now += 15.2

        with pytest.raises(RateLimited) as caught:
            transport.send(person(), REMINDER)

    assert caught.value.retry_after == 45.0  # ceil(60 - 15.2)
    assert caught.value.reason == "ratelimited"


def test_scripted_429_carries_its_retry_after(api: FakeSlackAPI, transport: SlackTransport) -> None:
    api.fail_next("chat.postMessage", status=429, retry_after=12)

    with pytest.raises(RateLimited) as caught:
        transport.send(person(), REMINDER)

    assert caught.value.retry_after == 12.0


def test_http_500_is_temporary(api: FakeSlackAPI, transport: SlackTransport) -> None:
    api.fail_next("chat.postMessage", status=500)

    with pytest.raises(TemporaryFailure) as caught:
        transport.send(person(), REMINDER)

    assert caught.value.reason == "internal_error"
    assert api.messages == []


def test_http_503_while_opening_the_dm_is_temporary_and_not_cached(
    api: FakeSlackAPI, transport: SlackTransport
) -> None:
    api.fail_next("conversations.open", status=503)

    with pytest.raises(TemporaryFailure):
        transport.send(person(), REMINDER)
    transport.send(person(), REMINDER)

    assert api.count("conversations.open") == 2
    assert len(api.messages) == 1


@pytest.mark.parametrize(
    "code",
    ["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"],
)
def test_slack_try_again_codes_are_temporary(
    api: FakeSlackAPI, transport: SlackTransport, code: str
) -> None:
    api.fail_next("chat.postMessage", error=code)

    with pytest.raises(TemporaryFailure) as caught:
        transport.send(person(), REMINDER)

    assert caught.value.reason == code


def test_unknown_email_is_permanent_users_not_found(transport: SlackTransport) -> None:
    with pytest.raises(PermanentFailure) as caught:
        transport.send(person(email="nobody@example.org"), REMINDER)

    assert caught.value.reason == "users_not_found"


def test_deactivated_user_is_permanent_user_disabled(
    api: FakeSlackAPI, transport: SlackTransport
) -> None:
    with pytest.raises(PermanentFailure) as caught:
        transport.send(person(email=OLA), REMINDER)

    assert caught.value.reason == "user_disabled"
    assert api.messages == []


def test_invalid_token_is_permanent_invalid_auth(api: FakeSlackAPI) -> None:
    transport = SlackTransport(slack_client("xoxb-revoked-long-ago", api.url))

    with pytest.raises(PermanentFailure) as caught:
        transport.send(person(slack_user_id="U0KARI"), REMINDER)

    assert caught.value.reason == "invalid_auth"


@pytest.mark.parametrize("code", ["not_in_channel", "is_archived", "missing_scope", "whatever_new"])
def test_other_slack_errors_are_permanent_with_the_code(
    api: FakeSlackAPI, transport: SlackTransport, code: str
) -> None:
    api.fail_next("chat.postMessage", error=code)

    with pytest.raises(PermanentFailure) as caught:
        transport.send(person(), REMINDER)

    assert caught.value.reason == code


def test_a_stale_dm_channel_is_forgotten(api: FakeSlackAPI, transport: SlackTransport) -> None:
    transport.send(person(), REMINDER)
    api.fail_next("chat.postMessage", error="channel_not_found")

    with pytest.raises(PermanentFailure, match="channel_not_found"):
        transport.send(person(), REMINDER)
    transport.send(person(), REMINDER)

    assert api.count("conversations.open") == 2
    assert api.count("users.lookupByEmail") == 1


def test_a_server_that_is_not_listening_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = SlackTransport(slack_client("xoxb-x", f"http://127.0.0.1:{port}/api/", timeout=2))

    with pytest.raises(TemporaryFailure) as caught:
        transport.send(person(slack_user_id="U0KARI"), REMINDER)

    assert caught.value.reason.startswith("connection_error")


def test_a_server_that_is_too_slow_is_a_temporary_timeout() -> None:
    with FakeSlackAPI(users={KARI: "U0KARI"}, delay_seconds=5) as api:
        client = WebClient(token=api.token, base_url=api.url, retry_handlers=[], timeout=0.2)  # type: ignore[arg-type]
        transport = SlackTransport(client)

        with pytest.raises(TemporaryFailure) as caught:
            transport.send(person(slack_user_id="U0KARI"), REMINDER)

    assert caught.value.reason.startswith("timeout")


def test_update_message_replaces_the_message_in_place(
    api: FakeSlackAPI, transport: SlackTransport
) -> None:
    sent = transport.send(person(), REMINDER)
    done = REMINDER.model_copy(update={"headline": "Takk!", "buttons": []})
    assert sent.channel_id is not None
    assert sent.message_id is not None

    result = transport.update_message(sent.channel_id, sent.message_id, done)

    assert result == sent
    [update] = api.calls_to("chat.update")
    assert update.params["ts"] == sent.message_id
    assert update.params["text"].startswith("Takk!")
    assert [block["type"] for block in update.params["blocks"]] == ["header", "section", "context"]


def test_update_of_an_unknown_message_is_permanent(transport: SlackTransport) -> None:
    with pytest.raises(PermanentFailure) as caught:
        transport.update_message("D0NOPE", "1.000001", REMINDER)

    assert caught.value.reason == "message_not_found"


def test_translate_error_without_retry_after_defaults_to_30_seconds() -> None:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": "ratelimited"},
        headers={},
        status_code=429,
    )

    failure = translate_error(SlackApiError("slow down", response))

    assert isinstance(failure, RateLimited)
    assert failure.retry_after == 30.0


def test_slack_client_never_retries_by_itself(api: FakeSlackAPI) -> None:
    client = slack_client(api.token, api.url.rstrip("/"))

    assert client.retry_handlers == []
    assert client.base_url == api.url


def test_from_settings_needs_the_bot_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    settings = Settings(_env_file=None)

    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        SlackTransport.from_settings(settings)


def test_from_settings_uses_token_and_api_url(api: FakeSlackAPI) -> None:
    settings = Settings(_env_file=None)
    settings = settings.model_copy(
        update={"slack_bot_token": SecretStr(api.token), "slack_api_url": api.url}
    )

    transport = SlackTransport.from_settings(settings, workspace="ntnu")

    assert transport.client.base_url == api.url
    assert transport.client.retry_handlers == []
    assert transport.send(person(), REMINDER).platform == "slack"
