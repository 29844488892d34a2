"""Starting arkbot with Teams configured prints none of the SDK's warnings about its own
preview parts (a user reads them as something wrong with their set-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_teams_app_raises_no_preview_warning_even_when_warnings_are_errors() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error::FutureWarning", "-c", "import bot.teams.app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "preview" not in done.stderr


def test_without_arkbot_the_sdk_does_warn() -> None:
    """The check above is worth something: the SDK itself still warns."""
    done = subprocess.run(
        [sys.executable, "-W", "error::FutureWarning", "-c", "import microsoft_teams.apps"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "HtmlWidgetSecurityPolicy is in preview" in done.stderr
