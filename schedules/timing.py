"""Resolving a milestone's timing to dates: the one rule for vague timings.

The rule (also in docs/plan-format.md):

* ``day``       starts and ends on that day.
* ``window``    starts on ``start`` and ends on ``end`` (both inclusive).
* ``deadline``  starts on ``opens`` (or on the deadline itself when no opening is given)
                and ends on ``due``.
* ``month``     covers the whole month, or the run of months up to ``until``; a ``part``
                narrows one month to early (1–10), mid (11–20) or late (21–end).
* ``season``    covers the bounds the plan gives for that season in that year
                (default: spring 15 January – 15 June, autumn 15 August – 15 December).
* A task's deadline is its ``due`` day; for a task given as a day or a month, the last day
  it covers.
* ``tbd``       has no dates: it produces no nudge, and ``plan check`` warns about it.

Nudges that belong to a vague period are sent at its start (adjusted to a working day by the
calendar); nothing is guessed inside the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from schedules.plan import (
    DayTiming,
    DeadlineTiming,
    Milestone,
    MonthTiming,
    Plan,
    SeasonTiming,
    TbdTiming,
    WindowTiming,
)

if TYPE_CHECKING:
    from schedules.calendar import WorkCalendar


@dataclass(frozen=True, slots=True)
class Span:
    """The inclusive dates a milestone covers, and whether they are exact."""

    starts_on: date
    ends_on: date
    exact: bool
    due_on: date | None = None


def resolve(plan: Plan, milestone: Milestone) -> Span | None:
    """The dates of a milestone, or None when they are not known yet."""
    span = _span(plan, milestone)
    if span is not None and milestone.kind == "task" and span.due_on is None:
        return Span(span.starts_on, span.ends_on, span.exact, due_on=span.ends_on)
    return span


def _span(plan: Plan, milestone: Milestone) -> Span | None:
    when = milestone.when
    anchors = plan.anchors
    if isinstance(when, DayTiming):
        day = when.date.resolve(anchors)
        return Span(day, day, exact=True)
    if isinstance(when, WindowTiming):
        return Span(when.start.resolve(anchors), when.end.resolve(anchors), exact=True)
    if isinstance(when, DeadlineTiming):
        due = when.due.resolve(anchors)
        opens = when.opens.resolve(anchors) if when.opens else due
        return Span(opens, due, exact=True, due_on=due)
    if isinstance(when, MonthTiming):
        if when.part is not None:
            first, last = when.month.first_day, when.month.last_day
            bounds = {
                "early": (first, first.replace(day=10)),
                "mid": (first.replace(day=11), first.replace(day=20)),
                "late": (first.replace(day=21), last),
            }[when.part]
            return Span(*bounds, exact=False)
        end = (when.until or when.month).last_day
        return Span(when.month.first_day, end, exact=False)
    if isinstance(when, SeasonTiming):
        start, end = plan.seasons[when.season].resolve(when.year)
        return Span(start, end, exact=False)
    assert isinstance(when, TbdTiming)
    return None


def vo_deadline(plan: Plan, calendar: WorkCalendar, milestone: Milestone) -> date | None:
    """The day by which a meeting point's VO should have been involved: its `confirm_by`,
    else two weeks after the first working day after it ends; None while it has no date."""
    span = resolve(plan, milestone)
    if span is None:
        return None
    if milestone.confirm_by:
        return milestone.confirm_by.resolve(plan.anchors)
    return calendar.next_working_day(span.ends_on + timedelta(days=1)) + timedelta(days=14)
