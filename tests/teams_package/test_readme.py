"""The README's "Install in Microsoft Teams" matches the package that is built."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.core import TyperGroup
from typer.main import get_command

from bot.cli import app
from bot.i18n.catalog import t
from bot.teams.commands import COMMANDS
from bot.teams.manifest import schema_version

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def raw_section(readme: str) -> str:
    match = re.search(r"^## Install in Microsoft Teams\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    assert match, "README.md has no section 'Install in Microsoft Teams'"
    return match.group(1)


@pytest.fixture(scope="module")
def section(raw_section: str) -> str:
    """The section with its line breaks and indents as single spaces."""
    return " ".join(raw_section.split())


def test_the_teams_section_follows_the_slack_one(readme: str) -> None:
    headings = re.findall(r"^## (.+)$", readme, re.M)
    slack = headings.index("Install in your workspace")
    assert headings[slack + 1] == "Install in Microsoft Teams"


def test_the_section_names_every_command_in_both_languages(
    raw_section: str, section: str, manifest: dict[str, Any]
) -> None:
    table = dict(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", raw_section, re.M))
    for command in COMMANDS:
        assert table.get(command.name) == t("nb", command.title_key), command.name
    menu = [c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]]
    assert list(table) == menu
    assert "`home`" in section  # the home card's other word


def test_the_section_walks_from_entra_to_a_running_bot(section: str) -> None:
    for needed in (
        "App registrations",
        "single tenant",
        "Application (client) ID",
        "Directory (tenant) ID",
        "Client secrets",
        "Azure Bot",
        "Use existing app registration",
        "https://YOUR-HOST/api/messages",
        "Microsoft Teams",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "TENANT_ID",
        "ARKBOT_DEFAULT_PLATFORM=teams",
        "arkbot teams package -o arkbot.zip --host YOUR-HOST",
        "--app-id",
        "--version X.Y.Z",
        "code 2",
        "Manage apps → Upload new app",
        "Manage your apps → Upload an app",
        "Setup policies → Global (Org-wide default) → Installed apps → Add apps",
        "TeamsAppInstallation.ReadWriteSelfForUser.All",
        "arkbot serve",
        "/slack/events",
        "/healthz",
        "$PORT",
        f"schema {schema_version()}",
        "no personal tab",
        "file consent card",
    ):
        assert needed in section, needed


def test_the_flags_the_section_names_exist(section: str) -> None:
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    teams = group.commands["teams"]
    assert isinstance(teams, TyperGroup)
    params = {opt for param in teams.commands["package"].params for opt in param.opts}
    named = set(re.findall(r"`(--[a-z-]+)", section))
    assert named
    assert named <= params, named - params
