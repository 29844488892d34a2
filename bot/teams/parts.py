"""Small typed builders for the cards arkbot draws in Teams.

Text from people or data (names, titles, comments) goes into a TextRun, which Teams never
reads as markdown, so nobody can plant links or formatting in someone else's card.
"""

from __future__ import annotations

from typing import Any, Literal

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    ExecuteAction,
    RichTextBlock,
    TextBlock,
    TextRun,
)

CARD_VERSION = "1.5"
TEXT_MAX = 4000


def card(body: list[Any], actions: list[ExecuteAction] | None = None) -> AdaptiveCard:
    made = AdaptiveCard(version=CARD_VERSION, body=body)
    if actions:
        made.actions = list(actions)
    return made


def heading(text: str) -> TextBlock:
    return TextBlock(text=_cut(text), wrap=True, weight="Bolder", size="Medium")


def words(text: str, *, subtle: bool = False, attention: bool = False) -> TextBlock:
    """Catalogue text (our own, markdown allowed)."""
    block = TextBlock(text=_cut(text), wrap=True)
    if subtle:
        block.is_subtle = True
    if attention:
        block.color = "Attention"
    return block


def plain(*runs: str | tuple[str, bool]) -> RichTextBlock:
    """Text shown exactly as given; a (text, True) run is bold."""
    inlines = []
    for run in runs:
        text, bold = (run, False) if isinstance(run, str) else run
        inline = TextRun(text=_cut(text))
        if bold:
            inline.weight = "Bolder"
        inlines.append(inline)
    return RichTextBlock(inlines=inlines)


def button(
    title: str,
    data: dict[str, Any],
    *,
    style: Literal["positive", "destructive"] | None = None,
    inputs: Literal["auto", "none"] = "none",
) -> ExecuteAction:
    action = ExecuteAction(title=title, verb=str(data.get("action", "")), data=data)
    action.associated_inputs = inputs
    if style is not None:
        action.style = style
    return action


def buttons(actions: list[ExecuteAction]) -> ActionSet:
    return ActionSet(actions=actions)


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"
