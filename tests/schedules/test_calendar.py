"""The working-day calendar: Norwegian holidays, nudge shifting and DST-safe send windows."""

from __future__ import annotations

import time as wallclock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from schedules.calendar import (
    WorkCalendar,
    local_to_utc,
    norwegian_public_holidays,
    parse_summer_break,
)

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def oslo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


# -- working days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2024, 6, 15), False, id="saturday"),
        pytest.param(date(2024, 6, 16), False, id="sunday"),
        pytest.param(date(2024, 6, 17), True, id="monday"),
        pytest.param(date(2024, 6, 21), True, id="friday"),
    ],
)
def test_weekends_are_days_off(calendar: WorkCalendar, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2024, 5, 17), id="17-may-2024-friday"),
        pytest.param(date(2025, 5, 17), id="17-may-2025-saturday"),
        pytest.param(date(2024, 5, 1), id="1-may-2024"),
        pytest.param(date(2024, 3, 28), id="maundy-thursday-2024"),
        pytest.param(date(2024, 3, 29), id="good-friday-2024"),
        pytest.param(date(2024, 3, 30), id="holy-saturday-2024"),
        pytest.param(date(2024, 3, 31), id="easter-sunday-2024"),
        pytest.param(date(2024, 4, 1), id="easter-monday-2024"),
        pytest.param(date(2025, 4, 17), id="maundy-thursday-2025"),
        pytest.param(date(2025, 4, 18), id="good-friday-2025"),
        pytest.param(date(2025, 4, 20), id="easter-sunday-2025"),
        pytest.param(date(2025, 4, 21), id="easter-monday-2025"),
        pytest.param(date(2024, 5, 9), id="ascension-2024"),
        pytest.param(date(2025, 5, 29), id="ascension-2025"),
        pytest.param(date(2024, 5, 20), id="whit-monday-2024"),
        pytest.param(date(2025, 6, 9), id="whit-monday-2025"),
        pytest.param(date(2024, 12, 24), id="christmas-eve-closed"),
        pytest.param(date(2024, 12, 25), id="christmas-day"),
        pytest.param(date(2024, 12, 26), id="boxing-day"),
        pytest.param(date(2024, 12, 31), id="new-years-eve-closed"),
        pytest.param(date(2025, 1, 1), id="new-years-day"),
    ],
)
def test_holidays_and_closed_days_are_days_off(calendar: WorkCalendar, day: date) -> None:
    assert calendar.is_working_day(day) is False


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2024, 5, 16), id="day-before-17-may-2024"),
        pytest.param(date(2024, 3, 27), id="wednesday-before-easter-2024"),
        pytest.param(date(2024, 4, 2), id="tuesday-after-easter-2024"),
        pytest.param(date(2025, 4, 22), id="tuesday-after-easter-2025"),
        pytest.param(date(2024, 5, 10), id="friday-after-ascension-2024"),
        pytest.param(date(2024, 12, 23), id="23-december-2024"),
        pytest.param(date(2024, 12, 27), id="27-december-2024"),
        pytest.param(date(2025, 1, 2), id="2-january-2025"),
    ],
)
def test_days_around_holidays_are_working_days(calendar: WorkCalendar, day: date) -> None:
    assert calendar.is_working_day(day) is True


def test_public_holiday_set_holds_only_the_real_holidays() -> None:
    # holidays.Norway can count every Sunday as a holiday; the calendar must not see them.
    assert norwegian_public_holidays(2024) == {
        date(2024, 1, 1),
        date(2024, 3, 28),
        date(2024, 3, 29),
        date(2024, 3, 31),
        date(2024, 4, 1),
        date(2024, 5, 1),
        date(2024, 5, 9),
        date(2024, 5, 17),
        date(2024, 5, 19),
        date(2024, 5, 20),
        date(2024, 12, 25),
        date(2024, 12, 26),
    }
    assert date(2024, 6, 16) not in norwegian_public_holidays(2024)  # an ordinary Sunday


def test_holiday_sets_are_cached_per_year() -> None:
    assert norwegian_public_holidays(2026) is norwegian_public_holidays(2026)


def test_closed_days_can_be_switched_off() -> None:
    calendar = WorkCalendar(closed_days=())
    assert calendar.is_working_day(date(2024, 12, 24)) is True
    assert calendar.is_working_day(date(2024, 12, 31)) is True
    assert calendar.is_working_day(date(2024, 12, 25)) is False


def test_closed_days_can_be_replaced() -> None:
    calendar = WorkCalendar(closed_days=[(12, 27)])
    assert calendar.is_working_day(date(2024, 12, 27)) is False
    assert calendar.is_working_day(date(2024, 12, 24)) is True


def test_extra_days_off() -> None:
    calendar = WorkCalendar(extra_days_off=frozenset({date(2024, 6, 19)}))
    assert calendar.is_working_day(date(2024, 6, 19)) is False
    assert calendar.next_working_day(date(2024, 6, 19)) == date(2024, 6, 20)


def test_a_whole_year_has_the_expected_number_of_working_days(calendar: WorkCalendar) -> None:
    # 262 weekdays in 2024, minus 10 weekday holidays, minus 24 and 31 December.
    assert calendar.working_days_between(date(2023, 12, 31), date(2024, 12, 31)) == 250


def test_a_datetime_is_not_a_day(calendar: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="expected a date"):
        calendar.is_working_day(utc(2024, 6, 17, 9))


# -- summer break ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2024, 6, 28), True, id="friday-before-break"),
        pytest.param(date(2024, 7, 1), False, id="first-day-of-break"),
        pytest.param(date(2024, 7, 17), False, id="middle-of-break"),
        pytest.param(date(2024, 8, 9), False, id="friday-inside-break"),
        pytest.param(date(2024, 8, 12), True, id="monday-after-break"),
        pytest.param(date(2025, 8, 8), False, id="next-year-inside-break"),
        pytest.param(date(2025, 8, 11), True, id="next-year-after-break"),
    ],
)
def test_summer_break_days_are_days_off(day: date, working: bool) -> None:
    calendar = WorkCalendar(summer_break=((7, 1), (8, 10)))
    assert calendar.is_working_day(day) is working


def test_summer_break_moves_nudges_out_of_it() -> None:
    calendar = WorkCalendar(summer_break=parse_summer_break("07-01/08-10"))
    assert calendar.shift_to_working_day(date(2024, 7, 15), leads_to_deadline=True) == date(
        2024, 6, 28
    )
    assert calendar.shift_to_working_day(date(2024, 7, 15), leads_to_deadline=False) == date(
        2024, 8, 12
    )
    assert calendar.next_send_slot(oslo(2024, 7, 3, 10)) == utc(2024, 8, 12, 7)


def test_without_summer_break_july_is_working(calendar: WorkCalendar) -> None:
    assert calendar.is_working_day(date(2024, 7, 15)) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("07-01/08-10", ((7, 1), (8, 10)), id="typical"),
        pytest.param(" 7-1 / 8-10 ", ((7, 1), (8, 10)), id="loose-spacing-and-digits"),
        pytest.param("02-29/03-01", ((2, 29), (3, 1)), id="leap-day"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param(None, None, id="none"),
    ],
)
def test_parse_summer_break(
    text: str | None, expected: tuple[tuple[int, int], tuple[int, int]] | None
) -> None:
    assert parse_summer_break(text) == expected
    assert WorkCalendar.parse_summer_break(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("07-01", "must look like 'MM-DD/MM-DD'", id="one-date"),
        pytest.param("july/august", "must look like 'MM-DD/MM-DD'", id="words"),
        pytest.param("2024-07-01/2024-08-10", "must look like 'MM-DD/MM-DD'", id="with-year"),
        pytest.param("13-01/08-10", "13-01 is not a valid month and day", id="bad-month"),
        pytest.param("07-32/08-10", "07-32 is not a valid month and day", id="bad-day"),
        pytest.param("08-10/07-01", "is after its end", id="reversed"),
    ],
)
def test_parse_summer_break_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_summer_break(text)


# -- moving between days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "previous", "following"),
    [
        pytest.param(date(2024, 6, 18), date(2024, 6, 18), date(2024, 6, 18), id="working-day"),
        pytest.param(date(2024, 6, 15), date(2024, 6, 14), date(2024, 6, 17), id="saturday"),
        pytest.param(date(2024, 3, 29), date(2024, 3, 27), date(2024, 4, 2), id="good-friday"),
        pytest.param(date(2024, 12, 24), date(2024, 12, 23), date(2024, 12, 27), id="christmas"),
        pytest.param(date(2024, 12, 31), date(2024, 12, 30), date(2025, 1, 2), id="new-year"),
    ],
)
def test_previous_and_next_working_day(
    calendar: WorkCalendar, day: date, previous: date, following: date
) -> None:
    assert calendar.previous_working_day(day) == previous
    assert calendar.next_working_day(day) == following


@pytest.mark.parametrize(
    ("day", "leads_to_deadline", "expected"),
    [
        pytest.param(date(2024, 5, 18), True, date(2024, 5, 16), id="deadline-sat-18-may-to-thu"),
        pytest.param(date(2024, 3, 31), False, date(2024, 4, 2), id="info-easter-sunday-to-tue"),
        pytest.param(date(2024, 4, 1), True, date(2024, 3, 27), id="deadline-easter-mon-to-wed"),
        pytest.param(date(2024, 5, 17), False, date(2024, 5, 21), id="info-17-may-past-whitsun"),
        pytest.param(date(2024, 12, 25), True, date(2024, 12, 23), id="deadline-christmas"),
        pytest.param(date(2024, 6, 18), True, date(2024, 6, 18), id="deadline-working-day-kept"),
        pytest.param(date(2024, 6, 18), False, date(2024, 6, 18), id="info-working-day-kept"),
    ],
)
def test_shift_to_working_day(
    calendar: WorkCalendar, day: date, leads_to_deadline: bool, expected: date
) -> None:
    assert calendar.shift_to_working_day(day, leads_to_deadline=leads_to_deadline) == expected


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        pytest.param(date(2024, 3, 27), 1, date(2024, 4, 2), id="across-easter"),
        pytest.param(date(2024, 3, 25), 5, date(2024, 4, 4), id="five-across-easter"),
        pytest.param(date(2024, 4, 2), -1, date(2024, 3, 27), id="back-across-easter"),
        pytest.param(date(2024, 6, 14), 1, date(2024, 6, 17), id="friday-plus-one"),
        pytest.param(date(2024, 6, 17), -1, date(2024, 6, 14), id="monday-minus-one"),
        pytest.param(date(2024, 6, 17), -6, date(2024, 6, 7), id="minus-six"),
        pytest.param(date(2024, 6, 15), 1, date(2024, 6, 17), id="saturday-plus-one"),
        pytest.param(date(2024, 6, 15), -1, date(2024, 6, 14), id="saturday-minus-one"),
        pytest.param(date(2024, 6, 17), 0, date(2024, 6, 17), id="zero-on-working-day"),
        pytest.param(date(2024, 6, 15), 0, date(2024, 6, 14), id="zero-on-saturday-goes-back"),
    ],
)
def test_add_working_days(calendar: WorkCalendar, day: date, n: int, expected: date) -> None:
    assert calendar.add_working_days(day, n) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(date(2024, 3, 27), date(2024, 4, 2), 1, id="across-easter"),
        pytest.param(date(2024, 4, 2), date(2024, 3, 27), -1, id="backwards-across-easter"),
        pytest.param(date(2024, 6, 10), date(2024, 6, 17), 5, id="one-week"),
        pytest.param(date(2024, 6, 15), date(2024, 6, 16), 0, id="weekend-only"),
        pytest.param(date(2024, 6, 17), date(2024, 6, 17), 0, id="same-day"),
    ],
)
def test_working_days_between(calendar: WorkCalendar, a: date, b: date, expected: int) -> None:
    assert calendar.working_days_between(a, b) == expected


def test_working_days_between_inverts_add_working_days(calendar: WorkCalendar) -> None:
    days = [date(2024, 3, 20) + timedelta(days=offset) for offset in range(20)]
    working = [day for day in days if calendar.is_working_day(day)]
    for a in days:
        for b in working:
            assert calendar.add_working_days(a, calendar.working_days_between(a, b)) == b


# -- send times -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2024, 1, 15), utc(2024, 1, 15, 8), id="winter-cet"),
        pytest.param(date(2024, 6, 17), utc(2024, 6, 17, 7), id="summer-cest"),
        pytest.param(date(2025, 3, 28), utc(2025, 3, 28, 8), id="friday-before-spring-switch"),
        pytest.param(date(2025, 3, 31), utc(2025, 3, 31, 7), id="monday-after-spring-switch"),
        pytest.param(date(2025, 10, 24), utc(2025, 10, 24, 7), id="friday-before-autumn-switch"),
        pytest.param(date(2025, 10, 27), utc(2025, 10, 27, 8), id="monday-after-autumn-switch"),
    ],
)
def test_send_time_in_oslo(calendar: WorkCalendar, day: date, expected: datetime) -> None:
    sent = calendar.send_time(day)
    assert sent == expected
    assert sent.tzinfo is UTC


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2025, 10, 27), utc(2025, 10, 27, 13), id="oslo-switched-ny-not-yet"),
        pytest.param(date(2025, 10, 31), utc(2025, 10, 31, 13), id="friday-before-ny-switch"),
        pytest.param(date(2025, 11, 3), utc(2025, 11, 3, 14), id="monday-after-ny-switch"),
        pytest.param(date(2026, 3, 6), utc(2026, 3, 6, 14), id="friday-before-ny-spring"),
        pytest.param(date(2026, 3, 9), utc(2026, 3, 9, 13), id="monday-after-ny-spring"),
    ],
)
def test_send_time_in_the_persons_zone(
    calendar: WorkCalendar, day: date, expected: datetime
) -> None:
    assert calendar.send_time(day, "America/New_York") == expected


def test_send_time_takes_a_date(calendar: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="takes a date"):
        calendar.send_time(utc(2024, 6, 17, 9))


@pytest.mark.parametrize(
    ("day", "wall", "zone", "expected"),
    [
        pytest.param(
            date(2024, 3, 31), time(2, 30), OSLO, utc(2024, 3, 31, 1), id="oslo-gap-to-transition"
        ),
        pytest.param(
            date(2024, 10, 27), time(2, 30), OSLO, utc(2024, 10, 27, 0, 30), id="oslo-overlap-fold0"
        ),
        pytest.param(
            date(2026, 3, 8), time(2, 30), NEW_YORK, utc(2026, 3, 8, 7), id="ny-gap-to-transition"
        ),
        pytest.param(
            date(2025, 11, 2), time(1, 30), NEW_YORK, utc(2025, 11, 2, 5, 30), id="ny-overlap-fold0"
        ),
        pytest.param(
            date(2025, 11, 2), time(2, 30), NEW_YORK, utc(2025, 11, 2, 7, 30), id="ny-after-overlap"
        ),
        pytest.param(
            date(2024, 6, 17), time(2, 30), OSLO, utc(2024, 6, 17, 0, 30), id="ordinary-day"
        ),
    ],
)
def test_local_to_utc_is_deterministic_in_gaps_and_overlaps(
    day: date, wall: time, zone: ZoneInfo, expected: datetime
) -> None:
    assert local_to_utc(day, wall, zone) == expected


def test_a_window_starting_in_the_spring_gap_opens_at_the_transition() -> None:
    calendar = WorkCalendar(window_start=time(2, 30), window_end=time(4))
    assert calendar.send_time(date(2024, 3, 31)) == utc(2024, 3, 31, 1)
    assert calendar.send_time(date(2024, 10, 27)) == utc(2024, 10, 27, 0, 30)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(oslo(2024, 6, 18, 8), utc(2024, 6, 18, 7), id="before-window"),
        pytest.param(oslo(2024, 6, 18, 9), utc(2024, 6, 18, 7), id="at-window-start"),
        pytest.param(oslo(2024, 6, 18, 10, 30), utc(2024, 6, 18, 8, 30), id="inside-window"),
        pytest.param(oslo(2024, 6, 18, 14, 59), utc(2024, 6, 18, 12, 59), id="last-minute"),
        pytest.param(oslo(2024, 6, 18, 15), utc(2024, 6, 19, 7), id="at-window-end"),
        pytest.param(oslo(2024, 6, 18, 20), utc(2024, 6, 19, 7), id="after-window"),
        pytest.param(oslo(2024, 6, 21, 18), utc(2024, 6, 24, 7), id="friday-evening-to-monday"),
        pytest.param(oslo(2024, 6, 22, 12), utc(2024, 6, 24, 7), id="saturday-noon-to-monday"),
        pytest.param(oslo(2024, 3, 28, 10), utc(2024, 4, 2, 7), id="maundy-thursday-to-tuesday"),
        pytest.param(oslo(2024, 3, 27, 16), utc(2024, 4, 2, 7), id="before-easter-to-tuesday"),
        pytest.param(oslo(2024, 12, 23, 16), utc(2024, 12, 27, 8), id="christmas-to-27-dec"),
    ],
)
def test_next_send_slot(calendar: WorkCalendar, now: datetime, expected: datetime) -> None:
    slot = calendar.next_send_slot(now)
    assert slot == expected
    assert slot.tzinfo is UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Norwegian holidays apply by date, the window is in the person's own zone.
        pytest.param(new_york(2024, 5, 16, 16), utc(2024, 5, 21, 13), id="past-17-may-whitsun"),
        pytest.param(new_york(2024, 7, 3, 20), utc(2024, 7, 4, 13), id="4-july-is-working"),
        pytest.param(new_york(2024, 6, 18, 8), utc(2024, 6, 18, 13), id="before-ny-window"),
        pytest.param(new_york(2024, 6, 18, 10), utc(2024, 6, 18, 14), id="inside-ny-window"),
    ],
)
def test_next_send_slot_for_a_person_in_new_york(
    calendar: WorkCalendar, now: datetime, expected: datetime
) -> None:
    assert calendar.next_send_slot(now, "America/New_York") == expected


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        pytest.param(oslo(2024, 6, 18, 8, 59), False, id="before-start"),
        pytest.param(oslo(2024, 6, 18, 9), True, id="start-inclusive"),
        pytest.param(oslo(2024, 6, 18, 14, 59), True, id="before-end"),
        pytest.param(oslo(2024, 6, 18, 15), False, id="end-exclusive"),
        pytest.param(oslo(2024, 6, 22, 10), False, id="saturday"),
        pytest.param(oslo(2024, 5, 17, 10), False, id="17-may"),
        pytest.param(utc(2024, 6, 18, 7), True, id="utc-input"),
    ],
)
def test_in_send_window(calendar: WorkCalendar, at: datetime, inside: bool) -> None:
    assert calendar.in_send_window(at) is inside


@pytest.mark.parametrize(
    ("at", "zone", "expected"),
    [
        pytest.param(utc(2024, 6, 17, 22, 30), None, date(2024, 6, 18), id="oslo-after-midnight"),
        pytest.param(utc(2024, 6, 17, 22, 30), "America/New_York", date(2024, 6, 17), id="ny"),
        pytest.param(utc(2024, 1, 17, 23, 30), None, date(2024, 1, 18), id="oslo-winter"),
        pytest.param(utc(2024, 1, 17, 22, 30), None, date(2024, 1, 17), id="oslo-winter-before"),
    ],
)
def test_local_date(calendar: WorkCalendar, at: datetime, zone: str | None, expected: date) -> None:
    assert calendar.local_date(at, zone) == expected


# -- stepping a virtual clock across DST nights --------------------------------------------


def _step(
    calendar: WorkCalendar, tz: str, first: datetime, last: datetime
) -> tuple[list[datetime], dict[date, int], dict[date, datetime]]:
    """Walk from ``first`` to ``last`` (exclusive) in 5-minute UTC steps.

    Returns the distinct future window starts seen, the in-window tick count per local day,
    and the first in-window tick per local day.
    """
    future: list[datetime] = []
    inside: dict[date, int] = {}
    first_inside: dict[date, datetime] = {}
    previous_slot: datetime | None = None
    now = first.astimezone(UTC)
    end = last.astimezone(UTC)
    while now < end:
        slot = calendar.next_send_slot(now, tz)
        assert slot >= now
        assert previous_slot is None or slot >= previous_slot
        previous_slot = slot
        if slot == now:
            assert calendar.in_send_window(now, tz)
            day = calendar.local_date(now, tz)
            inside[day] = inside.get(day, 0) + 1
            first_inside.setdefault(day, now)
        else:
            assert not calendar.in_send_window(now, tz)
            assert slot == calendar.send_time(calendar.local_date(slot, tz), tz)
            if not future or future[-1] != slot:
                future.append(slot)
        now += timedelta(minutes=5)
    return future, inside, first_inside


STEP_CASES = [
    pytest.param(
        "Europe/Oslo",
        oslo(2025, 10, 25),
        oslo(2025, 10, 28),
        [utc(2025, 10, 27, 8), utc(2025, 10, 28, 8)],
        id="oslo-autumn-sat-to-tue",
    ),
    pytest.param(
        "Europe/Oslo",
        oslo(2025, 10, 24),
        oslo(2025, 10, 29),
        [utc(2025, 10, 24, 7), utc(2025, 10, 27, 8), utc(2025, 10, 28, 8), utc(2025, 10, 29, 8)],
        id="oslo-autumn-fri-to-wed",
    ),
    pytest.param(
        "Europe/Oslo",
        oslo(2025, 3, 28),
        oslo(2025, 4, 2),
        [utc(2025, 3, 28, 8), utc(2025, 3, 31, 7), utc(2025, 4, 1, 7), utc(2025, 4, 2, 7)],
        id="oslo-spring-fri-to-wed",
    ),
    pytest.param(
        "America/New_York",
        new_york(2025, 10, 31),
        new_york(2025, 11, 5),
        [utc(2025, 10, 31, 13), utc(2025, 11, 3, 14), utc(2025, 11, 4, 14), utc(2025, 11, 5, 14)],
        id="new-york-autumn-fri-to-wed",
    ),
    pytest.param(
        "America/New_York",
        new_york(2026, 3, 6),
        new_york(2026, 3, 11),
        [utc(2026, 3, 6, 14), utc(2026, 3, 9, 13), utc(2026, 3, 10, 13), utc(2026, 3, 11, 13)],
        id="new-york-spring-fri-to-wed",
    ),
]


@pytest.mark.parametrize(("tz", "first", "last", "expected_starts"), STEP_CASES)
def test_stepping_across_dst_gives_one_window_per_working_day(
    tz: str, first: datetime, last: datetime, expected_starts: list[datetime]
) -> None:
    calendar = WorkCalendar()
    started = wallclock.perf_counter()
    future, inside, first_inside = _step(calendar, tz, first, last)
    assert wallclock.perf_counter() - started < 0.5

    assert future == expected_starts
    working_days = sorted(inside)
    assert working_days == [
        start.astimezone(ZoneInfo(tz)).date() for start in expected_starts if start < last
    ]
    # A full six-hour window of 5-minute ticks, whatever the offset did overnight.
    assert set(inside.values()) == {72}
    # Each window opens exactly at its start instant: not an hour early, not an hour late.
    assert [first_inside[day] for day in working_days] == [
        start for start in expected_starts if start < last
    ]


# -- configuration ------------------------------------------------------------------------


def test_from_settings() -> None:
    settings = Settings(
        _env_file=None,
        ARKBOT_TIMEZONE="Europe/Oslo",
        ARKBOT_SEND_WINDOW_START="08:30",
        ARKBOT_SEND_WINDOW_END="14:00",
        ARKBOT_SUMMER_BREAK="07-01/08-10",
    )
    calendar = WorkCalendar.from_settings(settings)
    assert calendar.timezone == "Europe/Oslo"
    assert calendar.window_start == time(8, 30)
    assert calendar.window_end == time(14)
    assert calendar.summer_break == ((7, 1), (8, 10))
    assert calendar.send_time(date(2024, 6, 17)) == utc(2024, 6, 17, 6, 30)


def test_from_settings_without_summer_break() -> None:
    settings = Settings(_env_file=None, ARKBOT_SUMMER_BREAK="")
    assert WorkCalendar.from_settings(settings).summer_break is None


def test_defaults() -> None:
    calendar = WorkCalendar()
    assert calendar.timezone == "Europe/Oslo"
    assert (calendar.window_start, calendar.window_end) == (time(9), time(15))
    assert calendar.summer_break is None
    assert calendar.extra_days_off == frozenset()
    assert calendar.closed_days == {(12, 24), (12, 31)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"window_start": time(15), "window_end": time(9)},
            "must be before its end",
            id="window-reversed",
        ),
        pytest.param(
            {"window_start": time(9), "window_end": time(9)},
            "must be before its end",
            id="window-empty",
        ),
        pytest.param(
            {"window_start": time(9, tzinfo=UTC)}, "without tzinfo", id="window-with-tzinfo"
        ),
        pytest.param({"timezone": "Europe/Olso"}, "unknown time zone 'Europe/Olso'", id="typo"),
        pytest.param({"timezone": ""}, "IANA name", id="empty-zone"),
        pytest.param(
            {"summer_break": ((2, 30), (3, 1))}, "02-30 is not a valid", id="summer-break-day"
        ),
        pytest.param(
            {"summer_break": ((8, 10), (7, 1))}, "is after its end", id="summer-break-reversed"
        ),
        pytest.param({"closed_days": [(12, 32)]}, "12-32 is not a valid", id="closed-day"),
        pytest.param(
            {"extra_days_off": frozenset({utc(2024, 6, 19)})},
            "must hold dates",
            id="extra-day-is-datetime",
        ),
    ],
)
def test_invalid_configuration(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(**kwargs)  # type: ignore[arg-type]


def test_invalid_person_zone(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        calendar.next_send_slot(utc(2024, 6, 18, 7), "Mars/Olympus")


def test_a_calendar_without_any_working_day_fails_clearly() -> None:
    calendar = WorkCalendar(summer_break=((1, 1), (12, 31)))
    with pytest.raises(ValueError, match="no working day within"):
        calendar.next_working_day(date(2024, 6, 17))


NAIVE = datetime(2024, 6, 18, 10)  # noqa: DTZ001 - deliberately naive, to be rejected


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.next_send_slot(NAIVE), id="next_send_slot"),
        pytest.param(lambda c: c.in_send_window(NAIVE), id="in_send_window"),
        pytest.param(lambda c: c.local_date(NAIVE), id="local_date"),
        pytest.param(lambda c: c.next_send_slot(NAIVE, "America/New_York"), id="with-zone"),
    ],
)
def test_naive_datetimes_are_rejected(
    calendar: WorkCalendar, call: Callable[[WorkCalendar], object]
) -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        call(calendar)
