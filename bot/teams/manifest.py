"""The Teams app manifest: the template in `manifest.template.json`, filled in for one install.

The template holds what is the same for every institution (schema version, the bot's scope,
files, icons, colour); this module adds the app id, version, host, developer links and the
texts, which come from the catalogues (`teamspkg.*`): English in `manifest.json`, Norwegian
bokmål in the localization file `nb.json`. The values are checked here against the
constraints of Microsoft's manifest schema v1.22, so a bad flag is a clear error rather than
a package Teams refuses; the tests validate the result against the schema itself.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from importlib.resources import files
from typing import Any

from bot.i18n.catalog import normalise_locale, t
from bot.teams.commands import COMMANDS

MANIFEST_FILE = "manifest.json"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"

# The patterns of Microsoft's schema (definitions guid, semver, httpsUrl).
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SEMVER = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
DEVELOPER_NAME_MAX = 32
URL_MAX = 2048


class ManifestError(ValueError):
    """A value the manifest cannot hold; the message says what to give instead."""


@cache
def template() -> dict[str, Any]:
    text = files("bot.teams").joinpath("manifest.template.json").read_text(encoding="utf-8")
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def schema_version() -> str:
    return str(template()["manifestVersion"])


def default_language() -> str:
    """The language of the texts in `manifest.json` itself."""
    return str(template()["localizationInfo"]["defaultLanguageTag"])


def additional_languages() -> dict[str, str]:
    """Each further language's tag and the file in the package that holds its texts."""
    entries = template()["localizationInfo"]["additionalLanguages"]
    return {str(entry["languageTag"]): str(entry["file"]) for entry in entries}


def localization_schema_url() -> str:
    return str(template()["$schema"]).replace(
        "MicrosoftTeams.schema.json", "MicrosoftTeams.Localization.schema.json"
    )


def check_app_id(value: str | None) -> str:
    """The Entra app registration's Application (client) ID, which must be a GUID."""
    if value is None or not value.strip():
        raise ManifestError(
            "no app id: set CLIENT_ID (the Application (client) ID of the Entra app "
            "registration) in the environment or .env, or pass --app-id"
        )
    value = value.strip()
    if not _GUID.fullmatch(value):
        raise ManifestError(
            f"app id {value!r} is not a GUID: copy the Application (client) ID of the Entra "
            "app registration, e.g. 00000000-0000-0000-0000-000000000000"
        )
    return value


def check_host(value: str) -> str:
    """The public host name that serves arkbot over HTTPS (a URL's scheme and `/` are dropped)."""
    host = value.strip().lower().removeprefix("https://").rstrip("/")
    if not _HOST.fullmatch(host) or len(host) > 253:
        raise ManifestError(
            f"host {value!r} is not a host name: give the public host that serves "
            "`arkbot serve` over HTTPS, without path or port, e.g. arkbot.example.org"
        )
    return host


def check_version(value: str) -> str:
    value = value.strip()
    if not _SEMVER.fullmatch(value):
        raise ManifestError(
            f"version {value!r} is not X.Y.Z: Teams wants three numbers, e.g. 1.0.0, and a "
            "higher one for each update of the app"
        )
    return value


def check_https_url(value: str, flag: str) -> str:
    value = value.strip()
    if not re.match(r"https://[^/\s]+", value) or len(value) > URL_MAX or " " in value:
        raise ManifestError(f"{flag} {value!r} must be an https:// address")
    return value


def default_version() -> str:
    """arkbot's own version, which is X.Y.Z."""
    try:
        return package_version("arkbot")
    except PackageNotFoundError:  # pragma: no cover - arkbot runs installed
        return "0.1.0"


def default_developer_name(host: str) -> str:
    """The host, or its longest tail of labels that fits Teams' 32 characters."""
    labels = host.split(".")
    for start in range(len(labels)):
        name = ".".join(labels[start:])
        if len(name) <= DEVELOPER_NAME_MAX:
            return name
    return "arkbot"


@dataclass(frozen=True)
class Developer:
    name: str
    website_url: str
    privacy_url: str
    terms_of_use_url: str

    @classmethod
    def for_host(
        cls,
        host: str,
        *,
        name: str | None = None,
        website_url: str | None = None,
        privacy_url: str | None = None,
        terms_of_use_url: str | None = None,
    ) -> Developer:
        """The developer block; every value not given is derived from the host."""
        name = (name or default_developer_name(host)).strip()
        if not name or len(name) > DEVELOPER_NAME_MAX:
            raise ManifestError(
                f"developer name {name!r} must be 1–{DEVELOPER_NAME_MAX} characters"
            )
        return cls(
            name=name,
            website_url=check_https_url(website_url or f"https://{host}/", "--website-url"),
            privacy_url=check_https_url(privacy_url or f"https://{host}/privacy", "--privacy-url"),
            terms_of_use_url=check_https_url(
                terms_of_use_url or f"https://{host}/terms", "--terms-url"
            ),
        )


def build_manifest(*, app_id: str, host: str, version: str, developer: Developer) -> dict[str, Any]:
    """`manifest.json` for this install; the arguments must have passed the checks above."""
    manifest = copy.deepcopy(template())
    language = default_language()
    manifest["id"] = app_id
    manifest["version"] = version
    manifest["developer"] = {
        "name": developer.name,
        "websiteUrl": developer.website_url,
        "privacyUrl": developer.privacy_url,
        "termsOfUseUrl": developer.terms_of_use_url,
    }
    manifest["name"] = {
        "short": t(language, "teamspkg.name.short"),
        "full": t(language, "teamspkg.name.full"),
    }
    manifest["description"] = {
        "short": t(language, "teamspkg.description.short"),
        "full": t(language, "teamspkg.description.full"),
    }
    [bot] = manifest["bots"]
    bot["botId"] = app_id
    [command_list] = bot["commandLists"]
    command_list["commands"] = [
        {
            "title": t(language, command.title_key),
            "description": t(language, command.description_key),
        }
        for command in COMMANDS
    ]
    manifest["validDomains"] = [host]
    return manifest


def build_localization(tag: str) -> dict[str, Any]:
    """The strings file for an additional language: the same texts, translated."""
    locale = normalise_locale(tag)
    if tag not in additional_languages() or locale != tag:
        raise KeyError(f"no catalogue for the manifest language {tag!r}")
    strings: dict[str, Any] = {
        "$schema": localization_schema_url(),
        "name.short": t(locale, "teamspkg.name.short"),
        "name.full": t(locale, "teamspkg.name.full"),
        "description.short": t(locale, "teamspkg.description.short"),
        "description.full": t(locale, "teamspkg.description.full"),
    }
    for index, command in enumerate(COMMANDS):
        key = f"bots[0].commandLists[0].commands[{index}]"
        strings[f"{key}.title"] = t(locale, command.title_key)
        strings[f"{key}.description"] = t(locale, command.description_key)
    return strings
