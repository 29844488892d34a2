"""A fan-out's messages share one template: every field but the delivery id. The key must
cover every field a renderer reads, so a message rebuilt from its key renders the same."""

from __future__ import annotations

from bot.messages import (
    NOT_IN_TEMPLATES,
    TEMPLATE_FIELDS,
    TEMPLATE_ID,
    ActionId,
    Button,
    Message,
    MessageKind,
    Section,
    template_key,
    template_of,
)
from bot.slack.blocks import render_payload
from bot.teams.cards import card_payload


def _message(delivery: int, **changes: object) -> Message:
    fields: dict[str, object] = {
        "kind": MessageKind.reminder,
        "locale": "en",
        "headline": "Send in the form",
        "body": "Due *Friday*",
        "context": "Unit IFA",
        "buttons": [
            Button(action=ActionId.task_done, label="Done", value=str(delivery), style="primary"),
            Button(action=ActionId.task_snooze, label="Tomorrow", value=str(delivery)),
        ],
        "delivery_id": delivery,
    }
    fields.update(changes)
    return Message.model_validate(fields)


def test_every_field_but_the_delivery_id_is_in_the_key() -> None:
    message = _message(42)
    key = template_key(message)
    assert key is not None
    assert key == template_key(_message(43))
    rebuilt = template_of(key).model_dump()
    expected = _message(TEMPLATE_ID).model_dump()
    assert rebuilt == expected
    # A field added to Message later must be in the key (or known not to be), or a template
    # would silently drop it.
    assert set(TEMPLATE_FIELDS) | set(NOT_IN_TEMPLATES) == set(Message.model_fields)


def test_digests_and_other_button_values_are_their_own_templates() -> None:
    assert template_key(_message(42, sections=[Section(text="IFA")])) is None
    other = [Button(action=ActionId.task_done, label="Done", value="7")]
    assert template_key(_message(42, buttons=other)) is None
    assert template_key(_message(42, delivery_id=None)) is None


def test_the_renderers_put_each_delivery_id_into_a_copy() -> None:
    first, second = render_payload(_message(42)), render_payload(_message(43))
    assert "42" in str(first["blocks"])
    assert "43" not in str(first["blocks"])
    assert "43" in str(second["blocks"])
    assert "42" not in str(second["blocks"])
    card = card_payload(_message(42))
    card_again = card_payload(_message(43))
    actions = next(e for e in card["body"] if e.get("type") == "ActionSet")["actions"]
    assert {a["data"]["delivery_id"] for a in actions} == {42}
    assert {a["data"]["value"] for a in actions} == {"42"}
    actions = next(e for e in card_again["body"] if e.get("type") == "ActionSet")["actions"]
    assert {a["data"]["delivery_id"] for a in actions} == {43}
