"""Chat workspaces arkbot may no longer send to, and people deleted from Slack.

Decisions for Slack's lifecycle events (`bot.slack.listeners.lifecycle` only translates):

- `app_uninstalled`, or `tokens_revoked` naming the bot token: the workspace is marked
  `uninstalled` / `tokens_revoked`; the sender fails every delivery to it with the reason
  `workspace_uninstalled` / `workspace_tokens_revoked`, shown in the coordinator's report.
- The workspace is active again (`reactivate_workspace`) when a signed request from it
  arrives that is not itself such an event (someone opens the App Home, clicks, types
  `/ark`): Slack only sends those to an installed app. Deliveries failed meanwhile stay
  failed; the planner's later nudges go out as usual.
- `user_change` with `deleted: true`: the person is deactivated (no more nudges, on any
  platform, until an organisation import lists them again) and their pending deliveries are
  cancelled with the reason `slack_user_deleted`.

Every change leaves an audit entry; none of this stores anything about a person beyond
what the directory already holds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from storage.models import ChatWorkspace, Delivery, DeliveryStatus, Person, WorkspaceState, table_of
from storage.records import audit

DEFAULT_WORKSPACE = "default"
ACTOR = "slack"
REASONS = {
    WorkspaceState.uninstalled: "workspace_uninstalled",
    WorkspaceState.tokens_revoked: "workspace_tokens_revoked",
}
USER_DELETED = "slack_user_deleted"


def blocked_workspaces(bind: Engine | Connection) -> dict[str, str]:
    """workspace key -> the reason deliveries to it fail, for every workspace not active."""
    table = table_of(ChatWorkspace)
    query = select(table.c.id, table.c.state).where(table.c.state != WorkspaceState.active.value)
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            rows = connection.execute(query).all()
    else:
        rows = bind.execute(query).all()
    return {row.id: REASONS[WorkspaceState(row.state)] for row in rows}


def workspace_state(session: Session, workspace: str = DEFAULT_WORKSPACE) -> WorkspaceState:
    row = session.get(ChatWorkspace, workspace)
    return row.state if row is not None else WorkspaceState.active


def mark_workspace(
    session: Session,
    state: WorkspaceState,
    *,
    now: datetime,
    team_id: str | None,
    workspace: str = DEFAULT_WORKSPACE,
    platform: str = "slack",
) -> bool:
    """Set the workspace's state; True if it changed (then audited as `workspace.<state>`)."""
    row = session.get(ChatWorkspace, workspace)
    if row is not None and row.state is state:
        return False
    if row is None:
        if state is WorkspaceState.active:
            return False  # no row is active already
        row = ChatWorkspace(
            id=workspace, platform=platform, team_id=team_id, state=state, changed_at=now
        )
    else:
        row.state, row.changed_at = state, now
        row.team_id = team_id or row.team_id
    session.add(row)
    audit(session, now, ACTOR, f"workspace.{state.value}", f"workspace/{workspace}", team_id)
    session.flush()
    return True


def reactivate_workspace(
    session: Session,
    *,
    now: datetime,
    team_id: str | None,
    workspace: str = DEFAULT_WORKSPACE,
) -> bool:
    """After a signed request from the workspace: active again, if it was not; True if so.

    A request from another team than the one that uninstalled changes nothing."""
    row = session.get(ChatWorkspace, workspace)
    if row is None or row.state is WorkspaceState.active:
        return False
    if row.team_id and team_id and row.team_id != team_id:
        return False
    return mark_workspace(
        session, WorkspaceState.active, now=now, team_id=team_id, workspace=workspace
    )


def slack_user_deleted(session: Session, slack_user_id: str, *, now: datetime) -> int | None:
    """A Slack account was deleted: deactivate its person and cancel what is pending for
    them. Returns the number of deliveries cancelled, None when no person has that id."""
    people = table_of(Person)
    found = session.execute(
        select(people.c.id, people.c.active).where(people.c.slack_user_id == slack_user_id)
    ).first()
    if found is None:
        return None
    deliveries = table_of(Delivery)
    result = session.execute(
        deliveries.update()
        .where(
            deliveries.c.person_id == found.id,
            deliveries.c.status == DeliveryStatus.pending.value,
        )
        .values(status=DeliveryStatus.cancelled.value, error=USER_DELETED)
    )
    cancelled = int(getattr(result, "rowcount", 0) or 0)
    if found.active:
        session.execute(people.update().where(people.c.id == found.id).values(active=False))
    if found.active or cancelled:
        audit(session, now, ACTOR, "person.slack_deleted", f"person/{found.id}", str(cancelled))
    session.flush()
    return cancelled
