"""The catalogues: every text a person reads, in Norwegian bokmål and English.

Keys are dotted (``reminder.headline``); values are `str.format` templates. The two
catalogues must hold the same keys with the same placeholders (a test checks it).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date

from bot.escape import slack_mrkdwn

LOCALES = ("nb", "en")
DEFAULT_LOCALE = "nb"
_HERE = Path(__file__).resolve().parent
# Babel's plain "en" is American ("October 13, 2023"); British English reads like the seed.
_BABEL_LOCALE = {"nb": "nb_NO", "en": "en_GB"}


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(node)


@cache
def catalogue(locale: str) -> dict[str, str]:
    """`<locale>.yaml` merged with every `<locale>.<part>.yaml` beside it (one file a feature)."""
    flat: dict[str, str] = {}
    for path in sorted(_HERE.glob(f"{locale}.yaml")) + sorted(_HERE.glob(f"{locale}.*.yaml")):
        part: dict[str, str] = {}
        _flatten("", yaml.safe_load(path.read_text(encoding="utf-8")) or {}, part)
        clash = sorted(set(part) & set(flat))
        if clash:
            raise ValueError(f"{path.name} repeats keys already defined: {', '.join(clash[:5])}")
        flat.update(part)
    return flat


def normalise_locale(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    short = locale.replace("_", "-").split("-")[0].lower()
    if short in ("no", "nn", "nb"):
        return "nb"
    return short if short in LOCALES else DEFAULT_LOCALE


def t(locale: str | None, key: str, **values: Any) -> str:
    """The text for `key` in `locale`, filled in; an unknown key is a programming error."""
    template = catalogue(normalise_locale(locale))[key]
    return template.format(**values) if values else template


def t_mrkdwn(locale: str | None, key: str, **values: Any) -> str:
    """`t` for text sent to Slack as mrkdwn: every value is escaped (``<!channel>`` stays
    text), the catalogue's own markup (``*bold*``) is kept. For text sent straight to a Slack
    API (``chat.postMessage`` text, an ephemeral reply); a `Message` holds plain text, and its
    renderer escapes it whole."""
    return t(locale, key, **{name: slack_mrkdwn(value) for name, value in values.items()})


def format_day(day: date, locale: str | None) -> str:
    """A date as its readers write it: "13. oktober 2023" / "13 October 2023"."""
    return _format_day(day, normalise_locale(locale))


@cache
def _format_day(day: date, locale: str) -> str:
    # Babel parses its locale data on every call; a fan-out formats the same few dates.
    return str(format_date(day, format="long", locale=_BABEL_LOCALE[locale]))
