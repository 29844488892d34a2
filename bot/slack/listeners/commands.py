"""`/ark`: help, status, plan, tiltak, lang, pause and, for coordinators, report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.access import is_coordinator
from bot.i18n.catalog import format_day, t
from bot.overview import coordinator_area, person_home
from bot.reports import build_report, render_html
from bot.slack import modals
from bot.slack.context import Deps, locale_of, person_for
from bot.slack.home import help_blocks, plan_blocks, report_blocks, status_blocks
from bot.slack.homes import publish_home
from storage.db import session_scope
from storage.models import Membership, Person, Role, Unit
from storage.records import pause_person, set_locale

Respond = Callable[..., Any]
MAX_PAUSE_DAYS = 90


def register(app: App, deps: Deps) -> None:
    @app.command("/ark")
    def ark(
        ack: Callable[..., None], command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        words = (command.get("text") or "").split()
        sub, args = (words[0].lower(), words[1:]) if words else ("help", [])
        with session_scope(deps.engine) as session:
            person = person_for(session, command.get("user_id"))
            locale = locale_of(person, {})
            if person is None or person.id is None:
                _say(respond, t(locale, "slack.access.unknown_user"))
                return
            handler = _SUBCOMMANDS.get(sub)
            if handler is None:
                coordinator = is_coordinator(session, person.id)
                blocks = help_blocks(locale, coordinator=coordinator)
                _say(respond, t(locale, "slack.command.unknown", word=sub), blocks)
                return
            handler(Call(deps, session, person, args, command, client, respond))


def _say(respond: Respond, text: str, blocks: list[Any] | None = None) -> None:
    payload: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if blocks:
        payload["blocks"] = [
            block.to_dict() if hasattr(block, "to_dict") else block for block in blocks
        ]
    respond(**payload)


@dataclass(frozen=True, slots=True)
class Call:
    """One `/ark` invocation: who asked, with what, and how to answer."""

    deps: Deps
    session: Session
    person: Person
    args: list[str]
    command: dict[str, Any]
    client: WebClient
    respond: Respond


Handler = Callable[[Call], None]


def _help(call: Call) -> None:
    locale = call.person.locale
    blocks = help_blocks(locale, coordinator=is_coordinator(call.session, call.person.id or 0))
    _say(call.respond, "/ark help", blocks)


def _status(call: Call) -> None:
    today = call.deps.today(call.person)
    home = person_home(call.session, call.deps.plan, call.person.id or 0, today, call.deps.calendar)
    _say(call.respond, "/ark status", status_blocks(home, today=today))


def _plan(call: Call) -> None:
    units = _units(call.session, call.person)
    blocks = plan_blocks(
        call.deps.plan,
        locale=call.person.locale,
        today=call.deps.today(call.person),
        unit_levels={unit.level for unit, _ in units},
        roles={role for _, role in units},
    )
    _say(call.respond, "/ark plan", blocks)


def _tiltak(call: Call) -> None:
    units = _led_units(call.session, call.person)
    if not units:
        _say(call.respond, t(call.person.locale, "slack.action.none_to_lead"))
        return
    view = modals.action_item_modal(call.person.locale, units=units, metadata={})
    call.client.views_open(trigger_id=call.command["trigger_id"], view=view)


def _lang(call: Call) -> None:
    wanted = call.args[0].lower() if call.args else ""
    if wanted not in ("nb", "en"):
        _say(call.respond, t(call.person.locale, "slack.command.lang_usage"))
        return
    set_locale(
        call.session,
        person_id=call.person.id or 0,
        locale=wanted,
        now=call.deps.now(),
        actor=call.person.email,
    )
    call.session.refresh(call.person)
    _say(call.respond, t(wanted, "slack.command.lang_set"))
    publish_home(call.client, call.deps, call.session, call.person)


def _pause(call: Call) -> None:
    locale = call.person.locale
    word = call.args[0].lower() if call.args else "7"
    if word in ("off", "av", "stop", "resume"):
        pause_person(
            call.session,
            person_id=call.person.id or 0,
            until=None,
            now=call.deps.now(),
            actor=call.person.email,
        )
        _say(call.respond, t(locale, "slack.command.resumed"))
        return
    if not word.isdigit() or not 1 <= int(word) <= MAX_PAUSE_DAYS:
        _say(call.respond, t(locale, "slack.command.pause_usage"))
        return
    last_day = call.deps.today(call.person) + timedelta(days=int(word) - 1)
    until = call.deps.calendar.send_time(last_day + timedelta(days=1), call.person.timezone)
    pause_person(
        call.session,
        person_id=call.person.id or 0,
        until=until,
        now=call.deps.now(),
        actor=call.person.email,
    )
    _say(call.respond, t(locale, "slack.command.paused", date=format_day(last_day, locale)))


def _report(call: Call) -> None:
    """A summary here, and the full report (HTML) as a file in the coordinator's DM."""
    if not is_coordinator(call.session, call.person.id or 0):
        _say(call.respond, t(call.person.locale, "slack.access.not_coordinator"))
        return
    today = call.deps.today(call.person)
    area = coordinator_area(
        call.session, call.deps.plan, call.person.id or 0, today, call.deps.calendar
    )
    _say(call.respond, "/ark report", report_blocks(area, locale=call.person.locale, today=today))
    roots = _coordinated_roots(call.session, call.person)
    if not roots:
        return
    channel = call.client.conversations_open(users=call.command["user_id"])["channel"]["id"]
    for unit in roots:
        report = build_report(
            call.session,
            call.deps.plan,
            unit_id=unit.id,
            today=today,
            calendar=call.deps.calendar,
            min_group=call.deps.pulse_min_group,
        )
        call.client.files_upload_v2(
            channel=channel,
            content=render_html(report, locale=call.person.locale).encode("utf-8"),
            filename=f"ark-{unit.id}-{today.isoformat()}.html",
            title=t(call.person.locale, "slack.report.file_title", unit=unit.name),
        )


def _coordinated_roots(session: Session, person: Person) -> list[Unit]:
    """The units the person coordinates whose parents they do not also coordinate."""
    units = {unit.id: unit for unit, role in _units(session, person) if role is Role.coordinator}
    return sorted(
        (unit for unit in units.values() if unit.parent_id not in units), key=lambda unit: unit.id
    )


def _units(session: Session, person: Person) -> list[tuple[Unit, Role]]:
    """The person's active units and their role in each."""
    rows = session.exec(
        select(Unit, Membership.role)
        .join(Membership, Membership.unit_id == Unit.id)  # type: ignore[arg-type]
        .where(Membership.person_id == person.id, Membership.active, Unit.active)
    ).all()
    return [(unit, Role(role)) for unit, role in rows]


def _led_units(session: Session, person: Person) -> list[tuple[str, str]]:
    return sorted(
        (unit.id, unit.name) for unit, role in _units(session, person) if role is Role.leader
    )


_SUBCOMMANDS: dict[str, Handler] = {
    "help": _help,
    "hjelp": _help,
    "status": _status,
    "plan": _plan,
    "tiltak": _tiltak,
    "lang": _lang,
    "språk": _lang,
    "pause": _pause,
    "report": _report,
    "rapport": _report,
}
