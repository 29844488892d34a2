"""Fixtures for the Teams app package: a built package, read back from its zip."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.config import get_settings
from bot.teams.package import PackageOptions, build_package

APP_ID = "1b4f6a2c-9d3e-4f5a-8b7c-0d1e2f3a4b5c"
HOST = "arkbot.example.org"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


@pytest.fixture
def clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No CLIENT_ID and no .env: each test says what the environment holds."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIENT_ID", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def package_zip() -> bytes:
    return build_package(PackageOptions(app_id=APP_ID, host=HOST, version="1.2.3"))


@pytest.fixture(scope="session")
def package(package_zip: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package_zip)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="session")
def manifest(package: dict[str, bytes]) -> dict[str, Any]:
    loaded = json.loads(package["manifest.json"].decode("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="session")
def nb_strings(package: dict[str, bytes]) -> dict[str, Any]:
    loaded = json.loads(package["nb.json"].decode("utf-8"))
    assert isinstance(loaded, dict)
    return loaded
