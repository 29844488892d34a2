"""Loading, at start-up, what the first request of a process would otherwise wait for.

A fresh process reads the catalogues (≈ 20 YAML files), Babel's locale data and the
`holidays` country registry on first use: ≈ 0.15–0.3 s on this project's 2-core machines.
Without this, the first click each web process answers after a deploy pays for it, and
Teams retries an invoke that is slow to answer.
"""

from __future__ import annotations

from datetime import datetime

from bot.i18n.catalog import LOCALES, catalogue, format_day
from schedules.calendar import WorkCalendar


def warm_up(calendar: WorkCalendar, now: datetime) -> None:
    today = calendar.local_date(now)
    for locale in LOCALES:
        catalogue(locale)
        format_day(today, locale)
    calendar.is_working_day(today)
