"""The Slack app manifest: Slack's structure, exactly the scopes the bot needs, and the README.

Field names and limits follow Slack's app manifest reference (docs.slack.dev/reference/
app-manifest) as typed in the official Node SDK (slackapi/node-slack-sdk,
packages/web-api/src/types/request/manifest.ts): name ≤ 35 characters, description ≤ 140,
long_description 174–4000, bot display_name ≤ 80 of a-z 0-9 - _ ., command ≤ 32 with its
leading slash.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.server import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "bot" / "slack" / "manifest.yaml"
README = ROOT / "README.md"
EVENTS_URL = f"https://YOUR-HOST{EVENTS_PATH}"

# What the bot calls, and the scope each needs: chat.postMessage/chat.update (chat:write),
# /ark (commands), conversations.open (im:write), users.lookupByEmail (users:read.email,
# which Slack grants only together with users:read), the .ics upload (files:write), and
# conversations.history of the bot's DMs before resending after a crash (im:history).
EXPECTED_SCOPES = {
    "chat:write",
    "im:history",
    "commands",
    "im:write",
    "users:read",
    "users:read.email",
    "files:write",
}

# Slack's granular bot scopes, as listed in the official Node SDK's manifest types
# (BotScope in slackapi/node-slack-sdk packages/web-api/src/types/request/manifest.ts,
# generated from docs.slack.dev/reference/scopes?token_types=Bot).
KNOWN_BOT_SCOPES = {
    "app_mentions:read",
    "bookmarks:read",
    "bookmarks:write",
    "calls:read",
    "calls:write",
    "channels:history",
    "channels:join",
    "channels:manage",
    "channels:read",
    "channels:write.invites",
    "channels:write.topic",
    "chat:write",
    "chat:write.customize",
    "chat:write.public",
    "commands",
    "conversations.connect:manage",
    "conversations.connect:read",
    "conversations.connect:write",
    "datastore:read",
    "datastore:write",
    "dnd:read",
    "emoji:read",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "groups:write.invites",
    "groups:write.topic",
    "im:history",
    "im:read",
    "im:write",
    "incoming-webhook",
    "links.embed:write",
    "links:read",
    "links:write",
    "metadata.message:read",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "mpim:write.invites",
    "mpim:write.topic",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "reminders:read",
    "reminders:write",
    "remote_files:read",
    "remote_files:share",
    "remote_files:write",
    "team.billing:read",
    "team.preferences:read",
    "team:read",
    "tokens.basic",
    "triggers:read",
    "triggers:write",
    "usergroups:read",
    "usergroups:write",
    "users.profile:read",
    "users:read",
    "users:read.email",
    "users:write",
    "workflow.steps:execute",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def install_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Install in your workspace\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "README.md has no section 'Install in your workspace'"
    return match.group(1)


def test_the_manifest_has_exactly_slacks_top_level_structure(manifest: dict[str, Any]) -> None:
    assert list(manifest) == ["display_information", "features", "oauth_config", "settings"]
    assert set(manifest["features"]) == {"app_home", "bot_user", "slash_commands"}
    assert set(manifest["settings"]) == {
        "event_subscriptions",
        "interactivity",
        "org_deploy_enabled",
        "socket_mode_enabled",
        "token_rotation_enabled",
    }


def test_display_information_is_within_slacks_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert set(info) <= {"name", "description", "long_description", "background_color"}
    assert 0 < len(info["name"]) <= 35
    assert 0 < len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", info["background_color"])


def test_bot_user_and_app_home(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert re.fullmatch(r"[a-z0-9._-]{1,80}", features["bot_user"]["display_name"])
    assert features["bot_user"]["always_online"] is True
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }


def test_the_ark_command_posts_to_the_events_endpoint(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert command == {
        "command": "/ark",
        "url": EVENTS_URL,
        "description": command["description"],
        "usage_hint": "help | status | plan | tiltak | lang nb|en | pause | report",
        "should_escape": False,
    }
    assert len(command["command"]) <= 32
    assert 0 < len(command["description"]) <= 2000


def test_the_bot_asks_for_exactly_the_scopes_it_needs(manifest: dict[str, Any]) -> None:
    assert manifest["oauth_config"] == {
        "scopes": {"bot": manifest["oauth_config"]["scopes"]["bot"]}
    }
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "a scope is listed twice"
    assert set(scopes) == EXPECTED_SCOPES


def test_every_scope_is_one_slack_documents(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes <= KNOWN_BOT_SCOPES, scopes - KNOWN_BOT_SCOPES
    assert "users:read" in scopes  # Slack grants users:read.email only together with it


def test_events_and_interactivity_go_to_the_events_endpoint(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["event_subscriptions"] == {
        "request_url": EVENTS_URL,
        "bot_events": ["app_home_opened", "app_uninstalled", "tokens_revoked", "user_change"],
    }
    assert settings["interactivity"] == {"is_enabled": True, "request_url": EVENTS_URL}
    assert settings["org_deploy_enabled"] is False
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_the_manifest_ships_with_the_package() -> None:
    shipped = files("bot.slack").joinpath("manifest.yaml")
    assert shipped.is_file()
    assert shipped.read_text(encoding="utf-8") == MANIFEST.read_text(encoding="utf-8")


def test_the_readme_install_section_names_every_scope(
    manifest: dict[str, Any], install_section: str
) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    table = dict(re.findall(r"^\| `([a-z._:-]+)` \| (.+?) \|$", install_section, re.M))
    assert set(table) == scopes, "the README's scope table and the manifest differ"
    assert all(len(why) > 10 for why in table.values()), "say why each scope is needed"
    mentioned = set(re.findall(r"`([a-z._:-]+)`", install_section))
    assert mentioned & KNOWN_BOT_SCOPES == scopes  # no other bot scope is mentioned


def test_the_readme_install_section_walks_from_manifest_to_running_bot(
    install_section: str,
) -> None:
    for needed in (
        "bot/slack/manifest.yaml",
        "YOUR-HOST",
        "api.slack.com/apps",
        "From an app manifest",
        "Install to Workspace",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "arkbot org import",
        "arkbot serve",
        "$PORT",
        EVENTS_PATH,
        "socket_mode_enabled: true",
        "connections:write",
        "SLACK_APP_TOKEN",
    ):
        assert needed in " ".join(install_section.split()), needed
