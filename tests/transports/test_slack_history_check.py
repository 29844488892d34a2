"""Was a delivery's message delivered already? Slack message metadata and the DM history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.transports.base import ChecksDelivery, PermanentFailure, RateLimited
from bot.transports.slack import METADATA_EVENT, SlackTransport, slack_client
from tests.fakes.slack_api import FakeSlackAPI
from tests.transports.test_slack_transport import KARI, REMINDER, person


@pytest.fixture
def api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(users={KARI: "U0KARI"}) as fake:
        yield fake
        assert fake.errors == []


def _transport(api: FakeSlackAPI, history_check: bool = True) -> SlackTransport:
    return SlackTransport(slack_client(api.token, api.url, timeout=5), history_check=history_check)


def test_every_message_carries_its_delivery_id_as_metadata(api: FakeSlackAPI) -> None:
    _transport(api).send(person(), REMINDER)
    (call,) = api.calls_to("chat.postMessage")
    assert call.params["metadata"] == {
        "event_type": METADATA_EVENT,
        "event_payload": {"delivery_id": 4711},
    }


def test_a_message_that_arrived_is_found_in_the_dm_history(api: FakeSlackAPI) -> None:
    transport = _transport(api)
    assert isinstance(transport, ChecksDelivery)
    assert transport.already_delivered(person(), 4711) is None
    sent = transport.send(person(), REMINDER)
    transport.send(person(), REMINDER.model_copy(update={"delivery_id": 4712}))
    found = transport.already_delivered(person(), 4711)
    assert found is not None
    assert (found.channel_id, found.message_id) == (sent.channel_id, sent.message_id)
    assert transport.already_delivered(person(), 99) is None
    (call, *_) = api.calls_to("conversations.history")
    assert call.params["include_all_metadata"] in {"1", "true", True}


def test_without_the_scope_the_check_turns_itself_off(api: FakeSlackAPI) -> None:
    api.history_scope = False
    transport = _transport(api)
    transport.send(person(), REMINDER)
    assert transport.already_delivered(person(), 4711) is None
    assert transport.history_check is False
    assert transport.already_delivered(person(), 4711) is None
    assert api.count("conversations.history") == 1


def test_the_check_can_be_switched_off(api: FakeSlackAPI) -> None:
    transport = _transport(api, history_check=False)
    transport.send(person(), REMINDER)
    assert transport.already_delivered(person(), 4711) is None
    assert api.count("conversations.history") == 0


def test_a_rate_limited_or_failing_check_raises_for_the_sender_to_reschedule(
    api: FakeSlackAPI,
) -> None:
    transport = _transport(api)
    transport.send(person(), REMINDER)
    api.fail_next("conversations.history", status=429, retry_after=7)
    with pytest.raises(RateLimited) as limited:
        transport.already_delivered(person(), 4711)
    assert limited.value.retry_after == 7
    api.fail_next("conversations.history", error="channel_not_found")
    with pytest.raises(PermanentFailure):
        transport.already_delivered(person(), 4711)
