"""The HTML report in a real browser: headless Chromium (Debian's `chromium` package), driven by
its own command line, in a phone-sized window.

`--dump-dom` gives the document as the browser built it: the three charts must be SVG in it.
`--screenshot` saves what a phone shows at the top of the report to
`artifacts/report-phone.png` (kept for a person to look at); the bars of the charts must be
there in their colours. Outside CI the test skips, saying why, when Chromium is missing; in
CI (CI=true) a missing browser is a failure, so the check never passes quietly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy
import pytest
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.reports import build_report, render_html
from bot.reports.charts import ACTION_COLOURS, TASK_COLOURS
from storage.db import make_engine, upgrade
from storage.models import ActionState
from tests.reports.seed import CALENDAR, PLAN, TODAY, seed

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOT = ARTIFACTS / "report-phone.png"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PHONE = (430, 2000)  # CSS pixels: a large phone, and enough height for the first two charts
TIMEOUT = 60  # seconds; a normal run takes one or two


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "Chromium is not installed: apt-get install -y chromium"
        if IN_CI:
            pytest.fail(f"{message} (required in CI)")
        pytest.skip(message)
    return found


def _run(browser: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    upgrade(engine)
    seed(engine)
    with Session(engine) as session:
        report = build_report(
            session, PLAN, unit_id=None, today=TODAY, calendar=CALENDAR, min_group=5
        )
    engine.dispose()
    path = tmp_path / "rapport.html"
    path.write_text(render_html(report, locale="nb"), encoding="utf-8")
    return path


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def test_the_charts_render_in_headless_chromium_on_a_phone(
    report_file: Path, tmp_path: Path
) -> None:
    browser = _chromium()
    url = report_file.as_uri()

    dom = _run(browser, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert '<html lang="nb">' in html
    assert len(re.findall(r'<svg[^>]*class="chart-svg"', html)) == 3
    for chart in ("phases", "actions", "pulse"):
        assert re.search(rf'<svg[^>]*aria-label="[^"]+"[^>]*>.*?id="{chart}-', html, re.DOTALL)
    assert "<path" in html  # the bars and lines are drawn, not just their frames

    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    shot = _run(
        browser,
        tmp_path / "profile-shot",
        f"--screenshot={SCREENSHOT}",
        f"--window-size={PHONE[0]},{PHONE[1]}",
        url,
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert SCREENSHOT.exists()

    with Image.open(SCREENSHOT) as image:
        assert image.size == PHONE
        pixels = numpy.asarray(image.convert("RGB"), dtype=numpy.int16).reshape(-1, 3)
    # Non-white: text, frames and charts; the page is far from blank.
    ink = int((pixels.min(axis=1) < 235).sum())
    assert ink > 0.05 * len(pixels)
    # The stacked bars per phase and the action bars, in the charts' own colours (the page's
    # CSS uses none of them): each fills a good many pixels.
    for colour in (
        TASK_COLOURS["done"],
        TASK_COLOURS["late"],
        TASK_COLOURS["due"],
        ACTION_COLOURS[ActionState.done],
    ):
        near = (numpy.abs(pixels - numpy.array(_rgb(colour))) <= 12).all(axis=1)
        assert int(near.sum()) > 1500, colour
