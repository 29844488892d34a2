"""`/ark`: help, status, plan, tiltak, lang, pause and, for coordinators, report."""

from __future__ import annotations

from collections.abc import Callable
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
            handler(deps, session, person, args, command, client, respond)


def _say(respond: Respond, text: str, blocks: list[Any] | None = None) -> None:
    payload: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if blocks:
        payload["blocks"] = [
            block.to_dict() if hasattr(block, "to_dict") else block for block in blocks
        ]
    respond(**payload)


Handler = Callable[[Deps, Session, Person, list[str], dict[str, Any], WebClient, Respond], None]


def _help(
    deps: Deps,
    session: Session,
    person: Person,
    args: list[str],
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    locale = person.locale
    blocks = help_blocks(locale, coordinator=is_coordinator(session, person.id or 0))
    _say(respond, "/ark help", blocks)


def _status(
    deps: Deps,
    session: Session,
    person: Person,
    args: list[str],
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    today = deps.today(person)
    home = person_home(session, deps.plan, person.id or 0, today, deps.calendar)
    _say(respond, "/ark status", status_blocks(home, today=today))


def _plan(
    deps: Deps,
    session: Session,
    person: Person,
    args: list[str],
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    units = _units(session, person)
    blocks = plan_blocks(
        deps.plan,
        locale=person.locale,
        today=deps.today(person),
        unit_levels={unit.level for unit, _ in units},
        roles={role for _, role in units},
    )
    _say(respond, "/ark plan", blocks)


def _tiltak(
    deps: Deps,
    session: Session,
    person: Person,
    args: list[str],
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    units = _led_units(session, person)
    if not units:
        _say(respond, t(person.locale, "slack.action.none_to_lead"))
        return
    view = modals.action_item_modal(person.locale, units=units, metadata={})
    client.views_open(trigger_id=command["trigger_id"], view=view)


def _lang(
    deps: Deps,
    session: Session,
    person: Person,
    args: list[str],
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    wanted = args[0].lower() if args else ""
    if wanted not in ("nb", "en"):
        _say(respond, t(person.locale, "slack.command.lang_usage"))
        return
    set_locale(session, person_id=person.id or 0, locale=wanted, now=deps.now(), actor=person.email)
    session.refresh(person)
    _say(respond, t(wanted, "slack.command.lang_set"))
    publish_home(client, deps, session, person)


def _pause(
    deps: Deps,
    session: Session,
    person: Person,
    args: list[str],
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    locale = person.locale
    word = args[0].lower() if args else "7"
    if word in ("off", "av", "stop", "resume"):
        pause_person(
            session, person_id=person.id or 0, until=None, now=deps.now(), actor=person.email
        )
        _say(respond, t(locale, "slack.command.resumed"))
        return
    if not word.isdigit() or not 1 <= int(word) <= MAX_PAUSE_DAYS:
        _say(respond, t(locale, "slack.command.pause_usage"))
        return
    last_day = deps.today(person) + timedelta(days=int(word) - 1)
    until = deps.calendar.send_time(last_day + timedelta(days=1), person.timezone)
    pause_person(session, person_id=person.id or 0, until=until, now=deps.now(), actor=person.email)
    _say(respond, t(locale, "slack.command.paused", date=format_day(last_day, locale)))


def _report(
    deps: Deps,
    session: Session,
    person: Person,
    args: list[str],
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    """A summary here, and the full report (HTML) as a file in the coordinator's DM."""
    if not is_coordinator(session, person.id or 0):
        _say(respond, t(person.locale, "slack.access.not_coordinator"))
        return
    today = deps.today(person)
    area = coordinator_area(session, deps.plan, person.id or 0, today, deps.calendar)
    _say(respond, "/ark report", report_blocks(area, locale=person.locale, today=today))
    roots = _coordinated_roots(session, person)
    if not roots:
        return
    channel = client.conversations_open(users=command["user_id"])["channel"]["id"]
    for unit in roots:
        report = build_report(
            session,
            deps.plan,
            unit_id=unit.id,
            today=today,
            calendar=deps.calendar,
            min_group=deps.pulse_min_group,
        )
        client.files_upload_v2(
            channel=channel,
            content=render_html(report, locale=person.locale).encode("utf-8"),
            filename=f"ark-{unit.id}-{today.isoformat()}.html",
            title=t(person.locale, "slack.report.file_title", unit=unit.name),
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
