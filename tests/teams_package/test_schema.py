"""The generated manifest and its Norwegian strings file against Microsoft's own schemas.

The schemas in `schema/` are Microsoft's v1.22 files, unchanged (see schema/README.md). Beyond
the schema, the manifest holds what arkbot needs from Teams: one bot in the 1:1 chat that
receives files (the calendar file goes out through a file consent card), converses (not
notification-only) and lists the commands of COMMANDS.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft4Validator

from bot.teams.commands import COMMANDS
from bot.teams.manifest import localization_schema_url, schema_version

from .conftest import APP_ID, HOST, SCHEMA_DIR

SCHEMA_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.22/"


def _schema(name: str) -> dict[str, Any]:
    loaded = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    Draft4Validator.check_schema(loaded)
    assert isinstance(loaded, dict)
    return loaded


def _errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    validator = Draft4Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_manifest_is_valid_against_microsofts_schema(manifest: dict[str, Any]) -> None:
    assert _errors(_schema("MicrosoftTeams.schema.json"), manifest) == []


def test_the_norwegian_strings_are_valid_against_the_localization_schema(
    nb_strings: dict[str, Any],
) -> None:
    assert _errors(_schema("MicrosoftTeams.Localization.schema.json"), nb_strings) == []


def test_the_vendored_schema_is_the_version_the_manifest_names(manifest: dict[str, Any]) -> None:
    schema = _schema("MicrosoftTeams.schema.json")
    assert schema["properties"]["manifestVersion"]["const"] == schema_version() == "1.22"
    assert manifest["manifestVersion"] == "1.22"
    assert manifest["$schema"] == SCHEMA_URL + "MicrosoftTeams.schema.json"
    assert localization_schema_url() == SCHEMA_URL + "MicrosoftTeams.Localization.schema.json"


def test_the_schema_catches_what_teams_would_refuse(manifest: dict[str, Any]) -> None:
    """The validation is real: a bad id, a missing icon or an 11th command are errors."""
    schema = _schema("MicrosoftTeams.schema.json")
    bad_id = {**manifest, "id": "not-a-guid"}
    no_icon = {**manifest, "icons": {"color": "color.png"}}
    bot = manifest["bots"][0]
    commands = bot["commandLists"][0]["commands"]
    eleven = {
        **manifest,
        "bots": [{**bot, "commandLists": [{"scopes": ["personal"], "commands": commands * 2}]}],
    }
    for broken in (bad_id, no_icon, eleven):
        assert _errors(schema, broken) != []


def test_the_bot_is_a_conversational_1_to_1_bot_that_receives_files(
    manifest: dict[str, Any],
) -> None:
    [bot] = manifest["bots"]
    assert bot["botId"] == manifest["id"] == APP_ID
    assert bot["scopes"] == ["personal"]
    assert bot["supportsFiles"] is True
    assert bot["isNotificationOnly"] is False
    assert [command_list["scopes"] for command_list in bot["commandLists"]] == [["personal"]]
    assert "staticTabs" not in manifest  # the home is a card in the chat, not a tab
    assert manifest["validDomains"] == [HOST]
    assert manifest["version"] == "1.2.3"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_developer_links_come_from_the_host(manifest: dict[str, Any]) -> None:
    assert manifest["developer"] == {
        "name": HOST,
        "websiteUrl": f"https://{HOST}/",
        "privacyUrl": f"https://{HOST}/privacy",
        "termsOfUseUrl": f"https://{HOST}/terms",
    }


def test_the_command_menu_lists_every_command_in_order(
    manifest: dict[str, Any], nb_strings: dict[str, Any]
) -> None:
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert [command["title"] for command in commands] == [command.name for command in COMMANDS]
    assert len(commands) <= 10
    for index, command in enumerate(COMMANDS):
        title = nb_strings[f"bots[0].commandLists[0].commands[{index}].title"]
        assert title in command.words, (title, command)
        assert nb_strings[f"bots[0].commandLists[0].commands[{index}].description"]


@pytest.mark.parametrize("document", ["manifest", "nb_strings"])
def test_command_texts_fit_the_localization_limits(
    document: str, request: pytest.FixtureRequest
) -> None:
    """Titles ≤ 32 and descriptions ≤ 128 characters, as the localization schema demands."""
    loaded = request.getfixturevalue(document)
    if document == "manifest":
        commands = loaded["bots"][0]["commandLists"][0]["commands"]
        texts = [(c["title"], c["description"]) for c in commands]
    else:
        texts = [
            (loaded[f"{key}.title"], loaded[f"{key}.description"])
            for key in (f"bots[0].commandLists[0].commands[{i}]" for i in range(len(COMMANDS)))
        ]
    for title, description in texts:
        assert 0 < len(title) <= 32
        assert 0 < len(description) <= 128


def test_the_english_and_norwegian_texts_differ(
    manifest: dict[str, Any], nb_strings: dict[str, Any]
) -> None:
    assert nb_strings["description.full"] != manifest["description"]["full"]
    assert nb_strings["name.full"] != manifest["name"]["full"]
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en",
        "additionalLanguages": [{"languageTag": "nb", "file": "nb.json"}],
    }


def test_both_files_name_the_same_schema_version(
    manifest: dict[str, Any], nb_strings: dict[str, Any]
) -> None:
    """Teams wants the manifest and its localization files on one schema version."""
    assert nb_strings["$schema"] == localization_schema_url()
    assert manifest["$schema"].rsplit("/", 2)[-2] == nb_strings["$schema"].rsplit("/", 2)[-2]
