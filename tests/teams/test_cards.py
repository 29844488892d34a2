"""The Adaptive Card renderer: JSON shape for every kind, escaping, the answered state."""

from __future__ import annotations

import json

import pytest

from bot.messages import ActionId, Button, Message, MessageKind, Section
from bot.teams.cards import (
    CARD_VERSION,
    card_fallback_text,
    card_json,
    card_payload,
    escape_markdown,
    render_card,
)

BUTTONS: dict[MessageKind, list[Button]] = {
    MessageKind.reminder: [
        Button(action=ActionId.task_done, label="Done", value="41", style="primary"),
        Button(action=ActionId.task_snooze, label="Remind me tomorrow", value="41"),
    ],
    MessageKind.vo_question: [
        Button(action=ActionId.vo_yes, label="Yes", value="41", style="primary"),
        Button(action=ActionId.vo_partly, label="Partly", value="41"),
        Button(action=ActionId.vo_not_yet, label="Not yet", value="41", style="danger"),
    ],
    MessageKind.pulse_question: [
        Button(action=ActionId.pulse_answer, label=str(n), value=f"41:{n}") for n in range(1, 6)
    ],
    MessageKind.action_checkin: [
        Button(action=ActionId.action_on_track, label="On track", value="41"),
        Button(action=ActionId.action_delayed, label="Delayed", value="41"),
        Button(action=ActionId.action_done, label="Done", value="41", style="primary"),
        Button(action=ActionId.action_dropped, label="Dropped", value="41", style="danger"),
    ],
    MessageKind.escalation: [],
    MessageKind.information: [],
}


def message(kind: MessageKind, **changes: object) -> Message:
    values: dict[str, object] = {
        "kind": kind,
        "locale": "en",
        "headline": "Fill in the survey",
        "body": "The survey closes on *13 October 2023*.",
        "context": "Phase 2 · Institutt for fysikk",
        "buttons": BUTTONS[kind],
        "delivery_id": 41,
        **changes,
    }
    return Message.model_validate(values)


@pytest.mark.parametrize("kind", list(MessageKind))
def test_card_shape_for_every_kind(kind: MessageKind) -> None:
    card = card_json(render_card(message(kind)))
    json.dumps(card)  # serialisable as it is
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == CARD_VERSION
    assert card["lang"] == "en"
    assert card["fallbackText"].startswith("Fill in the survey\nThe survey closes on 13 October")
    body = card["body"]
    assert body[0] == {
        "type": "TextBlock",
        "text": "Fill in the survey",
        "size": "Medium",
        "weight": "Bolder",
        "wrap": True,
    }
    assert body[1]["text"] == "The survey closes on **13 October 2023**."
    assert body[2]["isSubtle"] is True
    buttons = BUTTONS[kind]
    if not buttons:
        assert all(element["type"] == "TextBlock" for element in body)
        return
    actions = body[-1]["actions"]
    assert body[-1]["type"] == "ActionSet"
    assert len(actions) == len(buttons)
    for action, button in zip(actions, buttons, strict=True):
        assert action["type"] == "Action.Execute"
        assert action["title"] == button.label
        assert action["verb"] == button.action.value
        assert action["data"] == {
            "action": button.action.value,
            "delivery_id": 41,
            "value": button.value,
        }
        expected_style = {"primary": "positive", "danger": "destructive"}.get(button.style or "")
        assert action.get("style") == expected_style


@pytest.mark.parametrize("kind", list(MessageKind))
def test_answered_state_drops_buttons_and_appends_the_note(kind: MessageKind) -> None:
    card = card_json(render_card(message(kind), note="Marked done by *Kari* on 2 Dec"))
    body = card["body"]
    assert all(element["type"] != "ActionSet" for element in body)
    assert body[-1]["text"] == "Marked done by **Kari** on 2 Dec"
    assert body[-1]["separator"] is True


def test_user_text_is_not_markup() -> None:
    evil = message(
        MessageKind.action_checkin,
        headline="[Click me](https://evil.example) _now_",
        body="Action: # Heading\n\n- not a list\n\n1. not a list either `code` <b>x</b>",
        context="Unit ![img](http://x/y.png) > quote",
    )
    body = card_json(render_card(evil))["body"]
    assert body[0]["text"] == "\\[Click me\\]\\(https://evil.example\\) \\_now\\_"
    assert body[1]["text"] == "Action: \\# Heading"
    assert body[2]["text"] == "\\- not a list"
    assert body[3]["text"] == "1\\. not a list either \\`code\\` \\<b\\>x\\</b\\>"
    assert body[4]["text"] == "Unit \\!\\[img\\]\\(http://x/y.png\\) \\> quote"


def test_escape_leaves_ordinary_text_alone() -> None:
    assert escape_markdown("Kari Nordmann, 13. oktober – ferdig.") == (
        "Kari Nordmann, 13. oktober – ferdig."
    )


def test_fallback_text_is_plain() -> None:
    assert card_fallback_text(message(MessageKind.information)) == (
        "Fill in the survey\nThe survey closes on 13 October 2023.\nPhase 2 · Institutt for fysikk"
    )


def test_message_without_context_or_delivery() -> None:
    card = card_json(
        render_card(message(MessageKind.reminder, context=None, delivery_id=None, body=""))
    )
    assert [element["type"] for element in card["body"]] == ["TextBlock", "ActionSet"]
    assert card["body"][1]["actions"][0]["data"]["delivery_id"] is None


@pytest.mark.parametrize("kind", list(MessageKind))
def test_payload_equals_the_typed_card(kind: MessageKind) -> None:
    for delivery in (41, 42, None):
        one = message(kind, delivery_id=delivery)
        assert card_payload(one) == card_json(render_card(one))
    odd = message(
        MessageKind.pulse_question,
        buttons=[Button(action=ActionId.pulse_answer, label="1", value="7:1")],
        delivery_id=7,
    )
    assert card_payload(odd) == card_json(render_card(odd))
    assert card_payload(odd, note="x") == card_json(render_card(odd, note="x"))


def _digest() -> Message:
    def part(unit: str, delivery: int) -> Section:
        buttons = [
            Button(action=ActionId.vo_yes, label="Yes", value=str(delivery), style="primary"),
            Button(action=ActionId.vo_not_yet, label="Not yet", value=str(delivery)),
        ]
        return Section(text=f"*{unit}*", buttons=buttons, delivery_id=delivery)

    return Message(
        kind=MessageKind.vo_question,
        locale="en",
        headline="Were you involved?",
        body="This concerns 2 units.",
        context="Phase 1",
        sections=[part("Institutt A", 41), part("Institutt B", 42)],
        delivery_id=41,
    )


def _clicks(card: dict[str, object]) -> list[tuple[str, object, object]]:
    return [
        (action["data"]["action"], action["data"]["delivery_id"], action["data"]["value"])
        for element in card["body"]  # type: ignore[attr-defined]
        if element.get("type") == "ActionSet"
        for action in element["actions"]
    ]


def test_a_digest_shows_every_part_with_buttons_that_answer_for_that_part() -> None:
    card = card_payload(_digest())
    texts = [e["text"] for e in card["body"] if e.get("type") == "TextBlock"]
    assert texts == [
        "Were you involved?",
        "This concerns 2 units.",
        "**Institutt A**",
        "**Institutt B**",
        "Phase 1",
    ]
    assert _clicks(card) == [
        ("vo_yes", 41, "41"),
        ("vo_not_yet", 41, "41"),
        ("vo_yes", 42, "42"),
        ("vo_not_yet", 42, "42"),
    ]
    assert card == card_json(render_card(_digest()))


def test_a_digest_part_without_buttons_and_the_answered_card_show_no_buttons() -> None:
    digest = _digest()
    settled = digest.sections[0].model_copy(update={"buttons": [], "text": "A\nRecorded"})
    partly = digest.model_copy(update={"sections": [settled, digest.sections[1]]})
    assert _clicks(card_payload(partly)) == [("vo_yes", 42, "42"), ("vo_not_yet", 42, "42")]
    assert _clicks(card_payload(digest, note="Done")) == []
