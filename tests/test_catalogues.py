"""The catalogues: both languages hold the same keys with the same placeholders."""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path

import pytest

from bot.i18n.catalog import LOCALES, catalogue, format_day, normalise_locale, t

ROOT = Path(__file__).resolve().parents[1]


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    nb, en = catalogue("nb"), catalogue("en")
    assert sorted(set(nb) ^ set(en)) == []
    different = {key for key in nb if _placeholders(nb[key]) != _placeholders(en[key])}
    assert different == set()


def test_every_literal_key_used_in_code_exists() -> None:
    used: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        used |= set(
            re.findall(r"\bt\(\s*[\w.]+,\s*\"([a-z0-9_.]+)\"", path.read_text(encoding="utf-8"))
        )
    assert used, "no catalogue keys found in bot/"
    missing = sorted(key for key in used if key not in catalogue("nb"))
    assert missing == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_empty_texts(locale: str) -> None:
    assert [key for key, text in catalogue(locale).items() if not text.strip()] == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, "nb"), ("no", "nb"), ("nn-NO", "nb"), ("en_GB", "en"), ("de", "nb")],
)
def test_locales_people_have_map_to_the_two_we_speak(given: str | None, expected: str) -> None:
    assert normalise_locale(given) == expected


def test_dates_read_as_each_language_writes_them() -> None:
    assert format_day(date(2023, 10, 13), "nb") == "13. oktober 2023"
    assert format_day(date(2023, 10, 13), "en") == "13 October 2023"
    assert t("en", "left.days", days=3) == "in 3 days"
