"""A platform tells arkbot that it was removed, lost its token, or that a person left:
what that changes (sending stops, pending nudges are cancelled) is decided here."""

from __future__ import annotations

from bot.conversation.base import Core
from storage.db import session_scope
from storage.models import WorkspaceState
from storage.workspaces import mark_workspace, reactivate_workspace, slack_user_deleted


def workspace_removed(core: Core, team_id: str | None, state: WorkspaceState) -> bool:
    """The app was uninstalled or its token revoked: nothing more is sent there."""
    core.workspace_checks.forget()
    with session_scope(core.engine) as session:
        return mark_workspace(session, state, now=core.now(), team_id=team_id)


def workspace_seen(core: Core, team_id: str | None) -> bool:
    """A signed request from the workspace: it has the app again, so sending resumes."""
    key = team_id or ""
    if not core.workspace_checks.due(key):
        return False
    with session_scope(core.engine) as session:
        changed = reactivate_workspace(session, now=core.now(), team_id=team_id)
    core.workspace_checks.checked(key)
    return changed


def slack_user_left(core: Core, slack_user_id: str) -> int | None:
    """The person was deleted in Slack: deactivated, their pending nudges cancelled."""
    with session_scope(core.engine) as session:
        return slack_user_deleted(session, slack_user_id, now=core.now())
