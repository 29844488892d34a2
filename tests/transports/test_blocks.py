"""The Slack renderer: typed Block Kit that Slack accepts, ids the app can route by."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import ActionsBlock, Block, HeaderBlock

from bot.messages import ActionId, Button, Message, MessageKind
from bot.slack.blocks import (
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    HEADER_MAX,
    SECTION_TEXT_MAX,
    action_from_action_id,
    delivery_id_from_block_id,
    escape_mrkdwn,
    render_blocks,
    render_payload,
    truncate,
)
from tests.fakes.slack_api import FakeSlackAPI

BUTTONS_BY_KIND: dict[MessageKind, list[Button]] = {
    MessageKind.reminder: [
        Button(action=ActionId.task_done, label="Done", value="task:1", style="primary"),
        Button(action=ActionId.task_snooze, label="Remind me tomorrow", value="task:1"),
    ],
    MessageKind.vo_question: [
        Button(action=ActionId.vo_yes, label="Yes", value="vo:2:yes", style="primary"),
        Button(action=ActionId.vo_partly, label="Partly", value="vo:2:partly"),
        Button(action=ActionId.vo_not_yet, label="Not yet", value="vo:2:not_yet"),
    ],
    MessageKind.pulse_question: [
        Button(action=ActionId.pulse_answer, label=str(score), value=f"pulse:3:{score}")
        for score in range(1, 6)
    ],
    MessageKind.action_checkin: [
        Button(action=ActionId.action_on_track, label="On track", value="item:4"),
        Button(action=ActionId.action_delayed, label="Delayed", value="item:4"),
        Button(action=ActionId.action_done, label="Done", value="item:4", style="primary"),
        Button(action=ActionId.action_dropped, label="Dropped", value="item:4", style="danger"),
    ],
    MessageKind.escalation: [
        Button(action=ActionId.open_link, label="Open the overview", value="unit:5"),
    ],
    MessageKind.information: [],
}


def message(kind: MessageKind = MessageKind.reminder, **changes: Any) -> Message:
    fields: dict[str, Any] = {
        "kind": kind,
        "locale": "en",
        "headline": "Fill in the survey",
        "body": "The survey closes on 13 October 2023.",
        "context": "Step 3 of 7",
        "buttons": BUTTONS_BY_KIND[kind],
        "delivery_id": 42,
    }
    fields.update(changes)
    return Message(**fields)


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_renders_valid_blocks_that_round_trip(kind: MessageKind) -> None:
    blocks = render_blocks(message(kind))

    expected = ["header", "section", "context"] + (["actions"] if BUTTONS_BY_KIND[kind] else [])
    assert [block.type for block in blocks] == expected
    for block in blocks:
        block.validate_json()
        as_dict = block.to_dict()
        parsed = Block.parse(as_dict)
        assert parsed is not None
        assert parsed.to_dict() == as_dict


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_is_accepted_by_the_fake_slack(kind: MessageKind) -> None:
    with FakeSlackAPI() as api:
        client = WebClient(token=api.token, base_url=api.url, retry_handlers=[])
        response = client.chat_postMessage(channel="C0GENERAL", **render_payload(message(kind)))

    assert response["ok"] is True  # no duplicate block_id / action_id


def test_buttons_carry_action_ids_values_and_styles() -> None:
    [*_, actions] = render_payload(message(MessageKind.action_checkin))["blocks"]

    assert actions["type"] == "actions"
    assert [(e["action_id"], e["value"], e.get("style")) for e in actions["elements"]] == [
        ("action_on_track", "item:4", None),
        ("action_delayed", "item:4", None),
        ("action_done", "item:4", "primary"),
        ("action_dropped", "item:4", "danger"),
    ]
    assert actions["elements"][0]["text"] == {
        "type": "plain_text",
        "text": "On track",
        "emoji": True,
    }


def test_repeated_actions_get_unique_ids_that_read_back() -> None:
    [*_, actions] = render_payload(message(MessageKind.pulse_question))["blocks"]

    action_ids = [e["action_id"] for e in actions["elements"]]
    assert action_ids == [f"pulse_answer:{n}" for n in range(1, 6)]
    assert {action_from_action_id(a) for a in action_ids} == {ActionId.pulse_answer}
    assert action_from_action_id("task_done") is ActionId.task_done
    with pytest.raises(ValueError, match="not_an_action"):
        action_from_action_id("not_an_action")


def test_block_ids_carry_the_delivery_id() -> None:
    blocks = render_payload(message())["blocks"]

    block_ids = [block["block_id"] for block in blocks]
    assert block_ids == [
        "delivery:42:headline",
        "delivery:42:body",
        "delivery:42:context",
        "delivery:42",
    ]
    assert {delivery_id_from_block_id(b) for b in block_ids} == {42}
    assert delivery_id_from_block_id("abc") is None
    assert delivery_id_from_block_id("delivery:x") is None
    assert delivery_id_from_block_id(None) is None


def test_without_a_delivery_id_slack_chooses_the_block_ids() -> None:
    blocks = render_payload(message(delivery_id=None))["blocks"]

    assert all("block_id" not in block for block in blocks)


def test_long_texts_are_truncated_to_slack_limits_with_an_ellipsis() -> None:
    long_button = Button(
        action=ActionId.open_link, label="L" * 200, value="v" * 5000, style="primary"
    )
    blocks = render_blocks(message(headline="H" * 400, buttons=[long_button]))

    header, actions = blocks[0], blocks[-1]
    assert isinstance(header, HeaderBlock)
    assert isinstance(actions, ActionsBlock)
    header_text = header.to_dict()["text"]["text"]
    button = actions.to_dict()["elements"][0]
    assert (len(header_text), header_text[-1]) == (HEADER_MAX, "…")
    assert (len(button["text"]["text"]), button["text"]["text"][-1]) == (BUTTON_TEXT_MAX, "…")
    assert (len(button["value"]), button["value"][-1]) == (BUTTON_VALUE_MAX, "…")


def test_a_long_body_is_split_into_sections_at_paragraphs() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 250 for n in range(6)]  # ~1,260 chars each

    blocks = render_payload(message(body="\n\n".join(paragraphs)))["blocks"]

    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) == 3
    assert all(len(text) <= SECTION_TEXT_MAX for text in sections)
    assert sections[1].startswith("Paragraph 2.")
    assert len({b["block_id"] for b in blocks}) == len(blocks)


def test_truncate_never_cuts_inside_an_entity() -> None:
    escaped = escape_mrkdwn("a" * 8 + "&&&")  # "aaaaaaaa&amp;&amp;&amp;"

    assert truncate(escaped, 12) == "aaaaaaaa…"
    assert truncate(escaped, 14) == "aaaaaaaa&amp;…"
    assert truncate("short", 10) == "short"


def test_user_text_is_escaped_in_mrkdwn_but_not_in_plain_text() -> None:
    payload = render_payload(
        message(
            headline="R&D <team>",
            body="Ask <!channel> & <https://evil.example|click> > now",
            context="Tom & Jerry <tj@example.org>",
        )
    )

    header, section, context, _ = payload["blocks"]
    assert header["text"] == {"type": "plain_text", "text": "R&D <team>", "emoji": True}
    assert section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == (
        "Ask &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &gt; now"
    )
    assert context["elements"][0]["text"] == "Tom &amp; Jerry &lt;tj@example.org&gt;"
    assert "<!channel>" not in payload["text"]
    assert payload["text"].startswith("R&amp;D &lt;team&gt;")


def test_payload_has_the_plain_text_fallback_and_dict_blocks() -> None:
    msg = message()

    payload = render_payload(msg)

    assert set(payload) == {"text", "blocks"}
    assert payload["text"] == msg.fallback
    assert payload["text"].splitlines() == [
        "Fill in the survey",
        "The survey closes on 13 October 2023.",
        "Step 3 of 7",
    ]
    assert all(isinstance(block, dict) for block in payload["blocks"])


def test_empty_parts_are_left_out() -> None:
    blocks = render_payload(message(MessageKind.information, context=None, body="  "))["blocks"]

    assert [block["type"] for block in blocks] == ["header"]


def test_more_than_25_buttons_spill_into_a_second_actions_block() -> None:
    buttons = [Button(action=ActionId.pulse_answer, label=str(n), value=str(n)) for n in range(30)]

    blocks = render_payload(message(buttons=buttons))["blocks"]

    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    assert [b["block_id"] for b in actions] == ["delivery:42", "delivery:42:actions2"]


@pytest.mark.parametrize("kind", list(MessageKind))
@pytest.mark.parametrize("delivery_id", [7, 123456])
def test_the_render_cache_gives_what_a_fresh_render_gives(
    kind: MessageKind, delivery_id: int
) -> None:
    from bot.slack.blocks import _render

    buttons = [
        Button(action=ActionId.vo_yes, label="Ja", value=str(delivery_id), style="primary"),
        Button(action=ActionId.vo_partly, label="Delvis", value=str(delivery_id)),
    ]
    message = Message(
        kind=kind,
        locale="nb",
        headline="Overskrift",
        body="Tekst med *fet* skrift\n\nog et avsnitt til",
        context="Fase 1 · Institutt 0",
        buttons=buttons,
        delivery_id=delivery_id,
    )
    assert render_payload(message) == _render(message)
    again = render_payload(message.model_copy(update={"delivery_id": delivery_id + 1}))
    assert again["blocks"][-1]["block_id"] == f"delivery:{delivery_id + 1}"
