"""Starting arkbot with Teams configured prints none of the SDK's warnings about its own
preview parts (a user reads them as something wrong with their set-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_strictly(module: str) -> subprocess.CompletedProcess[str]:
    """`import module` in a fresh interpreter where a FutureWarning is an error."""
    return subprocess.run(
        [sys.executable, "-W", "error::FutureWarning", "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_importing_the_teams_app_raises_no_preview_warning_even_when_warnings_are_errors() -> None:
    done = _import_strictly("bot.teams.app")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "preview" not in done.stderr


def test_without_arkbot_the_sdk_does_warn() -> None:
    """The check above is worth something: the SDK itself still warns."""
    done = _import_strictly("microsoft_teams.apps")
    assert done.returncode != 0
    assert "HtmlWidgetSecurityPolicy is in preview" in done.stderr
