"""The follow-up meeting's calendar file: an invitation Outlook opens as a meeting request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.ics import PRODID, follow_up_invitation

NOW = datetime(2024, 1, 8, 9, 30, tzinfo=UTC)
START = datetime(2024, 1, 15, 10, 0, tzinfo=ZoneInfo("Europe/Oslo"))


def invitation(**changes: object) -> bytes:
    arguments: dict[str, object] = {
        "summary": "Oppfølgingsmøte: arbeidsmiljøundersøkelsen",
        "description": "Resultater; bevaringsområder, utviklingsområder",
        "organizer_email": "leder.a@example.org",
        "attendees": ["ansatt1@example.org", "ansatt2@example.org", "ANSATT1@example.org"],
        "starts_at": START,
        "duration": timedelta(hours=2),
        "location": "Rom 101",
        "uid_seed": "ntnu-ark-2023-2025|follow-up-meeting|IFA",
        "now": NOW,
    }
    arguments.update(changes)
    return follow_up_invitation(**arguments)  # type: ignore[arg-type]


def parse(data: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_calendar_is_a_meeting_request() -> None:
    calendar, _ = parse(invitation())
    assert str(calendar["PRODID"]) == PRODID == "-//arkbot//ARK//NB"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"


def test_event_fields() -> None:
    _, event = parse(invitation())
    assert str(event["SUMMARY"]) == "Oppfølgingsmøte: arbeidsmiljøundersøkelsen"  # type: ignore[index]
    assert str(event["DESCRIPTION"]) == "Resultater; bevaringsområder, utviklingsområder"  # type: ignore[index]
    assert str(event["LOCATION"]) == "Rom 101"  # type: ignore[index]
    start = event["DTSTART"].dt  # type: ignore[index]
    end = event["DTEND"].dt  # type: ignore[index]
    assert start == datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)
    assert end - start == timedelta(hours=2)
    assert event["DTSTAMP"].dt == NOW  # type: ignore[index]
    assert str(event["ORGANIZER"]) == "mailto:leder.a@example.org"  # type: ignore[index]


def test_attendees_are_asked_to_reply() -> None:
    data = invitation()
    _, event = parse(data)
    attendees = event["ATTENDEE"]  # type: ignore[index]
    assert [str(a) for a in attendees] == [
        "mailto:ansatt1@example.org",
        "mailto:ansatt2@example.org",
    ]
    for attendee in attendees:
        assert attendee.params["RSVP"] == "TRUE"
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert b"\r\n" in data  # RFC 5545 line endings


def test_uid_is_stable_for_the_same_seed() -> None:
    _, first = parse(invitation())
    _, again = parse(invitation(now=NOW + timedelta(days=1), summary="Endret"))
    _, other = parse(invitation(uid_seed="ntnu-ark-2023-2025|follow-up-meeting|IFB"))
    assert str(first["UID"]) == str(again["UID"])  # type: ignore[index]
    assert str(first["UID"]) != str(other["UID"])  # type: ignore[index]
    assert str(first["UID"]).endswith("@arkbot")  # type: ignore[index]


def test_no_location_leaves_it_out() -> None:
    _, event = parse(invitation(location=None))
    assert "LOCATION" not in event  # type: ignore[operator]


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_at": datetime(2024, 1, 15, 10, 0)},  # noqa: DTZ001 (the point of the test)
        {"now": datetime(2024, 1, 8, 9, 30)},  # noqa: DTZ001
        {"duration": timedelta(0)},
        {"organizer_email": ""},
    ],
)
def test_bad_input_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"timezone-aware|duration|e-mail"):
        invitation(**changes)
