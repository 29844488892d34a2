"""A calendar file for the follow-up meeting, so the leader can send the invitation from
Outlook (or any calendar) as the seed asks.

The file is an iTIP request (METHOD:REQUEST) with one event: Outlook opens it as a meeting
invitation with the attendees filled in. Times are written in UTC, which every client reads
without a time-zone block. The UID is derived from a seed (e.g. cycle, milestone and unit),
so a file produced twice for the same meeting updates one event instead of adding another.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//arkbot//ARK//NB"
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "arkbot.invalid")


def _utc(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def _mailto(email: str, what: str) -> vCalAddress:
    address = email.strip()
    if not address or "@" not in address:
        raise ValueError(f"{what} needs an e-mail address, got {email!r}")
    return vCalAddress(f"mailto:{address}")


def invitation_uid(uid_seed: str) -> str:
    """The event's UID: the same seed always gives the same UID."""
    return f"{uuid.uuid5(_UID_NAMESPACE, uid_seed)}@arkbot"


def follow_up_invitation(
    *,
    summary: str,
    description: str,
    organizer_email: str,
    attendees: list[str],
    starts_at: datetime,
    duration: timedelta,
    location: str | None,
    uid_seed: str,
    now: datetime,
) -> bytes:
    """An .ics meeting request (UTF-8, CRLF lines) for the follow-up meeting.

    Raises ValueError for naive datetimes, a non-positive duration or a missing organizer
    address. Attendees are deduplicated (case-insensitive), the organizer left out.
    """
    start = _utc(starts_at, "starts_at")
    stamp = _utc(now, "now")
    if duration <= timedelta(0):
        raise ValueError(f"duration must be positive, got {duration}")
    if not uid_seed:
        raise ValueError("uid_seed must not be empty")
    organizer = _mailto(organizer_email, "the organizer")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")

    event = Event()
    event.add("uid", invitation_uid(uid_seed))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + duration)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", organizer)

    seen = {organizer_email.strip().lower()}
    for email in attendees:
        key = email.strip().lower()
        if key in seen:
            continue
        seen.add(key)
        attendee = _mailto(email, "an attendee")
        attendee.params["CUTYPE"] = vText("INDIVIDUAL")
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
        attendee.params["RSVP"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    result: bytes = calendar.to_ical()
    return result
