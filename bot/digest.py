"""Digests: one message instead of a pile when one person gets several rows at once.

The planner still writes one delivery row per (nudge, unit, person), so every row keeps its
own dedupe key, checks and record. The sender, after checking and composing the rows it
claimed, hands them to `bundle`, which merges the rows of one person that belong together:

* escalations (and requests for dates) to one person, across milestones: one message
  listing every late unit, grouped by milestone, with each unit's leader. They are planned
  for the window's start on their day, so a coordinator gets at most one a day;
* the same nudge of the same milestone for several units (a VO of two units, a leader of
  two): one message naming every unit, with each unit's buttons in its own part (their
  values are that unit's delivery id, as in a single message). More units than
  `SECTIONS_MAX` go as several such messages, in the order of the units' names, because a
  Slack message holds 50 blocks and a Teams card has a size limit: every unit keeps its
  buttons.

A merged message is sent once; all its rows get the same outcome (channel and message id).
The frequency cap counts a digest as one nudge, also when it went as several messages
(`group_key` decides, `unit_group` counts).
Everything here is pure except `unit_leaders`, which reads the directory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, select, tuple_, update
from sqlalchemy.engine import Engine

from bot.compose import hint_month, seed_date
from bot.i18n.catalog import format_day, t
from bot.messages import SECTIONS_MAX, Message, Section
from bot.transports.base import Recipient
from schedules.events import Nudge
from schedules.plan import Milestone, Plan
from schedules.timing import resolve
from storage.deliveries import DELIVERIES, Claimed, claimed_columns
from storage.models import DeliveryStatus, Membership, Person, Role, table_of

# One message a day per person, whatever the milestone.
ACROSS_MILESTONES = frozenset({Nudge.escalation.value, Nudge.date_request.value})
# One message per person for the units of one milestone's nudge.
PER_MILESTONE = frozenset(
    {
        Nudge.task_open.value,
        Nudge.reminder.value,
        Nudge.agenda.value,
        Nudge.vo_question.value,
        Nudge.date_changed.value,
    }
)


def group_key(delivery: Claimed) -> tuple[object, ...]:
    """Rows with the same key, claimed together, go out as one message."""
    if delivery.nudge in ACROSS_MILESTONES:
        return (delivery.person_id, delivery.nudge)
    units = unit_group(
        delivery.person_id,
        delivery.nudge,
        delivery.milestone_id,
        delivery.occurrence,
        delivery.unit_id,
    )
    return units if units is not None else ("one", delivery.id)


def unit_group(
    person_id: int, nudge: str, milestone_id: str, occurrence: str, unit_id: str | None
) -> tuple[object, ...] | None:
    """The key of a digest of one nudge for several units (split or not), or None."""
    if nudge in PER_MILESTONE and unit_id:
        return (person_id, nudge, milestone_id, occurrence.split(":", 1)[0])
    return None


def groups(rows: Iterable[Claimed]) -> list[list[Claimed]]:
    """The rows grouped by `group_key`, in the order of each group's first row."""
    found: dict[tuple[object, ...], list[Claimed]] = {}
    for row in rows:
        found.setdefault(group_key(row), []).append(row)
    return list(found.values())


def bundle(
    jobs: Sequence[tuple[Claimed, Recipient, Message]],
    *,
    plan: Plan,
    unit_names: Mapping[str, str],
    leaders: Callable[[set[str]], Mapping[str, list[str]]],
) -> list[tuple[list[Claimed], Recipient, Message]]:
    """Composed (row, recipient, message) jobs merged into one job per digest."""
    grouped: dict[tuple[object, ...], list[tuple[Claimed, Recipient, Message]]] = {}
    for job in jobs:
        grouped.setdefault(group_key(job[0]), []).append(job)
    wanted = {
        job[0].unit_id
        for members in grouped.values()
        if len(members) > 1
        for job in members
        if job[0].nudge == Nudge.escalation.value and job[0].unit_id
    }
    names_of_leaders = leaders(wanted) if wanted else {}
    bundled: list[tuple[list[Claimed], Recipient, Message]] = []
    for members in grouped.values():
        # A digest across milestones is one message; one of units, a message per `SECTIONS_MAX`.
        whole = members[0][0].nudge in ACROSS_MILESTONES
        for part in [members] if whole else _by_unit_name(members, unit_names):
            rows = [job[0] for job in part]
            recipient = part[0][1]
            messages = [job[2] for job in part]
            nudge = rows[0].nudge
            if len(part) == 1:
                message = messages[0]
            elif nudge == Nudge.escalation.value:
                message = escalation_digest(rows, messages, plan, unit_names, names_of_leaders)
            elif nudge == Nudge.date_request.value:
                message = date_request_digest(rows, messages, plan)
            else:
                message = unit_digest(rows, messages, plan, unit_names)
            bundled.append((rows, recipient, message))
    return bundled


def _by_unit_name(
    members: Sequence[tuple[Claimed, Recipient, Message]], unit_names: Mapping[str, str]
) -> list[list[tuple[Claimed, Recipient, Message]]]:
    """The jobs of one unit digest in messages of at most `SECTIONS_MAX` parts."""
    ordered = sorted(members, key=lambda job: _unit_name(job[0], unit_names).casefold())
    return [list(ordered[i : i + SECTIONS_MAX]) for i in range(0, len(ordered), SECTIONS_MAX)]


def unit_digest(
    rows: Sequence[Claimed],
    messages: Sequence[Message],
    plan: Plan,
    unit_names: Mapping[str, str],
) -> Message:
    """The same nudge for several units: one message, a part with buttons per unit."""
    first = messages[0]
    locale = first.locale
    pairs = sorted(
        zip(rows, messages, strict=True),
        key=lambda pair: _unit_name(pair[0], unit_names).casefold(),
    )
    same_body = len({message.body for message in messages}) == 1
    intro = t(locale, "cycle.digest.units", count=len(rows))
    body = f"{intro}\n\n{first.body}" if same_body and first.body else intro
    sections = []
    for row, message in pairs:
        unit = _unit_name(row, unit_names)
        text = (
            t(locale, "cycle.digest.unit", unit=unit)
            if same_body
            else t(locale, "cycle.digest.unit_body", unit=unit, body=message.body)
        )
        sections.append(Section(text=text, buttons=list(message.buttons), delivery_id=row.id))
    return Message(
        kind=first.kind,
        locale=locale,
        headline=first.headline,
        body=body,
        context=_phase_context(plan, rows[0].milestone_id, locale, first.context),
        sections=sections,
        delivery_id=rows[0].id,
    )


def escalation_digest(
    rows: Sequence[Claimed],
    messages: Sequence[Message],
    plan: Plan,
    unit_names: Mapping[str, str],
    leaders: Mapping[str, list[str]],
) -> Message:
    """Every late unit in one message, grouped by milestone, with each unit's leader."""
    locale = messages[0].locale
    by_milestone: dict[str, list[Claimed]] = {}
    for row in rows:
        by_milestone.setdefault(row.milestone_id, []).append(row)
    milestones = {m.id: m for m in plan.milestones}
    lines = [t(locale, "cycle.digest.escalation.body")]
    for milestone_id in sorted(by_milestone, key=lambda m: _due_key(plan, milestones, m)):
        milestone = milestones.get(milestone_id)
        span = resolve(plan, milestone) if milestone is not None else None
        due = format_day(span.due_on, locale) if span and span.due_on else ""
        title = milestone.title.get(locale) if milestone is not None else milestone_id
        lines.append("")
        lines.append(t(locale, "cycle.digest.escalation.milestone", title=title, due=due))
        units = sorted(
            {row.unit_id or "" for row in by_milestone[milestone_id]},
            key=lambda unit_id: unit_names.get(unit_id, unit_id).casefold(),
        )
        for unit_id in units:
            names = ", ".join(leaders.get(unit_id, ())) or t(
                locale, "cycle.digest.escalation.no_leader"
            )
            unit = unit_names.get(unit_id, unit_id)
            lines.append(t(locale, "cycle.digest.escalation.line", unit=unit, leaders=names))
    count = len({(row.unit_id, row.milestone_id) for row in rows})
    return Message(
        kind=messages[0].kind,
        locale=locale,
        headline=t(locale, "cycle.digest.escalation.headline", count=count),
        body="\n".join(lines),
        context=None,
        delivery_id=rows[0].id,
    )


def date_request_digest(
    rows: Sequence[Claimed], messages: Sequence[Message], plan: Plan
) -> Message:
    """Requests to set the dates of several milestones, in one message."""
    locale = messages[0].locale
    milestones = {m.id: m for m in plan.milestones}
    lines = [t(locale, "cycle.digest.date_request.body"), ""]
    seen: list[str] = []
    for row in rows:
        if row.milestone_id in seen or row.milestone_id not in milestones:
            continue
        seen.append(row.milestone_id)
        milestone = milestones[row.milestone_id]
        lines.append(
            t(
                locale,
                "cycle.digest.date_request.line",
                title=milestone.title.get(locale),
                seed=seed_date(milestone),
                hint=hint_month(milestone, locale),
                id=milestone.id,
            )
        )
    return Message(
        kind=messages[0].kind,
        locale=locale,
        headline=t(locale, "cycle.digest.date_request.headline", count=len(seen)),
        body="\n".join(lines),
        context=None,
        delivery_id=rows[0].id,
    )


def claim_rest(
    engine: Engine, claimed: Sequence[Claimed], now: datetime, lease: timedelta
) -> list[Claimed]:
    """Claim the due rows that belong in a digest with rows already claimed.

    A batch's limit (or the pacing bucket) may cut a person's due rows in two; without
    this, the second half would go as a second message. Rows another sender holds are
    skipped (SKIP LOCKED), so two senders may still split a digest, but never send a row
    twice.
    """
    if not claimed:
        return []
    # The planner gives one person's rows of one time consecutive ids, and batches are
    # claimed in that order: only the last person's digest can have been cut.
    last = claimed[-1].person_id
    pairs = sorted(
        {
            (row.person_id, row.nudge)
            for row in claimed
            if row.person_id == last and group_key(row)[0] != "one"
        }
    )
    if not pairs:
        return []
    table = DELIVERIES
    have = [row.id for row in claimed]
    due = and_(
        table.c.status == DeliveryStatus.pending.value,
        table.c.next_attempt_at <= now,
        tuple_(table.c.person_id, table.c.nudge).in_(pairs),
        table.c.id.not_in(have),
    )
    candidates = select(table.c.id).where(due)
    if engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(table)
        .where(table.c.id.in_(candidates.scalar_subquery()))
        .where(due)
        .values(
            status=DeliveryStatus.sending.value,
            lease_until=now + lease,
            attempts=table.c.attempts + 1,
        )
        .returning(*claimed_columns(table))
    )
    with engine.begin() as connection:
        rows = connection.execute(statement).mappings().all()
    found = [Claimed(**row) for row in rows]
    found.sort(key=lambda row: (row.next_attempt_at, row.id))
    return found


def unit_leaders(engine: Engine, unit_ids: set[str]) -> dict[str, list[str]]:
    """The names of each unit's active leaders."""
    members = table_of(Membership)
    people = table_of(Person)
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            select(members.c.unit_id, people.c.name)
            .join(people, people.c.id == members.c.person_id)
            .where(
                members.c.unit_id.in_(sorted(unit_ids)),
                members.c.role == Role.leader.value,
                members.c.active,
                people.c.active,
            )
            .order_by(members.c.unit_id, people.c.name)
        )
        for unit_id, name in rows:
            found.setdefault(unit_id, []).append(name)
    return found


def _unit_name(row: Claimed, unit_names: Mapping[str, str]) -> str:
    return unit_names.get(row.unit_id or "", row.unit_id or "")


def _phase_context(plan: Plan, milestone_id: str, locale: str, fallback: str | None) -> str | None:
    for milestone in plan.milestones:
        if milestone.id == milestone_id:
            return t(locale, "context.phase_only", phase=milestone.phase)
    return fallback


def _due_key(plan: Plan, milestones: Mapping[str, Milestone], milestone_id: str) -> tuple[str, str]:
    milestone = milestones.get(milestone_id)
    span = resolve(plan, milestone) if milestone is not None else None
    return (span.due_on.isoformat() if span and span.due_on else "9999", milestone_id)
