"""Render a platform-neutral `Message` as Slack Block Kit, with `slack_sdk`'s typed builders.

Layout: a header (the headline), a mrkdwn section (the body, split into several sections
when longer than Slack's 3,000 characters), a context line, and an actions block with one
button per `Button`. Text the person did not write for Slack is escaped (``&``, ``<``,
``>``), so a body can never ping ``<!channel>`` or smuggle a link.

Ids the Slack app routes by:

- ``action_id`` is the button's `ActionId` value (``task_done``). Slack requires action ids
  to be unique inside a block, so when one `ActionId` repeats in a message (a pulse
  question's five answers) each of them gets a position suffix: ``pulse_answer:1`` …
  ``pulse_answer:5``. `action_from_action_id` reads both forms back.
- ``block_id`` of the actions block is ``delivery:<id>`` when the message has a delivery
  id; the other blocks add a suffix (``delivery:<id>:body``). `delivery_id_from_block_id`
  reads it back from a click's ``block_id``.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.escape import slack_mrkdwn
from bot.messages import (
    SECTIONS_MAX,
    TEMPLATE_ID,
    ActionId,
    Button,
    Message,
    Section,
    TemplateKey,
    template_key,
    template_of,
)

HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
CONTEXT_TEXT_MAX = 3000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTIONS_PER_BLOCK = 25
BODY_SECTIONS_MAX = 40  # Slack allows 50 blocks per message; leave room for the rest
FALLBACK_TEXT_MAX = 4000  # Slack truncates `text` at 40,000; a notification shows far less
ELLIPSIS = "…"
DELIVERY_PREFIX = "delivery"


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters as entities (&amp; first, so nothing is doubled)."""
    return slack_mrkdwn(text)


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut.

    Never cuts inside an entity from `escape_mrkdwn` (``&amp;`` stays whole or goes).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    amp = head.rfind("&", max(0, len(head) - 4))
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head.rstrip() + ELLIPSIS


def _split(text: str, limit: int) -> list[str]:
    """Paragraphs packed into chunks of at most `limit` characters; a huge paragraph is cut."""
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = truncate(paragraph, limit)
    if current:
        chunks.append(current)
    return chunks


def _body_sections(body: str) -> list[str]:
    chunks = _split(escape_mrkdwn(body), SECTION_TEXT_MAX)
    if len(chunks) > BODY_SECTIONS_MAX:
        chunks = chunks[:BODY_SECTIONS_MAX]
        last = chunks[-1]
        chunks[-1] = (
            last if last.endswith(ELLIPSIS) else truncate(last + " " + ELLIPSIS, SECTION_TEXT_MAX)
        )
    return chunks


def block_id_for(message: Message, part: str | None = None) -> str | None:
    """``delivery:<id>`` (actions) or ``delivery:<id>:<part>``; None without a delivery id."""
    if message.delivery_id is None:
        return None
    base = f"{DELIVERY_PREFIX}:{message.delivery_id}"
    return f"{base}:{part}" if part else base


def delivery_id_from_block_id(block_id: str | None) -> int | None:
    """The delivery id carried by a click's ``block_id``, or None if it carries none."""
    if not block_id:
        return None
    prefix, _, rest = block_id.partition(":")
    if prefix != DELIVERY_PREFIX:
        return None
    number = rest.split(":", 1)[0]
    return int(number) if number.isdigit() else None


def action_from_action_id(action_id: str) -> ActionId:
    """The `ActionId` of a click (``pulse_answer:3`` → ``ActionId.pulse_answer``).

    Raises ValueError for an action id this renderer did not produce.
    """
    return ActionId(action_id.split(":", 1)[0])


def _action_ids(buttons: list[Button]) -> list[str]:
    repeated = {action for action, count in Counter(b.action for b in buttons).items() if count > 1}
    seen: Counter[ActionId] = Counter()
    ids: list[str] = []
    for button in buttons:
        if button.action in repeated:
            seen[button.action] += 1
            ids.append(f"{button.action.value}:{seen[button.action]}")
        else:
            ids.append(button.action.value)
    return ids


def _button(button: Button, action_id: str) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(button.label, BUTTON_TEXT_MAX), emoji=True),
        action_id=action_id,
        value=truncate(button.value, BUTTON_VALUE_MAX),
        style=button.style,
    )


def render_blocks(message: Message) -> list[Block]:
    """The message as Block Kit blocks (typed `slack_sdk` models, validated)."""
    blocks = _build_blocks(message)
    for block in blocks:
        block.validate_json()
    return blocks


def _build_blocks(message: Message) -> list[Block]:
    blocks: list[Block] = []
    headline = message.headline.strip()
    if headline:
        blocks.append(
            HeaderBlock(
                text=PlainTextObject(text=truncate(headline, HEADER_MAX), emoji=True),
                block_id=block_id_for(message, "headline"),
            )
        )
    body = message.body.strip()
    if body:
        for index, chunk in enumerate(_body_sections(body)):
            part = "body" if index == 0 else f"body{index + 1}"
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(text=chunk),
                    block_id=block_id_for(message, part),
                )
            )
    for section in message.sections[:SECTIONS_MAX]:
        blocks.extend(_section_blocks(section))
    context = (message.context or "").strip()
    if context:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=truncate(escape_mrkdwn(context), CONTEXT_TEXT_MAX))
                ],
                block_id=block_id_for(message, "context"),
            )
        )
    if message.buttons:
        elements = [
            _button(button, action_id)
            for button, action_id in zip(message.buttons, _action_ids(message.buttons), strict=True)
        ]
        for start in range(0, len(elements), ACTIONS_PER_BLOCK):
            suffix = None if start == 0 else f"actions{start // ACTIONS_PER_BLOCK + 1}"
            blocks.append(
                ActionsBlock(
                    elements=elements[start : start + ACTIONS_PER_BLOCK],
                    block_id=block_id_for(message, suffix),
                )
            )
    return blocks


def _section_blocks(section: Section) -> list[Block]:
    """A digest's part: its text, then its buttons in an actions block ``delivery:<id>``."""
    base = f"{DELIVERY_PREFIX}:{section.delivery_id}" if section.delivery_id is not None else None
    found: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=truncate(escape_mrkdwn(section.text), SECTION_TEXT_MAX)),
            block_id=f"{base}:section" if base else None,
        )
    ]
    if section.buttons:
        elements = [
            _button(button, action_id)
            for button, action_id in zip(section.buttons, _action_ids(section.buttons), strict=True)
        ]
        found.append(ActionsBlock(elements=elements[:ACTIONS_PER_BLOCK], block_id=base))
    return found


def fallback_text(message: Message) -> str:
    """The notification / no-blocks text: the message's fallback, escaped for mrkdwn."""
    return truncate(escape_mrkdwn(message.fallback), FALLBACK_TEXT_MAX)


def render_payload(message: Message) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / chat.update: ``text`` and ``blocks`` (dicts).

    A fan-out sends the same message to thousands of people, differing only in the delivery
    id carried by block ids and button values. Building and validating the blocks dominates
    the cost, so it happens once per distinct message; the id is put in afterwards.
    """
    key = template_key(message)
    if key is None:
        return _render(message)
    template = _template(key)
    delivery = str(message.delivery_id)
    return {
        "text": template["text"],
        "blocks": [_with_delivery(block, delivery) for block in template["blocks"]],
    }


def _render(message: Message) -> dict[str, Any]:
    return {
        "text": fallback_text(message),
        # to_dict() validates each block (limits, required fields) as it serialises
        "blocks": [block.to_dict() for block in _build_blocks(message)],
    }


@lru_cache(maxsize=512)
def _template(key: TemplateKey) -> dict[str, Any]:
    return _render(template_of(key))


def _with_delivery(block: dict[str, Any], delivery: str) -> dict[str, Any]:
    placeholder = f"{DELIVERY_PREFIX}:{TEMPLATE_ID}"
    copied = dict(block)
    block_id = copied.get("block_id")
    if isinstance(block_id, str) and (
        block_id == placeholder or block_id.startswith(placeholder + ":")
    ):
        copied["block_id"] = f"{DELIVERY_PREFIX}:{delivery}" + block_id[len(placeholder) :]
    if "elements" in copied and copied.get("type") == "actions":
        copied["elements"] = [
            {**element, "value": delivery} if element.get("value") == str(TEMPLATE_ID) else element
            for element in copied["elements"]
        ]
    return copied
