"""The plan in words: when a milestone happens, as a reader says it, and what lies ahead.

Shared by every platform's `/ark plan` and home view; vague dates stay vague.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot.i18n.catalog import _BABEL_LOCALE, format_day, normalise_locale, t
from schedules.plan import (
    DayTiming,
    DeadlineTiming,
    Milestone,
    MonthTiming,
    Plan,
    SeasonTiming,
    YearMonth,
)
from schedules.timing import Span, resolve
from storage.models import Role


def _month_words(month: YearMonth, locale: str, *, year: bool = True) -> str:
    """ "oktober 2023" / "October 2023" (or the month alone)."""
    pattern = "LLLL y" if year else "LLLL"
    return str(format_date(month.first_day, format=pattern, locale=_BABEL_LOCALE[locale]))


def _phase_name(phase: int, locale: str) -> str:
    return {
        1: t(locale, "ark.plan.phase_1"),
        2: t(locale, "ark.plan.phase_2"),
        3: t(locale, "ark.plan.phase_3"),
        4: t(locale, "ark.plan.phase_4"),
        5: t(locale, "ark.plan.phase_5"),
    }[phase]


def when_words(milestone: Milestone, span: Span, locale: str) -> str:
    """A milestone's dates as a reader says them; vague ones stay vague ("høsten 2024")."""
    locale = normalise_locale(locale)
    when = milestone.when
    if isinstance(when, MonthTiming):
        if when.part is not None:
            month = _month_words(when.month, locale)
            return {
                "early": t(locale, "ark.plan.early", month=month),
                "mid": t(locale, "ark.plan.mid", month=month),
                "late": t(locale, "ark.plan.late", month=month),
            }[when.part]
        if when.until is not None and when.until != when.month:
            same_year = when.until.year == when.month.year
            start = _month_words(when.month, locale, year=not same_year)
            end = _month_words(when.until, locale)
            return t(locale, "ark.plan.range", start=start, end=end)
        return _month_words(when.month, locale)
    if isinstance(when, SeasonTiming):
        if when.season == "spring":
            return t(locale, "ark.plan.spring", year=when.year)
        return t(locale, "ark.plan.autumn", year=when.year)
    if not span.exact:  # a timing added later that is vague: its bounds, never a fake day
        return t(
            locale,
            "ark.plan.range",
            start=format_day(span.starts_on, locale),
            end=format_day(span.ends_on, locale),
        )
    if isinstance(when, DeadlineTiming):
        due = format_day(span.due_on or span.ends_on, locale)
        if span.starts_on < (span.due_on or span.ends_on):
            opens = format_day(span.starts_on, locale)
            return t(locale, "ark.plan.deadline_opens", opens=opens, due=due)
        return t(locale, "ark.plan.deadline", due=due)
    if span.starts_on == span.ends_on:
        day = format_day(span.starts_on, locale)
        if isinstance(when, DayTiming) and when.time:
            return t(locale, "ark.plan.at_time", day=day, time=when.time)
        return day
    return t(
        locale,
        "ark.plan.range",
        start=format_day(span.starts_on, locale),
        end=format_day(span.ends_on, locale),
    )


def _for_levels(milestone: Milestone, unit_levels: set[int], roles: set[Role] | None) -> bool:
    """For units at these levels (and, when `roles` is given, for someone in one of them)."""
    return any(
        (audience.level is None or audience.level in unit_levels)
        and (roles is None or audience.role in roles)
        for audience in milestone.audience
    )


def upcoming_milestones(
    plan: Plan, *, today: date, unit_levels: set[int], roles: set[Role] | None = None
) -> list[tuple[Milestone, Span]]:
    """Milestones not over by `today` with known dates, for units at these levels, in order."""
    ahead: list[tuple[Milestone, Span]] = []
    for milestone in plan.milestones:
        if not _for_levels(milestone, unit_levels, roles):
            continue
        span = resolve(plan, milestone)
        if span is not None and span.ends_on >= today:
            ahead.append((milestone, span))
    return sorted(ahead, key=lambda pair: (pair[1].starts_on, pair[1].ends_on))
