"""The Teams app package: a zip with the manifest, its language files and the two icons.

Teams reads the files from the zip's root. The zip is built in memory and written only when
every value has passed its check, so a bad app id or host leaves no file behind. The same
inputs give the same bytes (fixed timestamps and order), so a package can be rebuilt and
compared.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.teams.icons import color_icon, outline_icon
from bot.teams.manifest import (
    COLOR_ICON,
    MANIFEST_FILE,
    OUTLINE_ICON,
    Developer,
    additional_languages,
    build_localization,
    build_manifest,
    check_app_id,
    check_host,
    check_version,
    default_version,
)

_FIXED_TIME = (2023, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PackageOptions:
    """What one install needs; `None` means the default (the version: arkbot's own)."""

    app_id: str | None
    host: str
    version: str | None = None
    developer_name: str | None = None
    website_url: str | None = None
    privacy_url: str | None = None
    terms_of_use_url: str | None = None


def package_files(options: PackageOptions) -> dict[str, bytes]:
    """Every file of the package by name, manifest first; raises ManifestError on bad values."""
    app_id = check_app_id(options.app_id)
    host = check_host(options.host)
    version = check_version(options.version or default_version())
    developer = Developer.for_host(
        host,
        name=options.developer_name,
        website_url=options.website_url,
        privacy_url=options.privacy_url,
        terms_of_use_url=options.terms_of_use_url,
    )
    manifest = build_manifest(app_id=app_id, host=host, version=version, developer=developer)
    contents = {MANIFEST_FILE: _json(manifest)}
    for tag, name in additional_languages().items():
        contents[name] = _json(build_localization(tag))
    contents[COLOR_ICON] = color_icon(manifest["accentColor"])
    contents[OUTLINE_ICON] = outline_icon()
    return contents


def build_package(options: PackageOptions) -> bytes:
    """The zip file's bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in package_files(options).items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def write_package(path: Path, options: PackageOptions) -> bytes:
    """Builds the package, then writes it to `path`; returns the bytes written."""
    data = build_package(options)
    path.write_bytes(data)
    return data


def _json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
