"""The App Home and the `/ark` command's answers as Block Kit (typed `slack_sdk` builders).

Pure functions over the read-only views in `bot.overview` (and the plan for `/ark plan`):
nothing here asks the clock or the database. Every text comes from the catalogues
(`home.*`, `ark.*`) in the person's language; dates read as words (`format_day`). Text
from people or data (names, titles, notes) is escaped for mrkdwn.

Buttons the Slack app must handle (action_id → value):

- ``home_task_done``  → ``"<unit_id>|<milestone_id>"`` (a task due for me)
- ``home_vo_yes`` / ``home_vo_partly`` / ``home_vo_not_yet`` → ``"<unit_id>|<milestone_id>"``
- ``home_add_action`` → ``"<unit_id>"`` (leaders: register an action item)
- ``home_resume``     → ``"resume"`` (turn optional nudges back on)

`parse_unit_milestone` reads the ``unit|milestone`` values back. Values carry no person: the
listener takes who clicked from the payload and checks it.

Limits: a home view holds at most 100 blocks, a message at most 50; a section's text at most
3,000 characters. A coordinator's area is cut after the most urgent units that fit, with a
closing line pointing to ``/ark report``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    TextObject,
)
from slack_sdk.models.views import View

from bot.conversation.home import HomeView, PulseSummary, pulse_line
from bot.conversation.plan_words import _for_levels, _phase_name, upcoming_milestones, when_words
from bot.i18n.catalog import format_day, normalise_locale, t
from bot.overview import (
    ActionItemStatus,
    Membership,
    PersonHome,
    TaskStatus,
    UnitStatus,
    VoPointStatus,
)
from bot.slack.blocks import (
    BUTTON_TEXT_MAX,
    FALLBACK_TEXT_MAX,
    HEADER_MAX,
    SECTION_TEXT_MAX,
    escape_mrkdwn,
    truncate,
)
from schedules.plan import (
    Plan,
)
from schedules.timing import resolve
from storage.models import ActionState, Role, VoAnswer

ACTION_TASK_DONE = "home_task_done"
ACTION_VO_YES = "home_vo_yes"
ACTION_VO_PARTLY = "home_vo_partly"
ACTION_VO_NOT_YET = "home_vo_not_yet"
ACTION_ADD_ACTION = "home_add_action"
ACTION_RESUME = "home_resume"
RESUME_VALUE = "resume"
VALUE_SEPARATOR = "|"

HOME_BLOCKS_MAX = 100  # Slack's limit for a home view
MESSAGE_BLOCKS_MAX = 50  # Slack's limit for a message
DUE_SHOWN = 15
VO_SHOWN = 8
DONE_SHOWN = 5
UNITS_SHOWN = 10
ACTIONS_SHOWN = 8
STATUS_LINES = 10
REPORT_UNITS = 10
PULSES_SHOWN = 8
NOTE_MAX = 200

VO_YES, VO_PARTLY, VO_WAITING, VO_OVERDUE = "✅", "🟡", "⏳", "🔴"


# ── values the listeners read back ──────────────────────────────────────────────────────────


def unit_milestone_value(unit_id: str, milestone_id: str) -> str:
    """The value of a task or VO button: ``"<unit_id>|<milestone_id>"``."""
    return f"{unit_id}{VALUE_SEPARATOR}{milestone_id}"


def parse_unit_milestone(value: str) -> tuple[str, str]:
    """``(unit_id, milestone_id)`` from a button value; ValueError when it is not one."""
    unit_id, separator, milestone_id = value.rpartition(VALUE_SEPARATOR)
    if not separator or not unit_id or not milestone_id:
        raise ValueError(f"not a unit|milestone value: {value!r}")
    return unit_id, milestone_id


# ── small builders ──────────────────────────────────────────────────────────────────────────


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=truncate(text.strip(), HEADER_MAX), emoji=True))


def _section(text: str, accessory: ButtonElement | None = None) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(text, SECTION_TEXT_MAX)), accessory=accessory
    )


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_TEXT_MAX))])


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(label, BUTTON_TEXT_MAX), emoji=True),
        action_id=action_id,
        value=value,
        style=style,
    )


def _lines(title: str, lines: list[str]) -> str:
    return "\n".join([title, *lines]) if title else "\n".join(lines)


def text_fallback(blocks: Sequence[Block], limit: int = FALLBACK_TEXT_MAX) -> str:
    """The ``text`` an ephemeral message or notification needs: the blocks' words, in order."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, HeaderBlock) and block.text is not None:
            parts.append(escape_mrkdwn(block.text.text))
        elif isinstance(block, SectionBlock) and block.text is not None:
            parts.append(block.text.text)
        elif isinstance(block, ContextBlock):
            parts.extend(
                element.text for element in block.elements if isinstance(element, TextObject)
            )
    return truncate("\n".join(part for part in parts if part), limit)


# ── words ───────────────────────────────────────────────────────────────────────────────────


def _left(due_on: date, today: date, locale: str) -> str:
    days = (due_on - today).days
    if days < 0:
        return t(locale, "left.passed")
    if days == 0:
        return t(locale, "left.today")
    if days == 1:
        return t(locale, "left.tomorrow")
    return t(locale, "left.days", days=days)


def _is_late(task: TaskStatus, today: date) -> bool:
    if task.state == "late":
        return True
    open_ = task.state not in ("done", "done_late")
    return open_ and task.due_on is not None and task.due_on < today


def _task_line(task: TaskStatus, locale: str, today: date) -> str:
    unit = escape_mrkdwn(task.unit_name)
    if task.due_on is None:
        return t(locale, "home.due.no_date", unit=unit)
    due = format_day(task.due_on, locale)
    if _is_late(task, today):
        return t(locale, "home.due.late", unit=unit, due=due)
    return t(locale, "home.due.line", unit=unit, due=due, left=_left(task.due_on, today, locale))


def _soonest_first(tasks: list[TaskStatus]) -> list[TaskStatus]:
    return sorted(tasks, key=lambda task: (task.due_on is None, task.due_on or date.max))


def _vo_answer_word(answer: VoAnswer, locale: str) -> str:
    return {
        VoAnswer.yes: t(locale, "home.vo_answer.yes"),
        VoAnswer.partly: t(locale, "home.vo_answer.partly"),
        VoAnswer.not_yet: t(locale, "home.vo_answer.not_yet"),
    }[answer]


def _vo_symbol(point: VoPointStatus) -> str:
    if point.answer == VoAnswer.yes:
        return VO_YES
    if point.answer == VoAnswer.partly:
        return VO_PARTLY
    if point.overdue:
        return VO_OVERDUE
    return VO_WAITING


def _state_word(state: ActionState, locale: str) -> str:
    return t(locale, f"action_state.{state.value}")


def _role_word(role: Role, locale: str) -> str:
    return t(locale, f"role.{role.value}")


def _states_text(counts: Counter[ActionState], locale: str) -> str:
    """``"2 i rute · 1 forsinket"``: the states present, in the order an item moves through."""
    return " · ".join(
        f"{counts[state]} {_state_word(state, locale)}" for state in ActionState if counts[state]
    )


def _unit_lines(unit: UnitStatus, locale: str, *, action_counts: bool) -> list[str]:
    """Tasks done/due/late, VO per meeting point, (action items by state), failed deliveries."""
    lines = [t(locale, "home.unit.tasks", done=unit.done, due=unit.due, late=unit.late)]
    if unit.vo_points:
        points = " · ".join(
            f"{index} {_vo_symbol(point)}" for index, point in enumerate(unit.vo_points, start=1)
        )
        lines.append(t(locale, "home.unit.vo", points=points))
    else:
        lines.append(t(locale, "home.unit.vo_none"))
    if action_counts:
        counts = Counter(item.state for item in unit.actions)
        if counts:
            lines.append(t(locale, "home.unit.actions", states=_states_text(counts, locale)))
        else:
            lines.append(t(locale, "home.unit.actions_none"))
    if unit.failed_deliveries > 0:
        lines.append(t(locale, "home.unit.failed", count=unit.failed_deliveries))
    return lines


def _unit_summary(unit: UnitStatus, locale: str) -> str:
    """One compact section for a unit of the area (and the report)."""
    level = t(locale, "home.unit.level", level=unit.level)
    title = f"*{escape_mrkdwn(unit.name)}* · {level}"
    return _lines(title, _unit_lines(unit, locale, action_counts=True))


def _action_line(item: ActionItemStatus, locale: str) -> str:
    line = t(
        locale,
        "home.units.action_line",
        title=escape_mrkdwn(item.title),
        state=_state_word(item.state, locale),
    )
    if item.due_on is not None:
        line += t(locale, "home.units.action_due", due=format_day(item.due_on, locale))
    if item.owner:
        line += t(locale, "home.units.action_owner", owner=escape_mrkdwn(item.owner))
    area = t(locale, f"home.action_area.{item.area.value}")
    line += t(locale, "home.units.action_area", area=area)
    if item.note:
        line += t(
            locale, "home.units.action_note", note=truncate(escape_mrkdwn(item.note), NOTE_MAX)
        )
    return line


# ── the App Home ────────────────────────────────────────────────────────────────────────────


def home_view(home: PersonHome | HomeView, *, today: date | None = None) -> View:
    """The person's App Home (a ``home`` view of at most 100 blocks)."""
    pulses: list[PulseSummary] = []
    dates: list[tuple[str, str, str | None]] = []
    if isinstance(home, HomeView):
        today, pulses, dates, home = home.today, home.pulses, home.dates_to_set, home.person
    assert today is not None, "a PersonHome needs the day it is drawn for"
    locale = normalise_locale(home.locale)
    blocks: list[Block] = [
        _header(t(locale, "home.header", name=home.name)),
        _context(t(locale, "home.as_of", date=format_day(today, locale))),
    ]
    if home.paused_until is not None and home.paused_until >= today:
        blocks.append(_paused(home.paused_until, locale))
    blocks.append(DividerBlock())
    blocks += _due_blocks(home, locale, today)
    if home.vo_open:
        blocks += _vo_blocks(home.vo_open, locale, _unit_names(home))
    if home.done:
        blocks += _done_blocks(home.done, locale)
    blocks += _my_units_blocks(home, locale)
    if pulses:
        blocks += _pulse_blocks(pulses, locale)
    if dates:
        blocks += dates_blocks(dates, locale)
    if home.area:
        blocks += _area_blocks(home.area, locale, room=HOME_BLOCKS_MAX - len(blocks))
    view = View(type="home", blocks=blocks)
    view.validate_json()
    return view


def _pulse_blocks(pulses: list[PulseSummary], locale: str) -> list[Block]:
    """Results the privacy rules allow this person to see: closed rounds, big groups only."""
    blocks: list[Block] = [DividerBlock(), _header(t(locale, "home.pulses.title"))]
    for summary in pulses[:PULSES_SHOWN]:
        lines = [
            t(
                locale,
                "home.pulses.group",
                pulse=escape_mrkdwn(summary.title.get(locale)),
                unit=escape_mrkdwn(summary.unit_name),
                count=summary.respondents,
            )
        ]
        lines += [_bullet(pulse_line(text, result, locale)) for text, result in summary.questions]
        blocks.append(_section(truncate("\n".join(lines), SECTION_TEXT_MAX)))
    if len(pulses) > PULSES_SHOWN:
        blocks.append(_context(t(locale, "home.pulses.more", count=len(pulses) - PULSES_SHOWN)))
    blocks.append(_context(t(locale, "home.pulses.privacy")))
    return blocks


def dates_blocks(milestones: list[tuple[str, str, str | None]], locale: str) -> list[Block]:
    """Milestones still without a date, and how a coordinator sets one."""
    from bot.conversation.dates import date_lines

    lines = [_bullet(line) for line in date_lines(locale, milestones)]
    return [
        DividerBlock(),
        _header(t(locale, "conversation.dates.title")),
        _section(truncate("\n".join(lines), SECTION_TEXT_MAX)),
        _context(t(locale, "conversation.dates.how")),
    ]


def _bullet(text: str) -> str:
    return f"• {escape_mrkdwn(text)}"


def _paused(until: date, locale: str) -> SectionBlock:
    return _section(
        t(locale, "home.paused", date=format_day(until, locale)),
        accessory=_button(t(locale, "home.resume"), ACTION_RESUME, RESUME_VALUE),
    )


def _due_blocks(home: PersonHome, locale: str, today: date) -> list[Block]:
    tasks = _soonest_first(home.due)
    if not tasks and home.vo_open:
        return []  # only VO questions are waiting, under their own heading
    blocks: list[Block] = [_header(t(locale, "home.due.title"))]
    if not tasks:
        return [*blocks, _section(t(locale, "home.due.empty"))]
    for task in tasks[:DUE_SHOWN]:
        text = f"*{escape_mrkdwn(task.title.get(locale))}*\n{_task_line(task, locale, today)}"
        blocks.append(
            _section(
                text,
                accessory=_button(
                    t(locale, "button.task_done"),
                    ACTION_TASK_DONE,
                    unit_milestone_value(task.unit_id, task.milestone_id),
                    style="primary",
                ),
            )
        )
    if len(tasks) > DUE_SHOWN:
        blocks.append(_context(t(locale, "home.due.more", count=len(tasks) - DUE_SHOWN)))
    return blocks


def _unit_names(home: PersonHome) -> dict[str, str]:
    """Unit id → name for everything the person sees (VO points carry only the id)."""
    names = {unit.unit_id: unit.name for unit in [*home.area, *home.units]}
    names.update((membership.unit_id, membership.unit_name) for membership in home.memberships)
    return names


def _vo_line(point: VoPointStatus, locale: str, names: dict[str, str]) -> str:
    unit = escape_mrkdwn(names.get(point.unit_id, point.unit_id))
    if point.confirm_by is not None:
        line = t(locale, "home.vo.line", unit=unit, date=format_day(point.confirm_by, locale))
    else:
        line = t(locale, "home.vo.line_no_date", unit=unit)
    if point.overdue:
        line += " · " + t(locale, "home.vo.overdue")
    return line


def _vo_text(point: VoPointStatus, locale: str, names: dict[str, str]) -> str:
    lines = [f"*{escape_mrkdwn(point.title.get(locale))}*", _vo_line(point, locale, names)]
    if point.answer is not None:
        answer = _vo_answer_word(point.answer, locale)
        if point.answered_on is not None:
            answered_on = format_day(point.answered_on, locale)
            lines.append(t(locale, "home.vo.answered", answer=answer, date=answered_on))
        else:
            lines.append(t(locale, "home.vo.answered_no_date", answer=answer))
    if point.comment:
        comment = truncate(escape_mrkdwn(point.comment), NOTE_MAX)
        lines.append(t(locale, "home.vo.comment", comment=comment))
    return "\n".join(lines)


def _vo_blocks(points: list[VoPointStatus], locale: str, names: dict[str, str]) -> list[Block]:
    blocks: list[Block] = [
        _header(t(locale, "home.vo.title")),
        _context(t(locale, "home.vo.intro")),
    ]
    for point in points[:VO_SHOWN]:
        value = unit_milestone_value(point.unit_id, point.milestone_id)
        blocks.append(_section(_vo_text(point, locale, names)))
        blocks.append(
            ActionsBlock(
                elements=[
                    _button(t(locale, "button.vo_yes"), ACTION_VO_YES, value, style="primary"),
                    _button(t(locale, "button.vo_partly"), ACTION_VO_PARTLY, value),
                    _button(t(locale, "button.vo_not_yet"), ACTION_VO_NOT_YET, value),
                ]
            )
        )
    if len(points) > VO_SHOWN:
        blocks.append(_context(t(locale, "home.vo.more", count=len(points) - VO_SHOWN)))
    return blocks


def _done_line(task: TaskStatus, locale: str) -> str:
    title = escape_mrkdwn(task.title.get(locale))
    unit = escape_mrkdwn(task.unit_name)
    if task.done_on is None:
        line = t(locale, "home.done.no_date", title=title, unit=unit)
    else:
        done_on = format_day(task.done_on, locale)
        line = t(locale, "home.done.line", title=title, unit=unit, date=done_on)
    if task.state == "done_late":
        line += t(locale, "home.done.late")
    if task.done_by:
        line += t(locale, "home.done.by", name=escape_mrkdwn(task.done_by))
    if task.archive_ref:
        line += t(locale, "home.done.ref", ref=escape_mrkdwn(task.archive_ref))
    return line


def _done_blocks(done: list[TaskStatus], locale: str) -> list[Block]:
    lines = [_done_line(task, locale) for task in done[:DONE_SHOWN]]
    return [_header(t(locale, "home.done.title")), _section("\n".join(lines))]


def _grouped(memberships: list[Membership]) -> list[tuple[str, str, list[Role]]]:
    """(unit_id, unit name, roles) per unit, in the order the memberships come."""
    groups: dict[str, tuple[str, list[Role]]] = {}
    for membership in memberships:
        _, roles = groups.setdefault(membership.unit_id, (membership.unit_name, []))
        if membership.role not in roles:
            roles.append(membership.role)
    return [(unit_id, name, roles) for unit_id, (name, roles) in groups.items()]


def _my_unit_text(name: str, roles: list[Role], status: UnitStatus | None, locale: str) -> str:
    role_words = ", ".join(_role_word(role, locale) for role in roles)
    lines = [t(locale, "home.units.heading", unit=escape_mrkdwn(name), roles=role_words)]
    if status is None:
        return "\n".join(lines)
    lines += _unit_lines(status, locale, action_counts=False)
    if status.actions:
        lines.append(t(locale, "home.units.actions_title"))
        lines += [_action_line(item, locale) for item in status.actions[:ACTIONS_SHOWN]]
        if len(status.actions) > ACTIONS_SHOWN:
            hidden = len(status.actions) - ACTIONS_SHOWN
            lines.append(t(locale, "home.units.actions_more", count=hidden))
    else:
        lines.append(t(locale, "home.units.actions_none"))
    return "\n".join(lines)


def _my_units_blocks(home: PersonHome, locale: str) -> list[Block]:
    blocks: list[Block] = [_header(t(locale, "home.units.title"))]
    groups = _grouped(home.memberships)
    if not groups:
        if home.area:
            return []  # a coordinator without a unit of their own: the area follows
        blocks.append(_section(t(locale, "home.units.empty")))
        return blocks
    statuses = {unit.unit_id: unit for unit in home.units}
    for unit_id, name, roles in groups[:UNITS_SHOWN]:
        accessory = None
        if Role.leader in roles:
            accessory = _button(t(locale, "home.units.add_action"), ACTION_ADD_ACTION, unit_id)
        text = _my_unit_text(name, roles, statuses.get(unit_id), locale)
        blocks.append(_section(text, accessory=accessory))
    if len(groups) > UNITS_SHOWN:
        blocks.append(_context(t(locale, "home.units.more", count=len(groups) - UNITS_SHOWN)))
    return blocks


def _area_blocks(area: list[UnitStatus], locale: str, *, room: int) -> list[Block]:
    """The coordinator's area in at most `room` blocks: most urgent first (as given)."""
    intro = _lines(t(locale, "home.area.intro", count=len(area)), [t(locale, "home.area.legend")])
    blocks: list[Block] = [DividerBlock(), _header(t(locale, "home.area.title")), _context(intro)]
    fits = room - len(blocks)
    shown = area if len(area) <= fits else area[: max(0, fits - 1)]
    blocks += [_section(_unit_summary(unit, locale)) for unit in shown]
    if len(shown) < len(area):
        blocks.append(_context(t(locale, "home.area.more", count=len(area) - len(shown))))
    return blocks


# ── /ark help, status ───────────────────────────────────────────────────────────────────────


def help_blocks(locale: str, *, coordinator: bool) -> list[Block]:
    """``/ark help``: each subcommand with one line; ``report`` only for coordinators."""
    locale = normalise_locale(locale)
    lines = [
        t(locale, "ark.help.help"),
        t(locale, "ark.help.status"),
        t(locale, "ark.help.plan"),
        t(locale, "ark.help.tiltak"),
        t(locale, "ark.help.lang"),
        t(locale, "ark.help.pause"),
    ]
    if coordinator:
        lines += [t(locale, "ark.help.report"), t(locale, "ark.help.dato")]
    return [
        _header(t(locale, "ark.help.title")),
        _section(_lines(t(locale, "ark.help.intro"), ["• " + line for line in lines])),
        _context(t(locale, "ark.help.footer")),
    ]


def _bold(text: str) -> str:
    return f"*{text}*"


def _bullets(items: list[str], more: str | None) -> list[str]:
    lines = ["• " + item for item in items]
    return [*lines, more] if more else lines


def status_blocks(home: PersonHome, *, today: date) -> list[Block]:
    """``/ark status``: a compact, ephemeral version of the App Home."""
    locale = normalise_locale(home.locale)
    names = _unit_names(home)
    blocks: list[Block] = [
        _header(t(locale, "ark.status.title")),
        _context(t(locale, "home.as_of", date=format_day(today, locale))),
    ]
    if home.paused_until is not None and home.paused_until >= today:
        blocks.append(_paused(home.paused_until, locale))

    tasks = _soonest_first(home.due)
    if tasks or not home.vo_open:
        items = [
            f"*{escape_mrkdwn(task.title.get(locale))}* – {_task_line(task, locale, today)}"
            for task in tasks[:STATUS_LINES]
        ]
        more = None
        if len(tasks) > STATUS_LINES:
            more = t(locale, "home.due.more", count=len(tasks) - STATUS_LINES)
        body = _bullets(items, more) if items else [t(locale, "home.due.empty")]
        blocks.append(_section(_lines(_bold(t(locale, "home.due.title")), body)))

    if home.vo_open:
        items = []
        for point in home.vo_open[:STATUS_LINES]:
            title = escape_mrkdwn(point.title.get(locale))
            items.append(f"*{title}* – {_vo_line(point, locale, names)}")
        more = None
        if len(home.vo_open) > STATUS_LINES:
            more = t(locale, "home.vo.more", count=len(home.vo_open) - STATUS_LINES)
        blocks.append(_section(_lines(_bold(t(locale, "home.vo.title")), _bullets(items, more))))

    groups = _grouped(home.memberships)
    if groups:
        statuses = {unit.unit_id: unit for unit in home.units}
        items = []
        for unit_id, name, roles in groups[:STATUS_LINES]:
            role_words = ", ".join(_role_word(role, locale) for role in roles)
            line = t(locale, "home.units.heading", unit=escape_mrkdwn(name), roles=role_words)
            status = statuses.get(unit_id)
            if status is not None:
                tasks_line = t(
                    locale, "home.unit.tasks", done=status.done, due=status.due, late=status.late
                )
                line += f" · {tasks_line}"
            items.append(line)
        more = None
        if len(groups) > STATUS_LINES:
            more = t(locale, "home.units.more", count=len(groups) - STATUS_LINES)
        blocks.append(_section(_lines(_bold(t(locale, "home.units.title")), _bullets(items, more))))

    if home.area:
        top = [
            f"*{escape_mrkdwn(unit.name)}* – "
            + t(locale, "home.unit.tasks", done=unit.done, due=unit.due, late=unit.late)
            for unit in home.area[:5]
        ]
        more = None
        if len(home.area) > 5:
            more = t(locale, "home.area.more", count=len(home.area) - 5)
        area_title = t(locale, "home.area.title")
        intro = t(locale, "home.area.intro", count=len(home.area))
        blocks.append(_section(_lines(f"*{area_title}*", [intro, *_bullets(top, more)])))

    blocks.append(_context(t(locale, "ark.status.home_hint")))
    return blocks


# ── /ark plan ───────────────────────────────────────────────────────────────────────────────


def plan_blocks(
    plan: Plan,
    *,
    locale: str,
    today: date,
    unit_levels: set[int],
    limit: int = 10,
    roles: set[Role] | None = None,
) -> list[Block]:
    """``/ark plan``: the next `limit` milestones for the person's units, dates in words.

    A milestone counts when one of its audiences has no level or one of `unit_levels`; with
    `roles` (the person's roles), that audience must also be for one of those roles, so a
    level-3 leader does not see a level-2 agenda item meant for its leaders and coordinators.
    In order of their first day; an ongoing one says so. Undated ones are named at the end.
    """
    locale = normalise_locale(locale)
    blocks: list[Block] = [
        _header(t(locale, "ark.plan.title")),
        _context(escape_mrkdwn(plan.name.get(locale))),
    ]
    ahead = upcoming_milestones(plan, today=today, unit_levels=unit_levels, roles=roles)
    shown = ahead[: max(0, min(limit, MESSAGE_BLOCKS_MAX - 5))]
    for milestone, span in shown:
        when = when_words(milestone, span, locale)
        if span.starts_on < today:
            when = t(locale, "ark.plan.ongoing", when=when)
        text = t(
            locale,
            "ark.plan.line",
            title=escape_mrkdwn(milestone.title.get(locale)),
            when=when,
            phase=milestone.phase,
            phase_name=_phase_name(milestone.phase, locale),
        )
        blocks.append(_section(text))
    if not ahead:
        blocks.append(_section(t(locale, "ark.plan.empty")))
    if len(ahead) > len(shown):
        blocks.append(_context(t(locale, "ark.plan.more", count=len(ahead) - len(shown))))
    undated = [
        milestone
        for milestone in plan.milestones
        if _for_levels(milestone, unit_levels, roles) and resolve(plan, milestone) is None
    ]
    if undated:
        titles = "; ".join(escape_mrkdwn(milestone.title.get(locale)) for milestone in undated)
        blocks.append(_context(t(locale, "ark.plan.undated", titles=titles)))
    return blocks


# ── /ark report ─────────────────────────────────────────────────────────────────────────────


def report_blocks(area: list[UnitStatus], *, locale: str, today: date) -> list[Block]:
    """``/ark report``: the coordinator's totals and the most urgent units (≤ 50 blocks)."""
    locale = normalise_locale(locale)
    blocks: list[Block] = [
        _header(t(locale, "ark.report.title")),
        _context(t(locale, "ark.report.as_of", date=format_day(today, locale))),
    ]
    if not area:
        blocks.append(_section(t(locale, "ark.report.empty")))
        return blocks
    tasks = Counter(task.state for unit in area for task in unit.tasks)
    points = [point for unit in area for point in unit.vo_points]
    actions = Counter(item.state for unit in area for item in unit.actions)
    lines = [
        t(locale, "ark.report.units", count=len(area)),
        t(
            locale,
            "ark.report.tasks",
            on_time=tasks["done"],
            done_late=tasks["done_late"],
            open=tasks["due"] + tasks["late"],
            late=tasks["late"],
        ),
        t(
            locale,
            "ark.report.vo",
            confirmed=sum(1 for point in points if point.answer == VoAnswer.yes),
            partly=sum(1 for point in points if point.answer == VoAnswer.partly),
            overdue=sum(1 for point in points if point.overdue),
            total=len(points),
        ),
        t(locale, "ark.report.actions", states=_states_text(actions, locale))
        if actions
        else t(locale, "ark.report.actions_none"),
        t(locale, "ark.report.failed", count=sum(unit.failed_deliveries for unit in area)),
    ]
    blocks.append(_section("\n".join(lines)))
    urgent = sorted(area, key=lambda unit: unit.urgency)
    blocks += [DividerBlock(), _header(t(locale, "ark.report.urgent"))]
    blocks += [_section(_unit_summary(unit, locale)) for unit in urgent[:REPORT_UNITS]]
    if len(urgent) > REPORT_UNITS:
        blocks.append(_context(t(locale, "ark.report.more", count=len(urgent) - REPORT_UNITS)))
    return blocks
