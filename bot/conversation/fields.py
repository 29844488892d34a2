"""One validation per input field: bounds, lengths and characters, the same on every platform.

A field that fails gives the catalogue key of its error; the core then stores nothing.
Lengths are the column sizes, so nothing is ever cut short silently by the database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from schedules.plan import Plan
from schedules.timing import resolve

ARCHIVE_REF_MAX = 100  # task_completions.archive_ref
COMMENT_MAX = 2000  # vo_confirmations.comment, action_items.note
TITLE_MAX = 500  # action_items.title
OWNER_MAX = 200  # action_items.owner
# Dates people enter must lie near the cycle: a year before its first milestone, two after
# its last (action items may run past the cycle's end).
MARGIN_BEFORE = timedelta(days=366)
MARGIN_AFTER = timedelta(days=2 * 366)


class FieldError(ValueError):
    def __init__(self, field: str, key: str, **params: object) -> None:
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Bounds:
    earliest: date
    latest: date


_BOUNDS: dict[int, tuple[Plan, Bounds]] = {}


def _bounds(plan: Plan) -> Bounds:
    days: list[date] = [*plan.anchors.values()]
    for milestone in plan.milestones:
        span = resolve(plan, milestone)
        if span is not None:
            days += [span.starts_on, span.ends_on]
    if not days:
        return Bounds(date(2000, 1, 1), date(2100, 12, 31))
    return Bounds(min(days) - MARGIN_BEFORE, max(days) + MARGIN_AFTER)


def cycle_bounds(plan: Plan) -> Bounds:
    """Computed once per plan object (plans are immutable once loaded)."""
    cached = _BOUNDS.get(id(plan))
    if cached is None or cached[0] is not plan:
        cached = _BOUNDS[id(plan)] = (plan, _bounds(plan))
    return cached[1]


# Unicode categories that have no business in a name or a comment: control characters (but
# newlines and tabs in comments), format characters (zero-width, bidirectional overrides),
# unassigned and private-use code points, and lone surrogates.
_FORBIDDEN = frozenset({"Cc", "Cf", "Cn", "Co", "Cs"})


def text(
    field: str, value: str | None, *, limit: int, required: bool = False, multiline: bool = False
) -> str | None:
    """The cleaned text (stripped, NFC), or None when empty and not required."""
    cleaned = unicodedata.normalize("NFC", value).strip() if value else ""
    if not cleaned:
        if required:
            raise FieldError(field, "field.required")
        return None
    allowed = {"\n", "\t"} if multiline else set()
    if any(ch not in allowed and unicodedata.category(ch) in _FORBIDDEN for ch in cleaned):
        raise FieldError(field, "field.bad_characters")
    if len(cleaned) > limit:
        raise FieldError(field, "field.too_long", limit=limit)
    return cleaned


def day(
    field: str,
    value: str | date | None,
    plan: Plan,
    *,
    required: bool = False,
    not_after: date | None = None,
    not_before: date | None = None,
) -> date | None:
    """A date within the cycle's bounds (and `not_before`/`not_after`, usually today)."""
    if value is None or value == "":
        if required:
            raise FieldError(field, "field.required")
        return None
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(value.strip())
        except (ValueError, AttributeError):
            raise FieldError(field, "field.bad_date") from None
    bounds = cycle_bounds(plan)
    if not bounds.earliest <= parsed <= bounds.latest:
        raise FieldError(field, "field.out_of_range")
    if not_after is not None and parsed > not_after:
        raise FieldError(field, "field.future_date")
    if not_before is not None and parsed < not_before:
        raise FieldError(field, "field.past_date")
    return parsed


def choice(field: str, value: str | None, allowed: Iterable[str], *, default: str) -> str:
    if value is None or value == "":
        return default
    if value not in set(allowed):
        raise FieldError(field, "field.bad_choice")
    return value
