"""COMMANDS: the one list of what a person can type, for the manifest and the bot alike."""

from __future__ import annotations

import pytest

from bot.conversation.commands import CANONICAL
from bot.i18n.catalog import LOCALES, catalogue
from bot.teams.commands import COMMANDS, Command, find_command


def test_the_commands_are_the_ones_of_slacks_ark() -> None:
    """Every word the conversation core understands (Slack's `/ark` parses the same ones),
    in the order of `/ark help`."""
    words = [word for command in COMMANDS for word in command.words]
    assert len(words) == len(set(words)), "a word names two commands"
    assert set(words) == set(CANONICAL)
    # Slack has a Home tab; in Teams the home is a card, shown on "home" as on "status".
    assert find_command("home") == find_command("status")
    assert [command.name for command in COMMANDS] == [
        "help",
        "status",
        "plan",
        "tiltak",
        "lang",
        "pause",
        "report",
        "date",
    ]
    assert [command.name for command in COMMANDS if command.coordinator_only] == ["report", "date"]


def test_teams_allows_ten_commands_at_most() -> None:
    assert 0 < len(COMMANDS) <= 10


@pytest.mark.parametrize("locale", LOCALES)
def test_every_command_has_a_title_and_description_in_each_language(locale: str) -> None:
    texts = catalogue(locale)
    for command in COMMANDS:
        assert texts[command.title_key] in command.words, (locale, command.name)
        assert 0 < len(texts[command.description_key]) <= 128
    english = catalogue("en")
    assert [english[command.title_key] for command in COMMANDS] == [c.name for c in COMMANDS]


def test_the_package_keys_are_all_used() -> None:
    """No stale `teamspkg.command.*` text for a command that is gone."""
    used = {key for command in COMMANDS for key in (command.title_key, command.description_key)}
    listed = {key for key in catalogue("en") if key.startswith("teamspkg.command.")}
    assert listed == used


@pytest.mark.parametrize(
    ("typed", "name"),
    [("help", "help"), ("Hjelp", "help"), (" språk ", "lang"), ("RAPPORT", "report")],
)
def test_a_typed_word_finds_its_command(typed: str, name: str) -> None:
    found = find_command(typed)
    assert isinstance(found, Command)
    assert found.name == name


def test_an_unknown_word_finds_nothing() -> None:
    assert find_command("hjemme") is None
    assert find_command("") is None
