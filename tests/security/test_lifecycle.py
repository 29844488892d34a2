"""Slack's lifecycle events over signed HTTP into the real Bolt app: the app removed or its
token revoked stops all sending to the workspace until it is back; a deleted user gets no more."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.reports.words import reason
from storage.models import AuditEntry, DeliveryStatus, Person, WorkspaceState
from storage.workspaces import workspace_state
from tests.engine.harness import oslo
from tests.slack.signing import app_home_opened_payload, event_envelope
from tests.slack_app.world import USERS, SlackWorld, slack_world

UNINSTALLED = {"type": "app_uninstalled"}


def _state(engine: Engine) -> WorkspaceState:
    with Session(engine) as session:
        return workspace_state(session)


def _posted(world: SlackWorld) -> int:
    return len(world.api.calls_to("chat.postMessage"))


def _event(world: SlackWorld, event: dict[str, Any], team: str | None = None) -> int:
    envelope = event_envelope(event)
    if team is not None:
        envelope["team_id"] = envelope["context_team_id"] = team
        envelope["authorizations"][0]["team_id"] = team
    return world.client.post_json("/slack/events", envelope).status


def test_an_uninstalled_app_sends_nothing_until_the_workspace_is_back(engine: Engine) -> None:
    with slack_world(engine) as world:
        assert world.deliver() == 2
        assert _event(world, UNINSTALLED) == 200
        assert _state(engine) is WorkspaceState.uninstalled
        before = _posted(world)
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        assert _posted(world) == before  # nothing went to Slack
        failed = world.deliveries(status=DeliveryStatus.failed.value)
        assert failed
        assert {d.error for d in failed} == {"workspace_uninstalled"}
        assert "fjernet fra Slack" in reason("workspace_uninstalled", "nb")
        assert "removed from the Slack workspace" in reason("workspace_uninstalled", "en")
        # A request from another workspace proves nothing about this one.
        home = app_home_opened_payload(USERS["leader_a"])
        home.update(team_id="T0OTHER0001", context_team_id="T0OTHER0001")
        home["authorizations"][0]["team_id"] = "T0OTHER0001"
        world.client.post_json("/slack/events", home)
        assert _state(engine) is WorkspaceState.uninstalled
        # Reinstalled: the first request from the workspace turns sending back on.
        assert world.client.app_home_opened(USERS["leader_a"]).status == 200
        assert _state(engine) is WorkspaceState.active
        world.at(oslo(date(2024, 5, 21), 9)).deliver()
        assert _posted(world) > before
        with Session(engine) as session:
            actions = [e.action for e in session.exec(select(AuditEntry)).all()]
        assert actions.count("workspace.uninstalled") == 1
        assert actions.count("workspace.active") == 1


def test_a_revoked_bot_token_stops_sending_a_user_token_does_not(engine: Engine) -> None:
    with slack_world(engine) as world:
        user_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U0KOORD001"], "bot": []}}
        assert _event(world, user_only) == 200
        assert _state(engine) is WorkspaceState.active
        bot = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0ARKBOT01"]}}
        assert _event(world, bot) == 200
        assert _state(engine) is WorkspaceState.tokens_revoked
        assert world.deliver() == 0
        assert world.api.calls_to("chat.postMessage") == []
        failed = world.deliveries(status=DeliveryStatus.failed.value)
        assert {d.error for d in failed} == {"workspace_tokens_revoked"}


def test_a_deleted_slack_user_gets_nothing_more(engine: Engine) -> None:
    with slack_world(engine, start=oslo(date(2024, 4, 22), 7)) as world:
        world.deliver()  # before the send window: the two task openings wait, pending
        pending = world.deliveries(status=DeliveryStatus.pending.value)
        assert len(pending) == 2
        deleted = {
            "type": "user_change",
            "user": {"id": USERS["leader_a"], "deleted": True, "team_id": "T0FAKE0001"},
        }
        assert _event(world, deleted) == 200
        with Session(engine) as session:
            anne = session.exec(select(Person).where(Person.email == "leder.a@example.org")).one()
        assert not anne.active
        cancelled = world.deliveries(person_id=anne.id)
        assert [(d.status, d.error) for d in cancelled] == [
            (DeliveryStatus.cancelled, "slack_user_deleted")
        ]
        # someone else's change (not deleted) changes nothing
        _event(world, {"type": "user_change", "user": {"id": USERS["leader_b"], "deleted": False}})
        assert len(world.deliveries(status=DeliveryStatus.pending.value)) == 1
        world.at(oslo(date(2024, 4, 22), 9)).deliver()
        assert world.dms_to("leader_a") == []
        assert len(world.dms_to("leader_b")) == 1
