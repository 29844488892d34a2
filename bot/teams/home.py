"""The home view and the answers to commands as Adaptive Cards.

Teams has no Home tab: the home is a card in the 1:1 chat, sent on install and on "home" /
"status", and redrawn in place after a change made from it. All text comes from the
catalogues; values from people or data are shown literally (see `line`).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

from microsoft_teams.cards import AdaptiveCard

from bot.conversation.home import HomeView, pulse_line
from bot.conversation.plan_words import _phase_name, upcoming_milestones, when_words
from bot.conversation.questions import HelpView, PlanView, ReportView
from bot.i18n.catalog import format_day, normalise_locale, t
from bot.overview import TaskStatus, UnitStatus, VoPointStatus
from bot.teams.parts import button, buttons, card, heading, plain, words
from schedules.plan import Plan
from storage.models import ActionState, Role, VoAnswer

DUE_SHOWN, VO_SHOWN, DONE_SHOWN, UNITS_SHOWN, AREA_SHOWN, PULSES_SHOWN = 10, 6, 5, 8, 10, 6
_MARKUP = re.compile(r"[*_`]")


def line(locale: str, key: str, **values: Any) -> str:
    """A catalogue line without its Slack emphasis, with the values put in literally."""
    marks = {name: f"\x00{index}\x00" for index, name in enumerate(values)}
    text = _MARKUP.sub("", t(locale, key, **marks))
    for name, value in values.items():
        text = text.replace(marks[name], str(value))
    return text


def home_card(home: HomeView) -> AdaptiveCard:
    person, today = home.person, home.today
    locale = normalise_locale(person.locale)
    body: list[Any] = [
        heading(line(locale, "home.header", name=person.name)),
        words(t(locale, "home.as_of", date=format_day(today, locale)), subtle=True),
    ]
    if person.paused_until is not None and person.paused_until >= today:
        body += [
            plain(line(locale, "home.paused", date=format_day(person.paused_until, locale))),
            buttons([button(t(locale, "home.resume"), {"action": "home_resume"})]),
        ]
    body += _due(person.due, person.vo_open, locale, today)
    body += _vo(person.vo_open, locale, {m.unit_id: m.unit_name for m in person.memberships})
    if person.done:
        body.append(heading(t(locale, "home.done.title")))
        body += [plain(_done_line(task, locale)) for task in person.done[:DONE_SHOWN]]
    body += _units(home, locale)
    body += _pulses(home, locale)
    if home.dates_to_set:
        body += _dates(home.dates_to_set, locale)
    if person.area:
        body.append(heading(t(locale, "home.area.title")))
        body.append(words(t(locale, "home.area.intro", count=len(person.area)), subtle=True))
        body += [plain(_unit_summary(unit, locale)) for unit in person.area[:AREA_SHOWN]]
        if len(person.area) > AREA_SHOWN:
            hidden = len(person.area) - AREA_SHOWN
            body.append(words(line(locale, "home.area.more", count=hidden), subtle=True))
    return card(body)


def _due(
    tasks: list[TaskStatus], vo_open: list[VoPointStatus], locale: str, today: date
) -> list[Any]:
    if not tasks and vo_open:
        return []
    body: list[Any] = [heading(t(locale, "home.due.title"))]
    if not tasks:
        return [*body, words(t(locale, "home.due.empty"))]
    for task in tasks[:DUE_SHOWN]:
        body.append(plain((task.title.get(locale), True)))
        body.append(plain(_task_line(task, locale, today)))
        value = f"{task.unit_id}|{task.milestone_id}"
        data = {"action": "home_task_done", "value": value}
        body.append(buttons([button(t(locale, "button.task_done"), data, style="positive")]))
    if len(tasks) > DUE_SHOWN:
        body.append(words(t(locale, "home.due.more", count=len(tasks) - DUE_SHOWN), subtle=True))
    return body


def _task_line(task: TaskStatus, locale: str, today: date) -> str:
    if task.due_on is None:
        return line(locale, "home.due.no_date", unit=task.unit_name)
    due = format_day(task.due_on, locale)
    if task.state == "late" or task.due_on < today:
        return line(locale, "home.due.late", unit=task.unit_name, due=due)
    days = (task.due_on - today).days
    left = (
        t(locale, "left.today")
        if days == 0
        else t(locale, "left.tomorrow")
        if days == 1
        else t(locale, "left.days", days=days)
    )
    return line(locale, "home.due.line", unit=task.unit_name, due=due, left=left)


def _vo(points: list[VoPointStatus], locale: str, names: dict[str, str]) -> list[Any]:
    if not points:
        return []
    body: list[Any] = [
        heading(t(locale, "home.vo.title")),
        words(t(locale, "home.vo.intro"), subtle=True),
    ]
    for point in points[:VO_SHOWN]:
        unit = names.get(point.unit_id, point.unit_id)
        body.append(plain((point.title.get(locale), True)))
        if point.confirm_by is not None:
            when = format_day(point.confirm_by, locale)
            body.append(plain(line(locale, "home.vo.line", unit=unit, date=when)))
        else:
            body.append(plain(line(locale, "home.vo.line_no_date", unit=unit)))
        if point.answer is not None:
            answer = t(locale, f"home.vo_answer.{point.answer.value}")
            body.append(plain(line(locale, "home.vo.answered_no_date", answer=answer)))
        value = f"{point.unit_id}|{point.milestone_id}"
        body.append(
            buttons(
                [
                    button(
                        t(locale, f"button.vo_{answer.value}"),
                        {"action": f"home_vo_{answer.value}", "value": value},
                        style="positive" if answer is VoAnswer.yes else None,
                    )
                    for answer in VoAnswer
                ]
            )
        )
    return body


def _done_line(task: TaskStatus, locale: str) -> str:
    title, unit = task.title.get(locale), task.unit_name
    if task.done_on is None:
        text = line(locale, "home.done.no_date", title=title, unit=unit)
    else:
        done_on = format_day(task.done_on, locale)
        text = line(locale, "home.done.line", title=title, unit=unit, date=done_on)
    if task.archive_ref:
        text += line(locale, "home.done.ref", ref=task.archive_ref)
    return text


def _units(home: HomeView, locale: str) -> list[Any]:
    person = home.person
    groups: dict[str, tuple[str, list[Role]]] = {}
    for membership in person.memberships:
        groups.setdefault(membership.unit_id, (membership.unit_name, []))[1].append(membership.role)
    if not groups:
        return [] if person.area else [words(t(locale, "home.units.empty"))]
    statuses = {unit.unit_id: unit for unit in person.units}
    body: list[Any] = [heading(t(locale, "home.units.title"))]
    for unit_id, (name, roles) in list(groups.items())[:UNITS_SHOWN]:
        role_words = ", ".join(t(locale, f"role.{role.value}") for role in dict.fromkeys(roles))
        body.append(plain(line(locale, "home.units.heading", unit=name, roles=role_words)))
        status = statuses.get(unit_id)
        if status is not None:
            body.append(plain(_unit_lines(status, locale)))
            for item in status.actions[:5]:
                state = t(locale, f"action_state.{item.state.value}")
                body.append(
                    plain(line(locale, "home.units.action_line", title=item.title, state=state))
                )
        if Role.leader in roles:
            data = {"action": "home_add_action", "value": unit_id}
            body.append(buttons([button(t(locale, "home.units.add_action"), data)]))
    return body


def _unit_lines(unit: UnitStatus, locale: str) -> str:
    parts = [line(locale, "home.unit.tasks", done=unit.done, due=unit.due, late=unit.late)]
    counts = Counter(item.state for item in unit.actions)
    if counts:
        states = " · ".join(
            f"{counts[s]} {t(locale, f'action_state.{s.value}')}" for s in ActionState if counts[s]
        )
        parts.append(line(locale, "home.unit.actions", states=states))
    if unit.failed_deliveries:
        parts.append(line(locale, "home.unit.failed", count=unit.failed_deliveries))
    return " · ".join(parts)


def _unit_summary(unit: UnitStatus, locale: str) -> str:
    level = t(locale, "home.unit.level", level=unit.level)
    return f"{unit.name} ({level}): {_unit_lines(unit, locale)}"


def _pulses(home: HomeView, locale: str) -> list[Any]:
    if not home.pulses:
        return []
    body: list[Any] = [heading(t(locale, "home.pulses.title"))]
    for summary in home.pulses[:PULSES_SHOWN]:
        body.append(
            plain(
                line(
                    locale,
                    "home.pulses.group",
                    pulse=summary.title.get(locale),
                    unit=summary.unit_name,
                    count=summary.respondents,
                )
            )
        )
        body += [plain("• " + pulse_line(q, r, locale)) for q, r in summary.questions]
    body.append(words(t(locale, "home.pulses.privacy"), subtle=True))
    return body


def _dates(milestones: list[tuple[str, str, str | None]], locale: str) -> list[Any]:
    from bot.conversation.dates import date_lines

    body: list[Any] = [heading(t(locale, "conversation.dates.title"))]
    body += [plain("• " + text) for text in date_lines(locale, milestones)]
    body.append(words(line(locale, "conversation.dates.how"), subtle=True))
    return body


def dates_card(
    milestones: list[tuple[str, str, str | None]], locale: str, *, intro: str | None
) -> AdaptiveCard:
    body: list[Any] = [plain(line(locale, "conversation.dates.usage"))] if intro else []
    return card(body + _dates(milestones, locale))


# -- answers to commands -----------------------------------------------------------------


def help_card(view: HelpView, locale: str, *, prefix: str | None = None) -> AdaptiveCard:
    names = ["help", "status", "plan", "tiltak", "lang", "pause"]
    if view.coordinator:
        names.append("report")
    body: list[Any] = []
    if prefix:
        body.append(plain(prefix))
    body.append(heading(t(locale, "ark.help.title")))
    body.append(words(t(locale, "teamsapp.help.intro"), subtle=True))
    body += [plain(line(locale, f"ark.help.{name}").replace("/ark ", "")) for name in names]
    return card(body)


def plan_card(plan: Plan, view: PlanView, locale: str, limit: int = 10) -> AdaptiveCard:
    body: list[Any] = [heading(t(locale, "ark.plan.title")), plain(plan.name.get(locale))]
    ahead = upcoming_milestones(
        plan, today=view.today, unit_levels=view.unit_levels, roles=view.roles
    )
    for milestone, span in ahead[:limit]:
        when = when_words(milestone, span, locale)
        if span.starts_on < view.today:
            when = t(locale, "ark.plan.ongoing", when=when)
        body.append(
            plain(
                line(
                    locale,
                    "ark.plan.line",
                    title=milestone.title.get(locale),
                    when=when,
                    phase=milestone.phase,
                    phase_name=_phase_name(milestone.phase, locale),
                )
            )
        )
    if not ahead:
        body.append(words(t(locale, "ark.plan.empty")))
    return card(body)


def report_card(view: ReportView, locale: str) -> AdaptiveCard:
    body: list[Any] = [
        heading(t(locale, "ark.report.title")),
        words(t(locale, "ark.report.as_of", date=format_day(view.today, locale)), subtle=True),
    ]
    if not view.area:
        return card([*body, words(t(locale, "ark.report.empty"))])
    urgent = sorted(view.area, key=lambda unit: unit.urgency)
    body.append(words(t(locale, "ark.report.units", count=len(view.area))))
    body += [plain(_unit_summary(unit, locale)) for unit in urgent[:AREA_SHOWN]]
    return card(body)
