"""The working-day calendar: which days a nudge may go out on, and at what instant.

Two ideas are kept apart on purpose:

* **Which days are working days** is the *institution's* calendar: Norwegian public
  holidays, weekends, the configured closed days (24 and 31 December by default), the
  summer break and any extra days off. It is decided by the calendar date alone, for every
  person, wherever they are.
* **When in the day a nudge goes out** is the *person's* own clock: the send window
  (09:00–15:00 by default) is read in the person's time zone (the calendar's zone when the
  person's is unknown), and every instant returned is an aware ``datetime`` in UTC.

So a colleague in New York gets the nudge for 17 May (a Norwegian holiday) not on 17 May,
and gets Tuesday's nudge at 09:00 New York time.

The planner calls this for very many (date, person) pairs, so everything is cached: the
holiday set per year (module level, shared by all calendars), the working-day verdict per
date, and the window start and end per (date, zone). A calendar is immutable once built, so
the caches never go stale.

Public holidays come from ``holidays.Norway(include_sundays=False)``. The flag matters:
in Norway every Sunday is legally a *helligdag*, and older releases of the ``holidays``
package (before the default was flipped) return every Sunday as a holiday unless told
otherwise. We pass the flag explicitly so the set holds only the real public holidays
(1 Jan, Maundy Thursday, Good Friday, Easter Sunday and Monday, 1 May, 17 May, Ascension
Day, Whit Sunday and Monday, 25 and 26 Dec) whatever version is installed; weekends are
excluded separately anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

MonthDay = tuple[int, int]
"""A (month, day) pair, e.g. ``(12, 24)``."""

SummerBreak = tuple[MonthDay, MonthDay]
"""Inclusive first and last (month, day) of the summer break."""

DEFAULT_CLOSED_DAYS: tuple[MonthDay, ...] = ((12, 24), (12, 31))
"""Christmas Eve and New Year's Eve: not public holidays in Norway, but universities close."""

# The longest run of days off we are willing to search through before declaring the
# configuration broken (a summer break plus weekends and holidays stays well under this).
_MAX_SEARCH_DAYS = 400
# A real Norwegian year has 12 public holidays; far more means Sundays slipped in.
_MAX_PUBLIC_HOLIDAYS = 15
_SUMMER_BREAK_RE = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s*/\s*(\d{1,2})-(\d{1,2})\s*$")
_ONE_DAY = timedelta(days=1)


class CalendarSettings(Protocol):
    """The part of :class:`bot.config.Settings` the calendar reads."""

    @property
    def timezone(self) -> str: ...

    @property
    def send_window_start(self) -> time: ...

    @property
    def send_window_end(self) -> time: ...

    @property
    def summer_break(self) -> str: ...


@cache
def norwegian_public_holidays(year: int) -> frozenset[date]:
    """The Norwegian public holidays of ``year`` (Sundays only when they are one by name)."""
    days = frozenset(holidays.Norway(years=year, include_sundays=False).keys())
    if len(days) > _MAX_PUBLIC_HOLIDAYS:  # pragma: no cover - guards a package regression
        raise RuntimeError(
            f"holidays.Norway returned {len(days)} days for {year}; expected only the public "
            "holidays (did it include every Sunday?)"
        )
    return days


@cache
def _zone(key: str) -> ZoneInfo:
    if not key or not isinstance(key, str):
        raise ValueError(f"time zone must be an IANA name such as 'Europe/Oslo', got {key!r}")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {key!r}; use an IANA name such as 'Europe/Oslo'"
        ) from error


def _month_day(month: int, day: int, what: str) -> MonthDay:
    try:
        date(2000, month, day)  # a leap year, so 02-29 is accepted
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} {month:02d}-{day:02d} is not a valid month and day") from error
    return (month, day)


def parse_summer_break(text: str | None) -> SummerBreak | None:
    """Parse ``"MM-DD/MM-DD"`` (e.g. ``"07-01/08-10"``, both ends inclusive).

    An empty or blank string (or None) means no summer break. The break may not span New
    Year, so the start must not come after the end.
    """
    if text is None or not text.strip():
        return None
    match = _SUMMER_BREAK_RE.match(text)
    if match is None:
        raise ValueError(
            f"summer_break must look like 'MM-DD/MM-DD' (e.g. '07-01/08-10'), got {text!r}"
        )
    start_month, start_day, end_month, end_day = (int(part) for part in match.groups())
    return _validated_summer_break(((start_month, start_day), (end_month, end_day)))


def _validated_summer_break(value: SummerBreak) -> SummerBreak:
    (start_month, start_day), (end_month, end_day) = value
    start = _month_day(start_month, start_day, "summer break start")
    end = _month_day(end_month, end_day, "summer break end")
    if start > end:
        raise ValueError(
            f"summer break start {start[0]:02d}-{start[1]:02d} is after its end "
            f"{end[0]:02d}-{end[1]:02d}; a break may not span New Year"
        )
    return (start, end)


def _require_aware(at: datetime) -> None:
    if not isinstance(at, datetime):
        raise TypeError(f"expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {at.isoformat()}")


def local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``zone``, deterministically.

    * An ambiguous time (the repeated hour when clocks go back) is read with ``fold=0``,
      i.e. the first occurrence.
    * A nonexistent time (the skipped hour when clocks go forward) moves forward to the
      first valid instant, i.e. the moment of the transition itself.
    """
    local = datetime.combine(day, wall.replace(tzinfo=None, fold=0), tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In a gap: fold=0 reads the wall time with the offset before the transition, fold=1
    # with the offset after it; the transition lies between the two readings.
    earlier = local.replace(fold=1).astimezone(UTC)
    later = instant
    if earlier > later:
        earlier, later = later, earlier
    after_offset = later.astimezone(zone).utcoffset()
    # Transitions happen on whole seconds: binary search the integer timestamps for the
    # first one that carries the post-transition offset (earlier never does, later does).
    low, high = int(earlier.timestamp()), int(later.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


class WorkCalendar:
    """Working days (the institution's, Norway) and send windows (the person's zone).

    Args:
        timezone: the calendar's default IANA zone, used when a person's zone is unknown.
        window_start: local wall time when the send window opens (inclusive).
        window_end: local wall time when the send window closes (exclusive).
        summer_break: inclusive ``((month, day), (month, day))`` of days off every year, or
            None; see :func:`parse_summer_break` for the ``"07-01/08-10"`` form.
        extra_days_off: specific dates that are days off (a seminar day, a strike…).
        closed_days: ``(month, day)`` pairs closed every year although they are not public
            holidays. Defaults to Christmas Eve (24 Dec) and New Year's Eve (31 Dec), when
            Norwegian universities are closed; pass ``()`` to treat them as working days.
    """

    __slots__ = (
        "_closed_days",
        "_extra_days_off",
        "_summer_break",
        "_timezone",
        "_window_end",
        "_window_start",
        "_windows",
        "_working",
        "_zone",
    )

    def __init__(
        self,
        timezone: str = "Europe/Oslo",
        window_start: time = time(9),
        window_end: time = time(15),
        summer_break: SummerBreak | None = None,
        extra_days_off: frozenset[date] = frozenset(),
        closed_days: Iterable[MonthDay] = DEFAULT_CLOSED_DAYS,
    ) -> None:
        self._zone = _zone(timezone)
        self._timezone = timezone
        for name, value in (("window_start", window_start), ("window_end", window_end)):
            if not isinstance(value, time):
                raise ValueError(f"{name} must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(f"{name} must be a wall-clock time without tzinfo, got {value}")
        if not window_start < window_end:
            raise ValueError(
                f"send window start {window_start.isoformat()} must be before its end "
                f"{window_end.isoformat()}"
            )
        self._window_start = window_start
        self._window_end = window_end
        self._summer_break = None if summer_break is None else _validated_summer_break(summer_break)
        for day in extra_days_off:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"extra_days_off must hold dates, got {day!r}")
        self._extra_days_off = frozenset(extra_days_off)
        self._closed_days = frozenset(
            _month_day(month, day, "closed day") for month, day in closed_days
        )
        self._working: dict[date, bool] = {}
        self._windows: dict[tuple[date, str], tuple[datetime, datetime]] = {}

    @classmethod
    def from_settings(cls, settings: CalendarSettings) -> WorkCalendar:
        """Build the calendar from :class:`bot.config.Settings` (or anything shaped like it)."""
        return cls(
            timezone=settings.timezone,
            window_start=settings.send_window_start,
            window_end=settings.send_window_end,
            summer_break=parse_summer_break(settings.summer_break),
        )

    parse_summer_break = staticmethod(parse_summer_break)

    # -- configuration, read-only ------------------------------------------------------

    @property
    def timezone(self) -> str:
        return self._timezone

    @property
    def window_start(self) -> time:
        return self._window_start

    @property
    def window_end(self) -> time:
        return self._window_end

    @property
    def summer_break(self) -> SummerBreak | None:
        return self._summer_break

    @property
    def extra_days_off(self) -> frozenset[date]:
        return self._extra_days_off

    @property
    def closed_days(self) -> frozenset[MonthDay]:
        return self._closed_days

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(timezone={self._timezone!r}, window_start={self._window_start!r}, "
            f"window_end={self._window_end!r}, summer_break={self._summer_break!r}, "
            f"extra_days_off={len(self._extra_days_off)} day(s), "
            f"closed_days={sorted(self._closed_days)!r})"
        )

    # -- days ---------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """True unless ``day`` is a weekend, public holiday, closed day, break or day off."""
        verdict = self._working.get(day)
        if verdict is None:
            verdict = self._decide(day)
            self._working[day] = verdict
        return verdict

    def _decide(self, day: date) -> bool:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"expected a date, got {type(day).__name__}: {day!r}")
        if day.weekday() >= 5:
            return False
        month_day = (day.month, day.day)
        if month_day in self._closed_days or day in self._extra_days_off:
            return False
        if self._summer_break is not None:
            first, last = self._summer_break
            if first <= month_day <= last:
                return False
        return day not in norwegian_public_holidays(day.year)

    def _step_to_working_day(self, day: date, step: timedelta) -> date:
        current = day
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(current):
                return current
            current += step
        direction = "after" if step > timedelta(0) else "before"
        raise ValueError(
            f"no working day within {_MAX_SEARCH_DAYS} days {direction} {day.isoformat()}; "
            "check the summer break and days off"
        )

    def previous_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the closest working day before it."""
        return self._step_to_working_day(day, -_ONE_DAY)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the closest working day after it."""
        return self._step_to_working_day(day, _ONE_DAY)

    def add_working_days(self, day: date, n: int) -> date:
        """The date ``n`` working days after ``day`` (before it when ``n`` is negative).

        Counting starts from the day next to ``day``, whether or not ``day`` itself is a
        working day: Friday + 1 is Monday, Saturday + 1 is Monday, Saturday - 1 is Friday.
        ``n == 0`` gives ``day`` itself when it is a working day, otherwise the previous
        working day (the conservative choice for anything leading up to a deadline).
        """
        if n == 0:
            return self.previous_working_day(day)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        current = day
        for _ in range(abs(n)):
            current = self._step_to_working_day(current + step, step)
        return current

    def working_days_between(self, a: date, b: date) -> int:
        """Signed count of working days from ``a`` to ``b``.

        For ``b >= a`` it counts working days in ``(a, b]``; for ``b < a`` it is minus the
        count in ``[b, a)``. So ``add_working_days(a, working_days_between(a, b)) == b``
        whenever ``b`` is a working day, and ``working_days_between(a, a) == 0``.
        """
        if b >= a:
            first, last, sign = a + _ONE_DAY, b, 1
        else:
            first, last, sign = b, a - _ONE_DAY, -1
        count = 0
        current = first
        while current <= last:
            if self.is_working_day(current):
                count += 1
            current += _ONE_DAY
        return sign * count

    def shift_to_working_day(self, day: date, *, leads_to_deadline: bool) -> date:
        """Move a nudge off a day off.

        A reminder leading up to a deadline moves to the working day *before* (it must not
        arrive after the deadline); any other nudge moves to the *next* working day. A
        working day is returned unchanged.
        """
        if leads_to_deadline:
            return self.previous_working_day(day)
        return self.next_working_day(day)

    # -- instants -----------------------------------------------------------------------

    def _zone_for(self, tz: str | None) -> tuple[str, ZoneInfo]:
        if tz is None:
            return self._timezone, self._zone
        return tz, _zone(tz)

    def _window_utc(self, day: date, key: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The send window of a local day as UTC instants (start inclusive, end exclusive)."""
        cache_key = (day, key)
        window = self._windows.get(cache_key)
        if window is None:
            window = (
                local_to_utc(day, self._window_start, zone),
                local_to_utc(day, self._window_end, zone),
            )
            self._windows[cache_key] = window
        return window

    def send_time(self, day: date, tz: str | None = None) -> datetime:
        """The window start on local ``day`` in zone ``tz`` (default: the calendar's), in UTC.

        It does not check that ``day`` is a working day; shift the day first.
        """
        if isinstance(day, datetime):
            raise TypeError(f"send_time takes a date, got a datetime: {day!r}")
        key, zone = self._zone_for(tz)
        return self._window_utc(day, key, zone)[0]

    def local_date(self, at: datetime, tz: str | None = None) -> date:
        """The calendar date of instant ``at`` in zone ``tz`` (default: the calendar's)."""
        _require_aware(at)
        _, zone = self._zone_for(tz)
        return at.astimezone(zone).date()

    def in_send_window(self, at: datetime, tz: str | None = None) -> bool:
        """True when ``at`` falls on a working day, at or after window start, before its end."""
        _require_aware(at)
        key, zone = self._zone_for(tz)
        day = at.astimezone(zone).date()
        if not self.is_working_day(day):
            return False
        start, end = self._window_utc(day, key, zone)
        return start <= at < end

    def next_send_slot(self, now: datetime, tz: str | None = None) -> datetime:
        """``now`` (in UTC) when it is inside a working day's send window, else the next
        window start on a working day in zone ``tz``, as an aware UTC datetime."""
        _require_aware(now)
        key, zone = self._zone_for(tz)
        now_utc = now.astimezone(UTC)
        day = now_utc.astimezone(zone).date()
        if self.is_working_day(day):
            start, end = self._window_utc(day, key, zone)
            if now_utc < start:
                return start
            if now_utc < end:
                return now_utc
        return self._window_utc(self.next_working_day(day + _ONE_DAY), key, zone)[0]
