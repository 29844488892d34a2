"""Loading, at start-up, what the first request of a process would otherwise wait for.

A fresh process reads the catalogues (≈ 20 YAML files), Babel's locale data and the
`holidays` country registry on first use: ≈ 0.15–0.3 s on this project's 2-core machines.
Without this, the first click each web process answers after a deploy pays for it, and
Teams retries an invoke that is slow to answer.

`keep_start_up_objects` then takes what start-up loaded out of the garbage collector's full
passes, which otherwise stop a serving process for ≈ 150 ms now and then.
`ready_to_serve` does both, at the end of a serving process's start-up.
"""

from __future__ import annotations

import gc
from datetime import datetime

from bot.i18n.catalog import LOCALES, catalogue, format_day
from schedules.calendar import WorkCalendar


def warm_up(calendar: WorkCalendar, now: datetime) -> None:
    today = calendar.local_date(now)
    for locale in LOCALES:
        catalogue(locale)
        format_day(today, locale)
    calendar.is_working_day(today)


def ready_to_serve(calendar: WorkCalendar, now: datetime) -> None:
    """The end of a serving process's start-up (`arkbot serve`, each web process)."""
    warm_up(calendar, now)
    keep_start_up_objects()


def keep_start_up_objects() -> None:
    """Exempt every object alive now from the garbage collector's passes (`gc.freeze`).

    A full pass scans every tracked object — the plan, the catalogues, the models of
    SQLAlchemy, pydantic and both chat SDKs — and took ≈ 150 ms in a web process, during
    which that process answered no one: a click arriving then waited for it. What start-up
    loaded lives as long as the process, so scanning it finds nothing; frozen, a full pass
    takes ≈ 10 ms (docs/performance.md §9). Call once, at the end of start-up.
    """
    gc.collect()  # what is garbage already goes now, not into the frozen set
    gc.freeze()
