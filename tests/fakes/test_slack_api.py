"""The fake Slack Web API answers like Slack, through the real slack_sdk WebClient."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlackAPI

KARI = "kari.nordmann@example.org"
OLA = "ola.nordmann@example.org"


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
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


def client_for(api: FakeSlackAPI, token: str | None = None) -> WebClient:
    return WebClient(
        token=api.token if token is None else token, base_url=api.url, retry_handlers=[]
    )


def error_of(call: Any) -> tuple[int, str]:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response.status_code, caught.value.response["error"]


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result


# -- auth ---------------------------------------------------------------------------------


def test_auth_test_answers_team_and_bot_user(api: FakeSlackAPI) -> None:
    response = client_for(api).auth_test()

    assert response["ok"] is True
    assert response["team_id"] == api.team_id
    assert response["user_id"] == api.bot_user_id
    assert api.calls[0].headers["authorization"] == f"Bearer {api.token}"


def test_missing_token_is_not_authed(api: FakeSlackAPI) -> None:
    client = WebClient(base_url=api.url, retry_handlers=[])

    assert error_of(lambda: client.chat_postMessage(channel="U0KARI", text="x")) == (
        200,
        "not_authed",
    )
    assert api.messages == []


def test_wrong_token_is_invalid_auth(api: FakeSlackAPI) -> None:
    client = client_for(api, token="xoxb-not-the-right-one")

    assert error_of(client.auth_test) == (200, "invalid_auth")


def test_token_in_a_form_body_is_accepted_and_form_values_are_recorded(api: FakeSlackAPI) -> None:
    body = f"token={api.token}&email={KARI}".encode()

    answer = raw_post(
        api.url + "users.lookupByEmail",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert answer["user"]["id"] == "U0KARI"
    assert api.calls[-1].params == {"token": api.token, "email": KARI}


# -- directory -----------------------------------------------------------------------------


def test_lookup_by_email_finds_known_people_case_insensitively(api: FakeSlackAPI) -> None:
    response = client_for(api).users_lookupByEmail(email=KARI.upper())

    assert response["user"]["id"] == "U0KARI"
    assert response["user"]["profile"]["email"] == KARI.upper()


def test_lookup_by_unknown_email_is_users_not_found(api: FakeSlackAPI) -> None:
    client = client_for(api)

    assert error_of(lambda: client.users_lookupByEmail(email="nobody@example.org")) == (
        200,
        "users_not_found",
    )


def test_conversations_open_gives_the_same_dm_every_time(api: FakeSlackAPI) -> None:
    client = client_for(api)

    first = client.conversations_open(users="U0KARI")
    second = client.conversations_open(users=["U0KARI"])

    assert first["channel"]["id"].startswith("D")
    assert second["channel"]["id"] == first["channel"]["id"]
    assert (first["already_open"], second["already_open"]) == (False, True)
    assert api.dm_channel("U0KARI") == first["channel"]["id"]


@pytest.mark.parametrize(
    ("user_id", "error"),
    [("U0OLA", "user_disabled"), ("U0GHOST", "user_not_found"), ("U0ARKBOT01", "cannot_dm_bot")],
)
def test_conversations_open_refuses_like_slack(api: FakeSlackAPI, user_id: str, error: str) -> None:
    client = client_for(api)

    assert error_of(lambda: client.conversations_open(users=user_id)) == (200, error)


def test_add_user_and_deactivate_change_the_directory(api: FakeSlackAPI) -> None:
    client = client_for(api)
    new_id = api.add_user("new@example.org")

    assert client.users_lookupByEmail(email="new@example.org")["user"]["id"] == new_id
    api.deactivate(new_id)
    assert error_of(lambda: client.conversations_open(users=new_id)) == (200, "user_disabled")


# -- messages ------------------------------------------------------------------------------


def test_post_message_records_text_blocks_and_answers_a_unique_ts(api: FakeSlackAPI) -> None:
    client = client_for(api)
    dm = client.conversations_open(users="U0KARI")["channel"]["id"]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Hei *Kari*"}}]

    first = client.chat_postMessage(channel=dm, text="Hei Kari", blocks=blocks)
    second = client.chat_postMessage(channel=dm, text="Igjen")

    assert first["channel"] == dm
    assert first["ts"] == "1700000000.000100"
    assert second["ts"] == "1700000000.000101"
    assert first["message"]["blocks"] == blocks
    assert [(m.channel, m.text, m.user_id) for m in api.messages] == [
        (dm, "Hei Kari", "U0KARI"),
        (dm, "Igjen", "U0KARI"),
    ]
    assert api.messages[0].blocks == blocks
    assert api.calls_to("chat.postMessage")[0].params["blocks"] == blocks
    assert api.calls[-1].headers["content-type"].startswith("application/json")


def test_post_to_a_user_id_lands_in_their_dm(api: FakeSlackAPI) -> None:
    response = client_for(api).chat_postMessage(channel="U0KARI", text="Hei")

    assert response["channel"] == api.dm_channel("U0KARI")


def test_form_encoded_post_with_json_string_blocks_is_parsed(api: FakeSlackAPI) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]
    body = urllib.parse.urlencode(
        {"channel": "C0GENERAL", "text": "x", "blocks": json.dumps(blocks)}
    )

    answer = raw_post(
        api.url + "chat.postMessage",
        body.encode(),
        {
            "Authorization": f"Bearer {api.token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    assert answer["ok"] is True
    assert api.messages[0].blocks == blocks
    assert api.messages[0].channel == "C0GENERAL"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "D0UNKNOWN", "text": "x"}, "channel_not_found"),
        ({"channel": "U0GHOST", "text": "x"}, "channel_not_found"),
        ({"channel": "C0GENERAL", "text": ""}, "no_text"),
        (
            {
                "channel": "C0GENERAL",
                "text": "x",
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [
                            {"type": "button", "action_id": "same", "text": {}},
                            {"type": "button", "action_id": "same", "text": {}},
                        ],
                    }
                ],
            },
            "invalid_blocks",
        ),
        (
            {
                "channel": "C0GENERAL",
                "text": "x",
                "blocks": [
                    {"type": "divider", "block_id": "b"},
                    {"type": "divider", "block_id": "b"},
                ],
            },
            "invalid_blocks",
        ),
    ],
)
def test_post_message_rejects_what_slack_rejects(
    api: FakeSlackAPI, kwargs: dict[str, Any], error: str
) -> None:
    client = client_for(api)

    assert error_of(lambda: client.api_call("chat.postMessage", json=kwargs)) == (200, error)
    assert api.messages == []


def test_chat_update_needs_a_message_that_exists(api: FakeSlackAPI) -> None:
    client = client_for(api)
    posted = client.chat_postMessage(channel="C0GENERAL", text="before")

    updated = client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="after")

    assert (updated["ts"], updated["text"]) == (posted["ts"], "after")
    assert error_of(lambda: client.chat_update(channel="C0GENERAL", ts="1.2", text="x")) == (
        200,
        "message_not_found",
    )


def test_views_open_publish_and_update_answer_a_view_id(api: FakeSlackAPI) -> None:
    client = client_for(api)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Tiltak"}, "blocks": []}

    opened = client.views_open(trigger_id="123.456", view=modal)
    published = client.views_publish(user_id="U0KARI", view={"type": "home", "blocks": []})
    updated = client.views_update(view_id=opened["view"]["id"], view={**modal, "blocks": []})

    assert opened["view"]["id"].startswith("V")
    assert published["view"]["id"] != opened["view"]["id"]
    assert updated["view"]["id"] == opened["view"]["id"]
    assert error_of(lambda: client.views_update(view_id="V0NOPE", view=modal)) == (200, "not_found")


def test_unknown_method_is_unknown_method(api: FakeSlackAPI) -> None:
    assert error_of(lambda: client_for(api).api_call("reactions.nope")) == (200, "unknown_method")


# -- pacing --------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after_until_the_window_frees(clock: Clock) -> None:
    with FakeSlackAPI(rate_limit_per_minute=3, time_fn=clock) as api:
        client = client_for(api)
        for offset in (0.0, 10.0, 20.0):
            clock.now = 1000.0 + offset
            client.chat_postMessage(channel="C0GENERAL", text="x")

        clock.now = 1030.5
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C0GENERAL", text="x")
        response = caught.value.response
        assert response.status_code == 429
        assert response["error"] == "ratelimited"
        assert response.headers["Retry-After"] == "30"  # the post at 1000 leaves at 1060

        clock.now = 1059.9
        assert error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x"))[0] == 429
        clock.now = 1060.0
        assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"] is True

        assert api.rate_limited == 2
        assert len(api.messages) == 4
        assert api.count("chat.postMessage") == 6


def test_rate_limit_applies_to_chat_post_message_only(clock: Clock) -> None:
    with FakeSlackAPI(rate_limit_per_minute=1, time_fn=clock, users={KARI: "U0KARI"}) as api:
        client = client_for(api)
        client.chat_postMessage(channel="C0GENERAL", text="x")

        for _ in range(3):
            client.users_lookupByEmail(email=KARI)

        assert error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x")) == (
            429,
            "ratelimited",
        )


# -- scripted failures ---------------------------------------------------------------------


def test_fail_next_status_answers_that_status_n_times_then_recovers(api: FakeSlackAPI) -> None:
    client = client_for(api)
    api.fail_next("chat.postMessage", status=500, times=2)

    outcomes = [
        error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x")) for _ in range(2)
    ]

    assert outcomes == [(500, "internal_error"), (500, "internal_error")]
    assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"] is True
    assert len(api.messages) == 1


def test_fail_next_error_answers_http_200_ok_false(api: FakeSlackAPI) -> None:
    client = client_for(api)
    api.fail_next("users.lookupByEmail", error="fatal_error")

    assert error_of(lambda: client.users_lookupByEmail(email=KARI)) == (200, "fatal_error")
    assert client.users_lookupByEmail(email=KARI)["user"]["id"] == "U0KARI"


def test_fail_next_429_sends_retry_after_and_counts(api: FakeSlackAPI) -> None:
    client = client_for(api)
    api.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0GENERAL", text="x")

    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert api.rate_limited == 1


def test_fail_next_only_touches_its_method(api: FakeSlackAPI) -> None:
    client = client_for(api)
    api.fail_next("conversations.open", status=503)

    assert client.auth_test()["ok"] is True
    assert error_of(lambda: client.conversations_open(users="U0KARI")) == (503, "internal_error")


@pytest.mark.parametrize(
    "kwargs", [{}, {"status": 200}, {"error": "x", "times": 0}], ids=["nothing", "200", "times0"]
)
def test_fail_next_refuses_a_script_that_means_nothing(
    api: FakeSlackAPI, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"status|error|times"):
        api.fail_next("chat.postMessage", **kwargs)


def test_reset_forgets_calls_scripts_and_window(clock: Clock) -> None:
    with FakeSlackAPI(rate_limit_per_minute=1, time_fn=clock) as api:
        client = client_for(api)
        client.chat_postMessage(channel="C0GENERAL", text="x")
        api.fail_next("auth.test", status=500)

        api.reset()

        assert (api.calls, api.messages, api.rate_limited) == ([], [], 0)
        assert client.auth_test()["ok"] is True
        assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"] is True


# -- the server itself ---------------------------------------------------------------------


def test_concurrent_posts_are_all_recorded_with_unique_ts(api: FakeSlackAPI) -> None:
    client = client_for(api)
    answers: list[str] = []
    lock = threading.Lock()

    def post_many() -> None:
        for _ in range(20):
            ts = client.chat_postMessage(channel="C0GENERAL", text="x")["ts"]
            with lock:
                answers.append(ts)

    threads = [threading.Thread(target=post_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == len(set(answers)) == 160
    assert len(api.messages) == 160
    assert sorted(m.ts for m in api.messages) == sorted(answers)


def test_url_needs_a_started_server_and_stop_is_idempotent() -> None:
    api = FakeSlackAPI()
    with pytest.raises(RuntimeError, match="not started"):
        _ = api.url

    with api:
        assert api.url.startswith("http://127.0.0.1:")
        assert api.url.endswith("/api/")
    api.stop()

    with pytest.raises(RuntimeError, match="not started"):
        _ = api.url


def test_the_fixtures_give_a_started_fake_and_an_authorised_client(
    fake_slack: FakeSlackAPI, fake_slack_client: WebClient
) -> None:
    user_id = fake_slack.add_user(KARI)

    response = fake_slack_client.users_lookupByEmail(email=KARI)

    assert response["user"]["id"] == user_id
    assert fake_slack.count("users.lookupByEmail") == 1


def test_keep_alive_serves_several_requests_on_one_connection(api: FakeSlackAPI) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
    answers, sockets = [], []
    try:
        for text in ("one", "two"):
            body = json.dumps({"channel": "C0GENERAL", "text": text})
            connection.request("POST", "/api/chat.postMessage", body=body, headers=headers)
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())["ok"]))
            sockets.append(connection.sock)
    finally:
        connection.close()

    assert answers == [(200, True), (200, True)]
    assert sockets[0] is not None
    assert sockets[1] is sockets[0]  # the server kept the connection open
    assert [m.text for m in api.messages] == ["one", "two"]
