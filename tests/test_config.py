from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from bot.config import DEFAULT_DATABASE_URL, Settings
from storage.db import normalise_url


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.transport == "auto"
    assert settings.send_window_start == time(9)
    assert settings.reminder_offsets == [14, 3, 0]
    assert settings.slack_bot_token is None


def test_environment_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARKBOT_REMINDER_OFFSETS", "10, 2,0")
    monkeypatch.setenv("ARKBOT_SEND_WINDOW_START", "08:30")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-a-real-token")
    settings = Settings(_env_file=None)
    assert settings.reminder_offsets == [10, 2, 0]
    assert settings.send_window_start == time(8, 30)
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert "xoxb" not in repr(settings)  # secrets never show in logs


def test_bad_offsets_say_what_to_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARKBOT_REMINDER_OFFSETS", "two weeks")
    with pytest.raises(ValidationError, match=r"e\.g\. 14,3,0"):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///arkbot.db", "sqlite:///arkbot.db"),
    ],
)
def test_database_urls_people_paste_use_psycopg3(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_pulse_groups_are_never_smaller_than_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARKBOT_PULSE_MIN_GROUP", "2")
    with pytest.raises(ValidationError, match="at least 3"):
        Settings(_env_file=None)
    monkeypatch.setenv("ARKBOT_PULSE_MIN_GROUP", "3")
    assert Settings(_env_file=None).pulse_min_group == 3
