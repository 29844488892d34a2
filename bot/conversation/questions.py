"""The questions a person asks (`/ark` in Slack, the command menu in Teams): help, status,
plan, report, and their home view. They answer; they change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from bot.access import is_coordinator, roles_of
from bot.conversation.base import NOT_COORDINATOR, STALE, Refusal, Turn, action
from bot.conversation.home import home_of
from bot.conversation.types import File, Outcome, Status
from bot.overview import UnitStatus, coordinator_area
from bot.reports import build_report, render_html
from schedules.plan import Plan
from storage.models import Role, Unit


@dataclass(frozen=True, slots=True)
class HelpView:
    coordinator: bool


@dataclass(frozen=True, slots=True)
class PlanView:
    plan: Plan  # with the dates set in the database
    unit_levels: set[int]
    roles: set[Role]
    today: date


@dataclass(frozen=True, slots=True)
class ReportView:
    area: list[UnitStatus]
    today: date


@action
def help(turn: Turn) -> Outcome:
    return turn.outcome(Status.shown, data=HelpView(is_coordinator(turn.session, turn.person_id)))


@action
def home(turn: Turn) -> Outcome:
    """The home view (Slack's App Home, Teams' home card) and `status`."""
    return turn.outcome(Status.shown, home=home_of(turn))


@action
def plan(turn: Turn) -> Outcome:
    levels: set[int] = set()
    roles: set[Role] = set()
    for unit_id, role in roles_of(turn.session, turn.person_id):
        unit = turn.session.get(Unit, unit_id)
        if unit is not None:
            levels.add(unit.level)
            roles.add(role)
    return turn.outcome(Status.shown, data=PlanView(turn.plan, levels, roles, turn.today))


@action
def report(turn: Turn) -> Outcome:
    """A summary of the coordinator's area, and the full report of each top unit as HTML."""
    if not is_coordinator(turn.session, turn.person_id):
        raise Refusal(NOT_COORDINATOR)
    core = turn.core
    area = coordinator_area(turn.session, turn.plan, turn.person_id, turn.today, core.calendar)
    files = [_report_file(turn, unit) for unit in _coordinated_roots(turn)]
    return turn.outcome(Status.shown, data=ReportView(area, turn.today), files=files)


@action
def report_file(turn: Turn, unit_id: str) -> Outcome:
    """One top unit's full report again (Teams asks for it once the person allowed the file):
    only for a coordinator, only of a unit they coordinate, made afresh with every check."""
    if not is_coordinator(turn.session, turn.person_id):
        raise Refusal(NOT_COORDINATOR)
    units = [unit for unit in _coordinated_roots(turn) if unit.id == unit_id]
    if not units:  # not (or no longer) theirs, or a made-up id
        raise Refusal(STALE)
    return turn.outcome(Status.shown, files=[_report_file(turn, units[0])])


def _report_file(turn: Turn, unit: Unit) -> File:
    core = turn.core
    report = build_report(
        turn.session,
        turn.plan,
        unit_id=unit.id,
        today=turn.today,
        calendar=core.calendar,
        min_group=core.pulse_min_group,
    )
    return File(
        filename=f"ark-{unit.id}-{turn.today.isoformat()}.html",
        title=turn.text("conversation.report.file_title", unit=unit.name),
        comment="",
        content=render_html(report, locale=turn.locale).encode("utf-8"),
        mime_type="text/html",
        unit_id=unit.id,
    )


def _coordinated_roots(turn: Turn) -> list[Unit]:
    """The units the person coordinates whose parents they do not also coordinate."""
    ids = {unit_id for unit_id, role in roles_of(turn.session, turn.person_id)
           if role is Role.coordinator}  # fmt: skip
    units = turn.session.exec(select(Unit).where(Unit.id.in_(ids))).all() if ids else []  # type: ignore[attr-defined]
    return sorted((u for u in units if u.parent_id not in ids), key=lambda unit: unit.id)
