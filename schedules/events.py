"""From plan to events: what each milestone asks the bot to say, and on which working day.

Events are data before they are jobs: `plan_events` is a pure function of the plan, the
calendar and the rules, so it is testable without a scheduler or a database. The planner
expands each event to its recipients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from schedules.calendar import WorkCalendar
from schedules.plan import Audience, Milestone, MilestoneKind, Plan, TbdTiming
from schedules.timing import Span, resolve
from storage.models import Role
from storage.overrides import Override, effective_plan


class Nudge(StrEnum):
    task_open = "task_open"
    reminder = "reminder"
    escalation = "escalation"
    window_open = "window_open"
    window_reminder = "window_reminder"
    information = "information"
    agenda = "agenda"
    vo_question = "vo_question"
    checkin = "checkin"
    pulse = "pulse"
    # A milestone whose date is not known yet: the coordinators are asked to set it.
    date_request = "date_request"
    # A milestone's date was moved: the people concerned hear the new date once.
    date_changed = "date_changed"
    # Notices: queued by the conversation core on someone's word, not by the plan.
    # "You said, we did": an action from the follow-up meeting is done (to its employees).
    said_done = "said_done"
    # A VO answered "not yet" before the deadline (to the unit's leaders).
    vo_not_yet = "vo_not_yet"


# The planner never makes these, so re-planning never cancels them.
NOTICES = frozenset({Nudge.said_done.value, Nudge.vo_not_yet.value})


class Scope(StrEnum):
    """Whom one event is for: each person once, each (unit, person), or each open action item."""

    person = "person"
    unit = "unit"
    action_item = "action_item"
    escalation = "escalation"


# Deadline reminders, escalations and VO questions always go; the rest count against the cap.
MANDATORY = frozenset(
    {
        Nudge.task_open,
        Nudge.reminder,
        Nudge.escalation,
        Nudge.vo_question,
        Nudge.date_request,
        Nudge.date_changed,
    }
)
# Occurrences that must go again when their milestone's deadline moves: the deadline-day
# reminder and the escalation carry the (moved) deadline in their occurrence; the other
# reminders keep their offset, so one sent before a move is not sent again.
DATED_OCCURRENCES = frozenset({"r0", "esc"})


@dataclass(frozen=True, slots=True)
class Rules:
    reminder_offsets: tuple[int, ...] = (14, 3, 0)
    escalation_after_days: int = 3
    checkin_interval_days: int = 28
    window_reminders: tuple[int, ...] = (7, 14)
    vo_answer_days: int = 10
    information_valid_days: int = 14
    # A `tbd` milestone with a hint month: ask the coordinators this many days before the
    # month starts, and once more this many working days later.
    date_request_days_before: int = 28
    date_request_reminder_after: int = 5


@dataclass(frozen=True, slots=True)
class Event:
    milestone_id: str
    occurrence: str
    nudge: Nudge
    day: date
    audience: tuple[Audience, ...]
    scope: Scope
    expires_on: date
    due_on: date | None = None
    optional: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "optional", self.nudge not in MANDATORY)


def survey_windows(plan: Plan) -> list[tuple[date, date]]:
    """The periods when employees are asked to answer the survey: pulses pause then."""
    windows = []
    for milestone in plan.milestones:
        if milestone.kind is MilestoneKind.window and any(
            audience.role is Role.employee for audience in milestone.audience
        ):
            span = resolve(plan, milestone)
            if span is not None:
                windows.append((span.starts_on, span.ends_on))
    return windows


def plan_events(
    plan: Plan, calendar: WorkCalendar, rules: Rules, overrides: Sequence[Override] = ()
) -> list[Event]:
    """Every event of the plan with its date overrides, sorted by day.

    A milestone whose date is not known yields only the requests to the coordinators to set
    it (when it has a hint month). A milestone whose date was set in the database yields the
    events of its new date; when it moves a date that was known (in the plan, or by an
    earlier override), the people concerned are told once (`date_changed`), and the
    deadline-day reminder and the escalation carry the new deadline in their occurrence.
    """
    base = plan
    plan = effective_plan(base, overrides)
    by_id = {override.milestone_id: override for override in overrides}
    paused = survey_windows(plan)
    events: list[Event] = []
    for milestone in plan.milestones:
        span = resolve(plan, milestone)
        if span is None:
            events.extend(_date_requests(milestone, calendar, rules))
            continue
        found = _milestone_events(plan, milestone, span, calendar, rules, paused)
        override = by_id.get(milestone.id)
        if override is not None:
            base_span = resolve(base, base.milestone(milestone.id))
            if span.due_on is not None and (base_span is None or base_span.due_on != span.due_on):
                suffix = f"@{span.due_on.isoformat()}"
                found = [
                    replace(e, occurrence=e.occurrence + suffix)
                    if e.occurrence in DATED_OCCURRENCES
                    else e
                    for e in found
                ]
            if base_span is not None or override.revision > 1:
                found.append(_date_changed(milestone, span, override, calendar))
        events.extend(found)
    events.sort(key=lambda event: (event.day, event.milestone_id, event.occurrence))
    return events


def _date_requests(milestone: Milestone, calendar: WorkCalendar, rules: Rules) -> list[Event]:
    when = milestone.when
    if not isinstance(when, TbdTiming) or when.hint is None:
        return []
    first = calendar.next_working_day(
        when.hint.first_day - timedelta(days=rules.date_request_days_before)
    )
    second = calendar.add_working_days(first, rules.date_request_reminder_after)
    coordinators = (Audience(role=Role.coordinator),)
    expires = when.hint.last_day
    return [
        Event(
            milestone.id, occurrence, Nudge.date_request, day, coordinators, Scope.person, expires
        )
        for occurrence, day in (("ask", first), ("ask2", second))
        if day <= expires
    ]


def _date_changed(
    milestone: Milestone, span: Span, override: Override, calendar: WorkCalendar
) -> Event:
    """The notice of a moved date, on the first working day from the day it was set."""
    day = calendar.next_working_day(calendar.local_date(override.set_at))
    audience = tuple(milestone.audience)
    if milestone.kind is MilestoneKind.vo_meeting:
        audience = tuple(a for a in audience if a.role is Role.vo) or audience
    by_unit = milestone.kind in (MilestoneKind.task, MilestoneKind.agenda, MilestoneKind.vo_meeting)
    return Event(
        milestone.id,
        f"moved{override.revision}",
        Nudge.date_changed,
        day,
        audience,
        Scope.unit if by_unit else Scope.person,
        max(span.ends_on, day + timedelta(days=3)),
        span.due_on,
    )


def _milestone_events(
    plan: Plan,
    milestone: Milestone,
    span: Span,
    calendar: WorkCalendar,
    rules: Rules,
    paused: list[tuple[date, date]],
) -> list[Event]:
    audience = tuple(milestone.audience)
    kind = milestone.kind
    forward = calendar.next_working_day

    def event(occurrence: str, nudge: Nudge, day: date, expires_on: date, scope: Scope) -> Event:
        return Event(milestone.id, occurrence, nudge, day, audience, scope, expires_on, span.due_on)

    if kind is MilestoneKind.task:
        return _task_events(milestone, span, calendar, rules, audience)
    if kind in (MilestoneKind.information, MilestoneKind.agenda):
        nudge = Nudge.information if kind is MilestoneKind.information else Nudge.agenda
        day = forward(span.starts_on)
        expires = max(span.ends_on, day + timedelta(days=rules.information_valid_days))
        scope = Scope.person if kind is MilestoneKind.information else Scope.unit
        return [event("info", nudge, day, expires, scope)]
    if kind is MilestoneKind.window:
        opening = forward(span.starts_on)
        found = [event("open", Nudge.window_open, opening, span.ends_on, Scope.person)]
        offsets = milestone.window_reminders or rules.window_reminders
        for offset in sorted(set(offsets))[:2]:
            day = forward(span.starts_on + timedelta(days=offset))
            if opening < day <= span.ends_on:
                found.append(
                    event(f"w{offset}", Nudge.window_reminder, day, span.ends_on, Scope.person)
                )
        return found
    if kind is MilestoneKind.vo_meeting:
        day = forward(span.ends_on + timedelta(days=1))
        confirm_by = milestone.confirm_by.resolve(plan.anchors) if milestone.confirm_by else None
        expires = max(confirm_by or day, day) + timedelta(days=rules.vo_answer_days)
        vo_only = tuple(a for a in audience if a.role is Role.vo) or audience
        return [
            Event(
                milestone.id, "vo", Nudge.vo_question, day, vo_only, Scope.unit, expires, confirm_by
            )
        ]
    if kind is MilestoneKind.checkin:
        leaders = tuple(a for a in audience if a.role is Role.leader) or audience
        found = []
        for number, day in _cadence(span, rules.checkin_interval_days, forward):
            expires = day + timedelta(days=rules.checkin_interval_days - 1)
            found.append(
                Event(
                    milestone.id,
                    f"ci{number}",
                    Nudge.checkin,
                    day,
                    leaders,
                    Scope.action_item,
                    expires,
                )
            )
        return found
    assert kind is MilestoneKind.pulse
    assert milestone.pulse is not None
    found = []
    for number, day in _cadence(span, milestone.pulse.cadence_days, forward):
        if not any(start <= day <= end for start, end in paused):
            expires = day + timedelta(days=milestone.pulse.open_days - 1)
            found.append(event(f"p{number}", Nudge.pulse, day, expires, Scope.person))
    return found


def _cadence(
    span: Span, every_days: int, forward: Callable[[date], date]
) -> Iterator[tuple[int, date]]:
    """Numbered days every `every_days` from the span's start; a holiday shift does not drift."""
    number, nominal = 1, span.starts_on
    while nominal <= span.ends_on:
        day = forward(nominal)
        if day <= span.ends_on:
            yield number, day
        number, nominal = number + 1, nominal + timedelta(days=every_days)


def _task_events(
    milestone: Milestone,
    span: Span,
    calendar: WorkCalendar,
    rules: Rules,
    audience: tuple[Audience, ...],
) -> list[Event]:
    assert span.due_on is not None
    due = span.due_on
    offsets = milestone.reminder_offsets or rules.reminder_offsets
    found: list[Event] = []
    reminder_days: dict[date, int] = {}
    for offset in sorted(set(offsets), reverse=True):
        day = calendar.add_working_days(due, -offset)
        # A reminder that would come before the task opens is replaced by the opening notice.
        if day >= span.starts_on and day not in reminder_days:
            reminder_days[day] = offset
    opening = calendar.next_working_day(span.starts_on)
    if span.starts_on < due and (not reminder_days or opening < min(reminder_days)):
        found.append(
            Event(milestone.id, "open", Nudge.task_open, opening, audience, Scope.unit, due, due)
        )
    for day, offset in sorted(reminder_days.items()):
        found.append(
            Event(milestone.id, f"r{offset}", Nudge.reminder, day, audience, Scope.unit, due, due)
        )
    escalation_day = calendar.add_working_days(due, rules.escalation_after_days)
    if escalation_day <= due:
        escalation_day = calendar.next_working_day(due + timedelta(days=1))
    coordinators = (Audience(role=Role.coordinator),)
    found.append(
        Event(
            milestone.id,
            "esc",
            Nudge.escalation,
            escalation_day,
            coordinators,
            Scope.escalation,
            escalation_day + timedelta(days=30),
            due,
        )
    )
    return found
