"""Composition: from a delivery row and what it refers to, the platform-neutral Message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.i18n.catalog import format_day, normalise_locale, t
from bot.messages import ActionId, Button, Message, MessageKind
from schedules.events import Nudge
from schedules.plan import Milestone, Plan
from schedules.timing import resolve
from storage.deliveries import Claimed
from storage.models import ActionItem

_KIND = {
    Nudge.task_open: MessageKind.reminder,
    Nudge.reminder: MessageKind.reminder,
    Nudge.escalation: MessageKind.escalation,
    Nudge.window_open: MessageKind.information,
    Nudge.window_reminder: MessageKind.information,
    Nudge.information: MessageKind.information,
    Nudge.agenda: MessageKind.information,
    Nudge.vo_question: MessageKind.vo_question,
    Nudge.checkin: MessageKind.action_checkin,
    Nudge.pulse: MessageKind.pulse_question,
}

_BUTTONS: dict[MessageKind, tuple[tuple[ActionId, str | None], ...]] = {
    MessageKind.reminder: ((ActionId.task_done, "primary"), (ActionId.task_snooze, None)),
    MessageKind.vo_question: (
        (ActionId.vo_yes, "primary"),
        (ActionId.vo_partly, None),
        (ActionId.vo_not_yet, None),
    ),
    MessageKind.action_checkin: (
        (ActionId.action_on_track, "primary"),
        (ActionId.action_delayed, None),
        (ActionId.action_done, None),
        (ActionId.action_dropped, "danger"),
    ),
    MessageKind.pulse_question: ((ActionId.pulse_answer, "primary"),),
}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a delivery refers to, looked up once per batch by the sender."""

    milestone: Milestone
    unit_name: str | None = None
    item: ActionItem | None = None


def compose(delivery: Claimed, locale: str, plan: Plan, subject: Subject, today: date) -> Message:
    locale = normalise_locale(locale)
    nudge = Nudge(delivery.nudge)
    kind = _KIND[nudge]
    milestone = subject.milestone
    span = resolve(plan, milestone)
    title = milestone.title.get(locale)
    details = milestone.details.get(locale) + "\n" if milestone.details else ""
    due = span.due_on if span else None
    end = span.ends_on if span else None
    values = {
        "title": title,
        "details": details,
        "due": format_day(due, locale) if due else "",
        "end": format_day(end, locale) if end else "",
        "left": _left(due, today, locale) if due else "",
        "unit": subject.unit_name or delivery.unit_id or "",
        "period": _period(span.starts_on, span.ends_on, locale) if span else "",
        "item": subject.item.title if subject.item else "",
        "item_due": (
            t(locale, "item_due", due=format_day(subject.item.due_on, locale))
            if subject.item and subject.item.due_on
            else ""
        ),
        "questions": _questions(milestone, locale),
    }
    if nudge is Nudge.vo_question and milestone.confirm_by is not None:
        values["due"] = format_day(milestone.confirm_by.resolve(plan.anchors), locale)
    headline = t(locale, f"nudge.{nudge.value}.headline", **values)
    body = t(locale, f"nudge.{nudge.value}.body", **values).strip()
    unit = subject.unit_name or delivery.unit_id
    context = (
        t(locale, "context.phase", phase=milestone.phase, unit=unit)
        if unit
        else t(locale, "context.phase_only", phase=milestone.phase)
    )
    buttons = [
        Button(
            action=action,
            label=t(locale, f"button.{action.value}"),
            value=str(delivery.id),
            style=style,
        )
        for action, style in _BUTTONS.get(kind, ())
    ]
    return Message(
        kind=kind,
        locale=locale,
        headline=headline,
        body=body,
        context=context,
        buttons=buttons,
        delivery_id=delivery.id,
    )


def _left(due: date, today: date, locale: str) -> str:
    days = (due - today).days
    if days < 0:
        return t(locale, "left.passed")
    if days == 0:
        return t(locale, "left.today")
    if days == 1:
        return t(locale, "left.tomorrow")
    return t(locale, "left.days", days=days)


def _period(start: date, end: date, locale: str) -> str:
    if start == end:
        return format_day(start, locale)
    return f"{format_day(start, locale)} – {format_day(end, locale)}"


def _questions(milestone: Milestone, locale: str) -> str:
    if milestone.pulse is None:
        return ""
    return "".join(f"• {question.text.get(locale)}\n" for question in milestone.pulse.questions)
