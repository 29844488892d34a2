"""A signed request asks "is the workspace back?" at most once a minute per process: the
answer comes from the database when the interval is over, or at once after this process saw
the app removed."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation import lifecycle
from bot.conversation.workspace_checks import RecentChecks
from storage.models import WorkspaceState
from storage.workspaces import mark_workspace, workspace_state
from tests.conversation.world import core_world
from tests.statements import statements

TEAM = "T0TEAM0001"


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _state(engine: Engine) -> WorkspaceState:
    with Session(engine) as session:
        return workspace_state(session)


def test_the_interval_and_the_process_own_removal(engine: Engine) -> None:
    ticks = Ticks()
    with core_world(engine) as w:
        core = replace(w.core, workspace_checks=RecentChecks(60.0, ticks))
        with statements(engine) as seen:
            assert lifecycle.workspace_seen(core, TEAM) is False  # active: nothing to change
            asked = len(seen)
            assert asked > 0
            assert lifecycle.workspace_seen(core, TEAM) is False
            assert len(seen) == asked  # within the minute: not asked again

        # Another process saw the app removed: this one notices after its interval.
        with Session(engine) as session:
            mark_workspace(session, WorkspaceState.uninstalled, now=core.now(), team_id=TEAM)
            session.commit()
        ticks.now += 59.0
        assert lifecycle.workspace_seen(core, TEAM) is False
        assert _state(engine) is WorkspaceState.uninstalled
        ticks.now += 1.0
        assert lifecycle.workspace_seen(core, TEAM) is True
        assert _state(engine) is WorkspaceState.active

        # This process sees the removal itself: the next request looks at once.
        lifecycle.workspace_removed(core, TEAM, WorkspaceState.tokens_revoked)
        assert _state(engine) is WorkspaceState.tokens_revoked
        assert lifecycle.workspace_seen(core, TEAM) is True
        assert _state(engine) is WorkspaceState.active


def test_each_team_has_its_own_interval() -> None:
    ticks = Ticks()
    checks = RecentChecks(60.0, ticks)
    checks.checked("T1")
    assert not checks.due("T1")
    assert checks.due("T2")
    ticks.now += 60.0
    assert checks.due("T1")
