"""The checks on what the administrator gives: host, version and developer."""

from __future__ import annotations

import pytest

from bot.teams.manifest import (
    Developer,
    ManifestError,
    check_app_id,
    check_host,
    check_version,
    default_developer_name,
)


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("arkbot.example.org", "arkbot.example.org"),
        ("ARKBOT.Example.org", "arkbot.example.org"),
        ("https://arkbot.example.org/", "arkbot.example.org"),
        (" bot-1.ntnu.no ", "bot-1.ntnu.no"),
    ],
)
def test_a_host_is_a_lower_case_name(given: str, host: str) -> None:
    assert check_host(given) == host


@pytest.mark.parametrize("given", ["", "localhost", "-bad.example.org", "a b.no", "http://x.no"])
def test_other_hosts_are_refused(given: str) -> None:
    with pytest.raises(ManifestError, match="is not a host name"):
        check_host(given)


def test_versions_are_three_numbers() -> None:
    assert check_version("10.0.12") == "10.0.12"
    for bad in ("1.0", "01.2.3", "1.2.3-beta", "v1.2.3"):
        with pytest.raises(ManifestError, match=r"is not X\.Y\.Z"):
            check_version(bad)


def test_an_app_id_in_capitals_is_a_guid_too() -> None:
    guid = "1B4F6A2C-9D3E-4F5A-8B7C-0D1E2F3A4B5C"
    assert check_app_id(f" {guid} ") == guid


def test_a_long_host_gives_a_developer_name_that_fits() -> None:
    host = "arkbot-survey-assistant.hr.faculty.ntnu.no"
    assert default_developer_name(host) == "hr.faculty.ntnu.no"
    assert len(Developer.for_host(host).name) <= 32
    with pytest.raises(ManifestError, match="1–32 characters"):
        Developer.for_host(host, name="x" * 33)
