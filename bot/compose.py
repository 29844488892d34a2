"""Composition: from a delivery row and what it refers to, the platform-neutral Message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from babel.dates import format_date

from bot.i18n.catalog import format_day, normalise_locale, t
from bot.messages import ActionId, Button, Message, MessageKind
from schedules.calendar import WorkCalendar
from schedules.events import Nudge
from schedules.plan import Milestone, Plan
from schedules.timing import resolve, vo_deadline
from storage.deliveries import Claimed
from storage.models import ActionItem
from storage.overrides import Change, DateChangeError

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
    Nudge.date_request: MessageKind.information,
    Nudge.date_changed: MessageKind.information,
    Nudge.said_done: MessageKind.information,
    Nudge.vo_not_yet: MessageKind.information,
}
_MONTH_LOCALE = {"nb": "nb_NO", "en": "en_GB"}
# Nudges whose texts live in this feature's catalogue part (`cycle.nudge.…`).
_CYCLE_NUDGES = frozenset({Nudge.date_request, Nudge.date_changed})

Style = Literal["primary", "danger"] | None

_BUTTONS: dict[MessageKind, tuple[tuple[ActionId, Style], ...]] = {
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
    """The message for one delivery, in the recipient's language."""
    return Composer(plan).compose(delivery, locale, subject, today)


@dataclass(frozen=True, slots=True)
class _Texts:
    kind: MessageKind
    headline: str
    body: str
    context: str
    buttons: tuple[tuple[ActionId, str, Style], ...]


class Composer:
    """Composes messages for one plan; a fan-out's thousands of identical texts are made once."""

    def __init__(self, plan: Plan, calendar: WorkCalendar | None = None) -> None:
        self.plan = plan
        self.calendar = calendar or WorkCalendar()  # for a VO deadline without confirm_by
        self._cache: dict[tuple[object, ...], _Texts] = {}

    def compose(self, delivery: Claimed, locale: str, subject: Subject, today: date) -> Message:
        locale = normalise_locale(locale)
        item = subject.item
        key = (
            subject.milestone.id,
            delivery.nudge,
            locale,
            subject.unit_name or delivery.unit_id,
            (item.id, item.title, item.due_on) if item else None,
            today,
        )
        texts = self._cache.get(key)
        if texts is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            texts = self._cache[key] = self._texts(delivery, locale, subject, today)
        value = str(delivery.id)
        # Every field given: for a missing one pydantic 2.14's `model_construct` inspects the
        # default factory's signature (≈ 60 µs for `list`), which was half a fan-out's CPU.
        return Message.model_construct(
            kind=texts.kind,
            locale=locale,
            headline=texts.headline,
            body=texts.body,
            context=texts.context,
            buttons=[
                Button.model_construct(action=action, label=label, value=value, style=style)
                for action, label, style in texts.buttons
            ],
            delivery_id=delivery.id,
            sections=[],
        )

    def _texts(self, delivery: Claimed, locale: str, subject: Subject, today: date) -> _Texts:
        plan = self.plan
        nudge = Nudge(delivery.nudge)
        kind = _KIND[nudge]
        milestone = subject.milestone
        span = resolve(plan, milestone)
        due = span.due_on if span else None
        end = span.ends_on if span else None
        item = subject.item
        values = {
            "title": milestone.title.get(locale),
            "details": milestone.details.get(locale) + "\n" if milestone.details else "",
            "due": format_day(due, locale) if due else "",
            "end": format_day(end, locale) if end else "",
            "left": _left(due, today, locale) if due else "",
            "unit": subject.unit_name or delivery.unit_id or "",
            "period": _period(span.starts_on, span.ends_on, locale) if span else "",
            "item": item.title if item else "",
            "item_due": (
                t(locale, "item_due", due=format_day(item.due_on, locale))
                if item and item.due_on
                else ""
            ),
            "questions": _questions(milestone, locale),
            "id": milestone.id,
            "hint": hint_month(milestone, locale),
            "seed": seed_date(milestone),
        }
        values["new"] = values["due"] or values["period"]
        if nudge is Nudge.vo_question and milestone.confirm_by is not None:
            values["due"] = format_day(milestone.confirm_by.resolve(plan.anchors), locale)
        if nudge is Nudge.vo_not_yet:
            deadline = vo_deadline(plan, self.calendar, milestone)
            values["due"] = format_day(deadline, locale) if deadline else ""
        unit = subject.unit_name or delivery.unit_id
        context = (
            t(locale, "context.phase", phase=milestone.phase, unit=unit)
            if unit
            else t(locale, "context.phase_only", phase=milestone.phase)
        )
        buttons = [
            (action, t(locale, f"button.{action.value}"), style)
            for action, style in _BUTTONS.get(kind, ())
        ]
        if milestone.calendar_invite and kind is MessageKind.reminder:
            buttons.append((ActionId.calendar_file, t(locale, "button.calendar_file"), None))
        prefix = f"cycle.nudge.{nudge.value}" if nudge in _CYCLE_NUDGES else f"nudge.{nudge.value}"
        return _Texts(
            kind=kind,
            headline=t(locale, f"{prefix}.headline", **values),
            body=t(locale, f"{prefix}.body", **values).strip(),
            context=context,
            buttons=tuple(buttons),
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


def hint_month(milestone: Milestone, locale: str) -> str:
    """A `tbd` milestone's hint month in words ("mai 2025" / "May 2025"), or empty."""
    hint = getattr(milestone.when, "hint", None)
    if hint is None:
        return ""
    return str(format_date(hint.first_day, format="LLLL y", locale=_MONTH_LOCALE[locale]))


def seed_date(milestone: Milestone) -> str:
    """The seed row's own wording of the date («Dato kommer»), or its month column."""
    if not milestone.source:
        return ""
    parts = [part.strip() for part in milestone.source.split("|")]
    return (parts[1] if len(parts) > 1 and parts[1] else parts[0]).strip()


def _questions(milestone: Milestone, locale: str) -> str:
    if milestone.pulse is None:
        return ""
    return "".join(f"• {question.text.get(locale)}\n" for question in milestone.pulse.questions)


def date_set_reply(plan: Plan, change: Change, locale: str) -> str:
    """The answer to whoever set a date (CLI or chat): new date, and what it was before."""
    locale = normalise_locale(locale)
    title = plan.milestone(change.milestone_id).title.get(locale)
    new = _span_text(change.new, locale)
    if not change.changed:
        return t(locale, "cycle.set_date.unchanged", title=title, new=new)
    old = _span_text(change.old, locale) if change.old else t(locale, "cycle.set_date.not_known")
    return t(locale, "cycle.set_date.done", title=title, new=new, old=old)


def _span_text(span: tuple[date, date], locale: str) -> str:
    start, end = span
    return _period(start, end, locale)


def date_error_text(error: DateChangeError, locale: str) -> str:
    """Why a date could not be set, in the reader's language."""
    return t(locale, error.key, **error.values)
