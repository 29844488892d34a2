"""Finding the person behind a platform's user id: one resolver per platform."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlmodel import Session

from bot.access import person_for_slack
from bot.conversation.types import Identity
from storage.models import Person
from storage.teams import person_for_teams

Resolver = Callable[[Session, Identity], Person | None]


def _slack(session: Session, who: Identity) -> Person | None:
    return person_for_slack(session, who.user_id)


def _teams(session: Session, who: Identity) -> Person | None:
    return person_for_teams(
        session, who.user_id, who.workspace, user_id=who.alt_id, email=who.email
    )


BUILT_IN: dict[str, Resolver] = {"slack": _slack, "teams": _teams}


def resolve_person(
    session: Session, who: Identity, extra: Mapping[str, Resolver] | None = None
) -> Person | None:
    """The active person the identity belongs to, or None (unknown platform included)."""
    if not who.user_id or not who.user_id.strip():
        return None
    resolver = (extra or {}).get(who.platform) or BUILT_IN.get(who.platform)
    if resolver is None:
        return None
    person = resolver(session, who)
    return person if person is not None and person.active else None
