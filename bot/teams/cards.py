"""Render a platform-neutral `Message` as an Adaptive Card (v1.5), with the SDK's typed builders.

Layout: the headline (bold), the body (one TextBlock per paragraph), a digest's parts (each
unit's line and its own buttons, which carry that unit's delivery id), a subtle context
line, an optional note (the "answered" state: ``render_card(message, note=…)`` draws the
same card without buttons and with the note at the end), and one `Action.Execute` per
`Button`.

Clicks: every button is ``Action.Execute`` with ``verb`` = the `ActionId` and
``data = {"action": <ActionId>, "delivery_id": <id or None>, "value": <button value>}``.
The SDK's ``app.on_card_action_execute("task_done")`` routes by ``data["action"]``.

Markup: TextBlocks interpret a subset of Markdown. Text is escaped so that names, unit
names, titles and comments typed by people can never become links, lists or emphasis.
The catalogues' own Slack-style ``*bold*`` spans (``Deadline: *13 October*``) are kept as
bold, with their contents escaped too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.messages import (
    SECTIONS_MAX,
    TEMPLATE_ID,
    Button,
    Message,
    Section,
    TemplateKey,
    template_key,
    template_of,
)

if TYPE_CHECKING:
    from microsoft_teams.cards import AdaptiveCard, CardElement, ExecuteAction

CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TEXT_MAX = 5000  # per TextBlock; Teams cards are limited to about 28 KB in all
PARAGRAPHS_MAX = 20
TITLE_MAX = 100
ELLIPSIS = "…"

_MARKDOWN_CHARS = re.compile(r"([\\`*_\[\]()~#>!|<{}])")
_LINE_START_BULLET = re.compile(r"(?m)^(\s*)([-+=])")
_LINE_START_NUMBER = re.compile(r"(?m)^(\s*\d+)([.)])")
_BOLD_SPAN = re.compile(r"\*([^*\n]+)\*")
_STYLE = {"primary": "positive", "danger": "destructive"}


def escape_markdown(text: str) -> str:
    """`text` with every Adaptive Card Markdown control character backslash-escaped.

    Emphasis (``*``, ``_``), links (``[x](y)``), code, headings and quotes are escaped
    everywhere; list markers (``- ``, ``+ ``, ``1. ``) only at the start of a line.
    """
    return _escape_line_starts(_escape_chars(text))


def _escape_chars(text: str) -> str:
    return _MARKDOWN_CHARS.sub(r"\\\1", text)


def _escape_line_starts(text: str) -> str:
    text = _LINE_START_BULLET.sub(r"\1\\\2", text)
    return _LINE_START_NUMBER.sub(r"\1\\\2", text)


def _markdown_with_bold(text: str) -> str:
    """Escaped text where the catalogue's ``*bold*`` spans become ``**bold**``."""
    out: list[str] = []
    position = 0
    for match in _BOLD_SPAN.finditer(text):
        out.append(_escape_chars(text[position : match.start()]))
        out.append(f"**{_escape_chars(match.group(1))}**")
        position = match.end()
    out.append(_escape_chars(text[position:]))
    return _escape_line_starts("".join(out))


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def plain_text(text: str) -> str:
    """The catalogue's ``*bold*`` markers dropped, for plain-text places."""
    return _BOLD_SPAN.sub(r"\1", text)


def card_fallback_text(message: Message) -> str:
    """Plain text for notifications and hosts that cannot show the card."""
    return truncate(plain_text(message.fallback), TEXT_MAX)


def button_data(delivery_id: int | None, button: Button) -> dict[str, Any]:
    """What a click on `button` sends back (``data`` of its Action.Execute): the delivery id
    of the message, or of the digest part the button belongs to."""
    return {"action": button.action.value, "delivery_id": delivery_id, "value": button.value}


def _action(delivery_id: int | None, button: Button) -> ExecuteAction:
    from microsoft_teams.cards import ExecuteAction

    action = (
        ExecuteAction(title=truncate(button.label, TITLE_MAX))
        .with_verb(button.action.value)
        .with_data(button_data(delivery_id, button))
    )
    style = _STYLE.get(button.style or "")
    if style is not None:
        action = action.with_style(style)  # type: ignore[arg-type]
    return action


def render_card(message: Message, note: str | None = None) -> AdaptiveCard:
    """The message as an Adaptive Card. With `note`: the answered state (no buttons, the
    note appended as the last line)."""
    from microsoft_teams.cards import ActionSet, AdaptiveCard, TextBlock

    body: list[CardElement] = []
    headline = message.headline.strip()
    if headline:
        body.append(
            TextBlock(
                text=truncate(escape_markdown(headline), TEXT_MAX),
                weight="Bolder",
                size="Medium",
                wrap=True,
            )
        )
    paragraphs = [part.strip() for part in message.body.split("\n\n") if part.strip()]
    if len(paragraphs) > PARAGRAPHS_MAX:
        paragraphs = [*paragraphs[: PARAGRAPHS_MAX - 1], " ".join(paragraphs[PARAGRAPHS_MAX - 1 :])]
    for paragraph in paragraphs:
        body.append(TextBlock(text=truncate(_markdown_with_bold(paragraph), TEXT_MAX), wrap=True))
    for section in message.sections[:SECTIONS_MAX]:
        body.extend(_section_elements(section, answered=note is not None))
    context = (message.context or "").strip()
    if context:
        body.append(
            TextBlock(
                text=truncate(escape_markdown(context), TEXT_MAX),
                is_subtle=True,
                size="Small",
                wrap=True,
            )
        )
    if note is not None and note.strip():
        body.append(
            TextBlock(
                text=truncate(_markdown_with_bold(note.strip()), TEXT_MAX),
                wrap=True,
                separator=True,
                weight="Bolder",
            )
        )
    elif message.buttons:
        body.append(
            ActionSet(actions=[_action(message.delivery_id, button) for button in message.buttons])
        )
    return AdaptiveCard(
        version=CARD_VERSION,
        body=body,
        lang=message.locale,
        fallback_text=card_fallback_text(message),
    )


def _section_elements(section: Section, *, answered: bool) -> list[CardElement]:
    """A digest's part: its line, then (unless the whole card is answered) its buttons."""
    from microsoft_teams.cards import ActionSet, TextBlock

    found: list[CardElement] = [
        TextBlock(
            text=truncate(_markdown_with_bold(section.text), TEXT_MAX), wrap=True, separator=True
        )
    ]
    if section.buttons and not answered:
        actions = [_action(section.delivery_id, button) for button in section.buttons]
        found.append(ActionSet(actions=actions))
    return found


def card_json(card: AdaptiveCard) -> dict[str, Any]:
    """The card as the JSON Teams receives (camelCase keys, no nulls)."""
    dumped: dict[str, Any] = card.model_dump(by_alias=True, exclude_none=True)
    return dumped


def card_payload(message: Message, note: str | None = None) -> dict[str, Any]:
    """`render_card` as the JSON Teams receives, for sending many similar cards.

    A fan-out sends one text to thousands of people, differing only in the delivery id in
    the buttons' data. Building the typed card dominates the cost, so it is built once per
    distinct message and the delivery id is put into a copy of its JSON afterwards.
    """
    delivery = message.delivery_id
    if message.sections:  # a digest: its parts' buttons carry their own delivery ids
        return card_json(render_card(message, note))
    if delivery is None:
        return _copy(_template(message.model_dump_json(), note))
    key = template_key(message)
    if key is not None:
        payload = _copy(_from_key(key, note))
        for element in payload["body"]:
            if element.get("type") == "ActionSet":
                for action in element["actions"]:
                    action["data"]["delivery_id"] = delivery
                    action["data"]["value"] = str(delivery)
        return payload
    ids_only = all(b.value == str(delivery) for b in message.buttons)
    template = message.model_copy(
        update={
            "delivery_id": TEMPLATE_ID,
            "buttons": [b.model_copy(update={"value": str(TEMPLATE_ID)}) for b in message.buttons]
            if ids_only
            else message.buttons,
        }
    )
    payload = _copy(_template(template.model_dump_json(), note))
    for element in payload["body"]:
        if element.get("type") == "ActionSet":
            for action in element["actions"]:
                data = action["data"]
                data["delivery_id"] = delivery
                if ids_only:
                    data["value"] = str(delivery)
    return payload


@lru_cache(maxsize=512)
def _from_key(key: TemplateKey, note: str | None) -> dict[str, Any]:
    return card_json(render_card(template_of(key), note))


@lru_cache(maxsize=512)
def _template(message_json: str, note: str | None) -> dict[str, Any]:
    return card_json(render_card(Message.model_validate_json(message_json), note))


def _copy(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough to change the buttons' data without touching the template."""
    copied = dict(payload)
    copied["body"] = [
        {
            **element,
            "actions": [{**action, "data": dict(action["data"])} for action in element["actions"]],
        }
        if element.get("type") == "ActionSet"
        else element
        for element in payload["body"]
    ]
    return copied
