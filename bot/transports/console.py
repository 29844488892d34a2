"""The embedded default transport: show each message in the terminal as the recipient would see it.

    ╭─ Kari Nordmann <kari@example.org> ────╮
    │ Fill in the survey                    │
    │ The survey closes on 13 October 2023. │
    │ Step 3 of 7                           │
    │                                       │
    │ [ Done ]  [ Remind me tomorrow ]      │
    ╰──────────────────────── reminder #42 ─╯

With ``quiet=True`` it prints nothing and only records what it was given, in ``.sent`` —
for tests and fast simulations. Text is shown literally (no Rich markup is interpreted).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from bot.escape import strip_controls
from bot.messages import Button, Message
from bot.transports.base import Recipient, SendResult

_BUTTON_STYLES = {"primary": "bold green", "danger": "bold red", None: "bold"}


@dataclass(frozen=True, slots=True)
class SentMessage:
    recipient: Recipient
    message: Message
    result: SendResult


def buttons_line(buttons: list[Button]) -> Text:
    """``[ Done ]  [ Remind me tomorrow ]``, styled by each button's style."""
    line = Text()
    for index, button in enumerate(buttons):
        if index:
            line.append("  ")
        line.append(f"[ {button.label} ]", style=_BUTTON_STYLES.get(button.style, "bold"))
    return line


_BOLD = re.compile(r"\*([^*\n]+)\*")


def mrkdwn_text(text: str, style: str = "") -> Text:
    """Slack's *bold* shown as bold in the terminal; everything else literally."""
    text = strip_controls(text)
    out = Text(style=style)
    position = 0
    for match in _BOLD.finditer(text):
        out.append(text[position : match.start()])
        out.append(match.group(1), style="bold")
        position = match.end()
    out.append(text[position:])
    return out


def render_panel(recipient: Recipient, message: Message) -> Panel:
    """The message as a Rich panel titled with the recipient."""
    parts: list[RenderableType] = []
    if message.headline:
        parts.append(Text(strip_controls(message.headline), style="bold"))
    if message.body:
        parts.append(mrkdwn_text(message.body))
    for section in message.sections:
        parts.append(mrkdwn_text(section.text))
        if section.buttons:
            parts.append(buttons_line(section.buttons))
    if message.context:
        parts.append(Text(strip_controls(message.context), style="dim"))
    if message.buttons:
        parts.append(Text())
        parts.append(buttons_line(message.buttons))
    subtitle = message.kind.value
    if message.delivery_id is not None:
        subtitle += f" #{message.delivery_id}"
    return Panel(
        Group(*parts),
        title=Text(strip_controls(f"{recipient.name} <{recipient.email}>")),
        title_align="left",
        subtitle=Text(subtitle, style="dim"),
        subtitle_align="right",
        expand=False,
    )


class ConsoleTransport:
    """Prints messages to a Rich console (or, quiet, only records them)."""

    platform: str = "console"

    def __init__(
        self,
        console: Console | None = None,
        workspace: str = "default",
        *,
        quiet: bool = False,
    ) -> None:
        self.console = console if console is not None else Console()
        self.workspace = workspace
        self.quiet = quiet
        self._lock = threading.Lock()
        self._counter = 0
        self._sent: list[SentMessage] = []

    @property
    def sent(self) -> list[SentMessage]:
        """Every message sent through this transport, in order (in both modes)."""
        with self._lock:
            return list(self._sent)

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        with self._lock:
            self._counter += 1
            result = SendResult(
                platform=self.platform,
                channel_id=f"console:{recipient.email}",
                message_id=str(self._counter),
            )
            self._sent.append(SentMessage(recipient, message, result))
            if not self.quiet:
                # under the lock, so panels from several sender threads never interleave
                self.console.print(render_panel(recipient, message))
        return result
