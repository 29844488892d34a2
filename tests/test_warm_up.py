"""`warm_up` loads at start-up what the first click of a fresh process would wait for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from datetime import UTC, datetime
from babel.localedata import _cache as babel_locales
from bot.i18n.catalog import catalogue
from schedules.calendar import WorkCalendar, norwegian_public_holidays
from bot.warm_up import warm_up
before = (catalogue.cache_info().currsize, norwegian_public_holidays.cache_info().currsize)
warm_up(WorkCalendar(), datetime(2024, 4, 22, 7, tzinfo=UTC))
after = (catalogue.cache_info().currsize, norwegian_public_holidays.cache_info().currsize)
print(before, after, sorted(name for name in babel_locales if name in ("nb_NO", "en_GB")))
"""


def test_a_fresh_process_has_catalogues_holidays_and_babel_loaded_after_warm_up() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[0] == "(0, 0) (2, 1) ['en_GB', 'nb_NO']"


FREEZE_PROBE = """
import gc, weakref
from bot.warm_up import keep_start_up_objects
class Node: pass
loaded = [[n] for n in range(50_000)]  # what start-up keeps for the process's life
garbage = Node()
garbage.me = garbage  # a cycle nobody holds any more
gone = weakref.ref(garbage)
del garbage
keep_start_up_objects()
print(gc.get_freeze_count() >= 50_000, gone() is None)
"""


def test_start_up_objects_are_kept_out_of_the_collectors_passes_and_garbage_is_not() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "True"]
