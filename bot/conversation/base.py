"""The core's parts and the frame every action runs in: who asks, in one transaction.

`Core` holds what the decisions need (database, plan, clock, calendar, a few settings).
`Turn` is one request: the session, the verified person and their language. An action
raises `Refusal` or `FieldError` to say no; the frame turns either into an `Outcome` and
rolls back, so a refused request never changes anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, wraps
from typing import Any, Concatenate, ParamSpec

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.conversation.fields import FieldError
from bot.conversation.identity import Resolver, resolve_person
from bot.conversation.types import Form, FormKind, FormRef, Identity, Outcome, Status
from bot.conversation.workspace_checks import RecentChecks
from bot.i18n.catalog import normalise_locale, t
from schedules.calendar import WorkCalendar
from schedules.clock import Clock
from schedules.plan import Milestone, Plan
from storage.db import session_scope
from storage.models import Delivery, Person, Unit
from storage.overrides import effective_plan, load_overrides

log = logging.getLogger("arkbot.conversation")
P = ParamSpec("P")

UNKNOWN_USER = "conversation.access.unknown_user"
NOT_ADDRESSEE = "conversation.access.not_addressee"
NOT_LEADER = "conversation.access.not_leader"
NOT_VO = "conversation.access.not_vo"
NOT_COORDINATOR = "conversation.access.not_coordinator"
STALE = "conversation.access.stale"
WRONG_WORKSPACE = "conversation.wrong_workspace"


@dataclass(frozen=True, slots=True)
class Core:
    engine: Engine
    plan: Plan
    clock: Clock
    calendar: WorkCalendar
    you_said_we_did: bool = True
    pulse_min_group: int = 5
    # The workspace (Slack team, Teams tenant) each platform serves, when known: a request
    # from another one is refused. A callable, because a platform may learn it late.
    workspaces: Callable[[str], str | None] = field(default=lambda _platform: None)
    resolvers: dict[str, Resolver] = field(default_factory=dict)
    # Shared by the copies `dataclasses.replace` makes of this core (the same object).
    workspace_checks: RecentChecks = field(default_factory=RecentChecks)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self, person: Person | None) -> date:
        return self.calendar.local_date(self.now(), person.timezone if person else None)

    def milestone(self, milestone_id: str | None) -> Milestone | None:
        if not milestone_id:
            return None
        return next((m for m in self.plan.milestones if m.id == milestone_id), None)


@dataclass(frozen=True)
class Turn:
    core: Core
    session: Session
    person: Person
    who: Identity
    # Units read during this turn, held here: the session only keeps weak references.
    _units: dict[str, Unit] = field(default_factory=dict, repr=False)

    @cached_property
    def plan(self) -> Plan:
        """The plan with the dates coordinators set or moved (read once per request)."""
        return effective_plan(self.core.plan, load_overrides(self.session, self.core.plan.id))

    @property
    def cycle_id(self) -> str:
        """The cycle's id: the plan's, without reading its date overrides as `plan` does."""
        return self.core.plan.id

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    @property
    def locale(self) -> str:
        return normalise_locale(self.person.locale)

    @property
    def today(self) -> date:
        return self.core.today(self.person)

    @property
    def now(self) -> datetime:
        return self.core.now()

    def text(self, key: str, **values: Any) -> str:
        return t(self.locale, key, **values)

    def unit_name(self, unit_id: str | None) -> str:
        if not unit_id:
            return ""
        unit = self._units.get(unit_id) or self.session.get(Unit, unit_id)
        return unit.name if unit is not None else unit_id

    def milestone_form(
        self, kind: FormKind, milestone: Milestone, unit_id: str, ref: FormRef
    ) -> Outcome:
        """A form about one milestone for one unit, its date field starting at today."""
        form = Form(
            kind,
            self.locale,
            ref,
            title=milestone.title.get(self.locale),
            unit=self.unit_name(unit_id),
            today=self.today,
            initial_date=self.today,
        )
        return self.outcome(Status.form, form=form)

    def outcome(self, status: Status, reply: str | None = None, **fields: Any) -> Outcome:
        return Outcome(status=status, locale=self.locale, reply=reply, **fields)

    def own_delivery(self, delivery_id: int | None) -> Delivery:
        """The delivery, if it belongs to this cycle and was sent to the asker.

        Its unit is read in the same statement: nearly every answer names it, and
        `unit_name` then has it without asking the database again.
        """
        found = (
            self.session.exec(_DELIVERY_AND_UNIT, params={"delivery_id": delivery_id}).first()
            if delivery_id is not None
            else None
        )
        delivery, unit = found if found is not None else (None, None)
        if unit is not None:
            self._units[unit.id] = unit
        if delivery is None or delivery.cycle_id != self.cycle_id:
            raise Refusal(STALE)
        if delivery.person_id != self.person_id:
            raise Refusal(NOT_ADDRESSEE)
        return delivery


_DELIVERY_AND_UNIT = (
    select(Delivery, Unit)
    .outerjoin(Unit, col(Unit.id) == col(Delivery.unit_id))
    .where(col(Delivery.id) == bindparam("delivery_id"))
)


class Refusal(Exception):
    """No: `reason` is a catalogue key, `params` fill its text."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


class _Rollback(Exception):
    pass


@contextmanager
def _session(core: Core) -> Iterator[Session]:
    with session_scope(core.engine) as session:
        yield session


def action(
    fn: Callable[Concatenate[Turn, P], Outcome],
) -> Callable[Concatenate[Core, Identity, P], Outcome]:
    """Run `fn` as one request: find the asker, then decide; a refusal changes nothing."""

    @wraps(fn)
    def run(core: Core, who: Identity, /, *args: P.args, **kwargs: P.kwargs) -> Outcome:
        stranger = normalise_locale(who.locale)
        result: Outcome | None = None
        try:
            with _session(core) as session:
                person = resolve_person(session, who, core.resolvers)
                if person is None or person.id is None:
                    raise Refusal(UNKNOWN_USER)
                expected = core.workspaces(who.platform)
                if expected is not None and who.workspace != expected:
                    raise Refusal(WRONG_WORKSPACE)
                turn = Turn(core, session, person, who)
                stranger = turn.locale
                try:
                    result = fn(turn, *args, **kwargs)
                except (Refusal, FieldError) as no:
                    result = _no(no, turn.locale)
                    raise _Rollback from no
        except _Rollback:
            pass
        except Refusal as no:
            result = _no(no, stranger)
        assert result is not None
        return result

    return run


def _no(no: Refusal | FieldError, locale: str) -> Outcome:
    if isinstance(no, FieldError):
        return Outcome(
            status=Status.invalid,
            locale=locale,
            errors={no.field: t(locale, no.key, **no.params)},
            reason=no.key,
        )
    return Outcome(
        status=Status.refused,
        locale=locale,
        reason=no.reason,
        reply=t(locale, no.reason, **no.params),
    )
