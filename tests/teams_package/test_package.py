"""`arkbot teams package`: the zip, its icons, and clear errors that leave no file behind."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from bot.teams.package import PackageOptions, build_package

from .conftest import APP_ID, HOST


def test_the_zip_holds_exactly_the_manifest_its_strings_and_two_icons(
    package_zip: bytes,
) -> None:
    with zipfile.ZipFile(io.BytesIO(package_zip)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    # Teams reads the files from the zip's root: no folder inside.
    assert names == ["manifest.json", "nb.json", "color.png", "outline.png"]


def test_the_same_inputs_give_the_same_bytes(package_zip: bytes) -> None:
    again = build_package(PackageOptions(app_id=APP_ID, host=HOST, version="1.2.3"))
    assert again == package_zip


def test_the_json_files_are_utf8_without_bom(package: dict[str, bytes]) -> None:
    for name in ("manifest.json", "nb.json"):
        assert not package[name].startswith(b"\xef\xbb\xbf")
        json.loads(package[name].decode("utf-8"))
    assert "å" in package["nb.json"].decode("utf-8")


def test_the_colour_icon_is_192_square_in_full_colour(package: dict[str, bytes]) -> None:
    icon = Image.open(io.BytesIO(package["color.png"]))
    assert icon.format == "PNG"
    assert icon.size == (192, 192)
    assert icon.mode == "RGB"
    colours = {colour for _, colour in icon.getcolors(maxcolors=192 * 192) or []}
    assert (0x00, 0x50, 0x9E) in colours  # the accent colour
    assert (255, 255, 255) in colours  # the white symbol


def test_the_outline_icon_is_32_square_white_on_transparent(package: dict[str, bytes]) -> None:
    icon = Image.open(io.BytesIO(package["outline.png"]))
    assert icon.format == "PNG"
    assert icon.size == (32, 32)
    assert icon.mode == "RGBA"
    red, green, blue, alpha = icon.split()
    # White everywhere; only the alpha channel draws the outline.
    assert [red.getextrema(), green.getextrema(), blue.getextrema()] == [(255, 255)] * 3
    histogram = alpha.histogram()
    assert histogram[0] > 32 * 32 // 3  # mostly transparent
    assert histogram[255] > 0  # and the outline is drawn, solid
    for corner in ((0, 0), (31, 0), (0, 31), (31, 31), (16, 8)):
        assert alpha.getpixel(corner) == 0, corner


def _run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["teams", "package", *args])
    return result.exit_code, result.output


def test_the_command_writes_the_package_with_client_id_from_the_environment(
    clean_settings: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENT_ID", APP_ID)
    out = clean_settings / "arkbot.zip"
    code, output = _run(runner, "-o", str(out), "--host", f"https://{HOST}/")
    assert code == 0, output
    assert "manifest.json" in output
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == [HOST]
    assert manifest["version"] == "0.1.0"  # arkbot's own version by default


def test_flags_win_over_the_environment(
    clean_settings: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENT_ID", "11111111-2222-3333-4444-555555555555")
    out = clean_settings / "teams.zip"
    code, output = _run(
        runner,
        *("-o", str(out), "--host", HOST, "--app-id", APP_ID, "--version", "2.0.1"),
        *("--developer-name", "NTNU", "--privacy-url", "https://www.ntnu.no/personvern"),
    )
    assert code == 0, output
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["id"] == APP_ID
    assert manifest["version"] == "2.0.1"
    assert manifest["developer"]["name"] == "NTNU"
    assert manifest["developer"]["privacyUrl"] == "https://www.ntnu.no/personvern"
    assert manifest["developer"]["termsOfUseUrl"] == f"https://{HOST}/terms"


def test_a_client_id_in_dot_env_is_used(clean_settings: Path, runner: CliRunner) -> None:
    (clean_settings / ".env").write_text(f"CLIENT_ID={APP_ID}\n", encoding="utf-8")
    out = clean_settings / "arkbot.zip"
    code, output = _run(runner, "-o", str(out), "--host", HOST)
    assert code == 0, output
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["id"] == APP_ID


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no app id: set CLIENT_ID"),
        (("--app-id", ""), "no app id: set CLIENT_ID"),
        (("--app-id", "arkbot"), "'arkbot' is not a GUID"),
        (("--app-id", "1b4f6a2c9d3e4f5a8b7c0d1e2f3a4b5c"), "is not a GUID"),
        (("--app-id", "{1b4f6a2c-9d3e-4f5a-8b7c-0d1e2f3a4b5c}"), "is not a GUID"),
        (("--app-id", APP_ID, "--version", "1.0"), "'1.0' is not X.Y.Z"),
    ],
)
def test_bad_values_are_clear_errors_with_exit_code_2_and_no_file(
    clean_settings: Path, runner: CliRunner, args: tuple[str, ...], message: str
) -> None:
    out = clean_settings / "arkbot.zip"
    code, output = _run(runner, "-o", str(out), "--host", HOST, *args)
    assert code == 2, output
    assert message in " ".join(output.split())
    assert not out.exists()


@pytest.mark.parametrize(
    "host", ["YOUR-HOST", "https://arkbot.example.org/api/messages", "arkbot.example.org:3978"]
)
def test_a_host_that_is_not_a_host_name_is_refused(
    clean_settings: Path, runner: CliRunner, host: str
) -> None:
    out = clean_settings / "arkbot.zip"
    code, output = _run(runner, "-o", str(out), "--host", host, "--app-id", APP_ID)
    assert code == 2, output
    assert "is not a host name" in " ".join(output.split())
    assert not out.exists()


def test_the_host_is_required(clean_settings: Path, runner: CliRunner) -> None:
    code, output = _run(runner, "-o", str(clean_settings / "a.zip"), "--app-id", APP_ID)
    assert code == 2
    assert "--host" in output


def test_an_http_link_is_refused(clean_settings: Path, runner: CliRunner) -> None:
    out = clean_settings / "arkbot.zip"
    code, output = _run(
        runner, "-o", str(out), "--host", HOST, "--app-id", APP_ID, "--terms-url", "http://x.no"
    )
    assert code == 2
    assert "--terms-url 'http://x.no' must be an https:// address" in " ".join(output.split())
    assert not out.exists()


def test_a_missing_folder_is_an_error(clean_settings: Path, runner: CliRunner) -> None:
    out = clean_settings / "missing" / "arkbot.zip"
    code, output = _run(runner, "-o", str(out), "--host", HOST, "--app-id", APP_ID)
    assert code == 2
    assert "is not a folder" in output
    assert not out.exists()
