"""Text that people typed, made inert for the medium it is shown in.

Names, unit names, action titles, owners, comments and archive references come from the
organisation file and from what people type in Slack. None of it may turn into markup:

- `slack_mrkdwn` — Slack's mrkdwn: ``&``, ``<`` and ``>`` as entities, as Slack's "Formatting
  text for app surfaces" asks, so ``<!channel>``, ``<@U…>`` and ``<https://…|click>`` stay
  text. Catalogue markup (``*bold*``) is ours and is not touched: escape the values, not the
  template (`bot.i18n.catalog.t_mrkdwn`).
- `rich_text` — the terminal (Rich): no console markup (``[bold red]``) and no control or
  escape codes (``\\x1b[2J``, a bare CR that overwrites a line).
- `csv_cell` — a spreadsheet cell: a value starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a CR is a formula to Excel and LibreOffice; OWASP's advice is a leading ``'``.
- `strip_controls` — control characters (C0 except tab and line feed, DEL, C1) removed.
- `log_value` — one line for a log: CR, LF and other controls shown as escapes, cut short.
"""

from __future__ import annotations

import re

from rich.markup import escape as _rich_escape

# C0 controls except \t and \n, DEL and the C1 range (which holds the 8-bit CSI, \x9b).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# ANSI/VT escape sequences (CSI … final byte, OSC … BEL/ST, two-character ESC sequences).
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def slack_mrkdwn(text: object) -> str:
    """`text` as literal mrkdwn: ``&`` → ``&amp;`` (first, so nothing is doubled), ``<`` →
    ``&lt;``, ``>`` → ``&gt;``."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_controls(text: object) -> str:
    """`text` without escape sequences and control characters; tab and line feed stay."""
    return _CONTROLS.sub("", _ANSI.sub("", str(text)))


def rich_text(text: object) -> str:
    """`text` for Rich output that interprets markup: controls stripped, ``[`` escaped."""
    return _rich_escape(strip_controls(text))


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never evaluates (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def log_value(value: object, limit: int = 200) -> str:
    """A value from a request, safe inside one log line: no CR/LF or other controls."""
    text = str(value)
    escaped = text.encode("unicode_escape").decode("ascii") if _needs_escape(text) else text
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def _needs_escape(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029" for ch in text)
