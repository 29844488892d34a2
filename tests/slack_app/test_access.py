"""Who may do what: forged, stale and unknown requests are refused and change nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from storage.models import (
    ActionItem,
    AuditEntry,
    Delivery,
    TaskCompletion,
    VoConfirmation,
    table_of,
)
from tests.engine.harness import oslo
from tests.slack.signing import block_actions_payload, stale_timestamp
from tests.slack_app.world import USERS, SlackWorld, slack_world


def _snapshot(engine: Engine) -> dict[str, Any]:
    tables = (TaskCompletion, VoConfirmation, ActionItem, AuditEntry)
    with engine.connect() as connection:
        counts: dict[str, Any] = {
            model.__name__: connection.execute(
                select(func.count()).select_from(table_of(model))
            ).scalar()
            for model in tables
        }
        deliveries = table_of(Delivery)
        counts["deliveries"] = sorted(
            (row.id, row.status)
            for row in connection.execute(select(deliveries.c.id, deliveries.c.status))
        )
    return counts


def _task_click(world: SlackWorld, user: str) -> dict[str, Any]:
    world.deliver()
    delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
    payload = block_actions_payload(
        action_id="task_done",
        value=str(delivery.id),
        user_id=USERS[user],
        channel_id=delivery.channel_id or "",
        message_ts=delivery.message_id or "",
    )
    payload["response_url"] = world.response_url()
    return payload


def test_a_forged_signature_is_rejected(engine: Engine) -> None:
    with slack_world(engine) as world:
        payload = _task_click(world, "leader_a")
        before = _snapshot(engine)
        answer = world.client.interactive(payload, signature="v0=" + "0" * 64)
        assert answer.status == 401
        assert world.api.calls_to("views.open") == []
        assert _snapshot(engine) == before


def test_a_stale_timestamp_is_rejected(engine: Engine) -> None:
    with slack_world(engine) as world:
        payload = _task_click(world, "leader_a")
        before = _snapshot(engine)
        answer = world.client.interactive(payload, timestamp=stale_timestamp(6 * 60))
        assert answer.status == 401
        assert world.api.calls_to("views.open") == []
        assert _snapshot(engine) == before


def test_an_unknown_user_is_refused_politely(engine: Engine) -> None:
    with slack_world(engine) as world:
        payload = _task_click(world, "stranger")
        before = _snapshot(engine)
        assert world.client.interactive(payload).status == 200
        assert "finner deg ikke" in world.replies()[-1]["text"]
        assert world.replies()[-1]["response_type"] == "ephemeral"
        assert world.api.calls_to("views.open") == []
        assert _snapshot(engine) == before


def test_someone_elses_button_changes_nothing(engine: Engine) -> None:
    with slack_world(engine) as world:
        payload = _task_click(world, "leader_b")  # Bjørn clicks Anne's reminder
        before = _snapshot(engine)
        world.client.interactive(payload)
        assert "for someone else" in world.replies()[-1]["text"]  # Bjørn reads English
        assert world.api.calls_to("views.open") == []
        assert _snapshot(engine) == before


def test_a_forged_modal_for_another_unit_records_nothing(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.deliver()
        before = _snapshot(engine)
        modal = {"callback_id": "task_done", "private_metadata": '{"u":"IFA","m":"form"}'}
        world.submit("leader_b", modal, {})  # leader of IFB, not of IFA
        world.submit("employee", modal, {})
        assert _snapshot(engine) == before


def test_a_vo_question_answered_by_a_leader_is_refused(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        [question] = world.deliveries(nudge="vo_question")
        before = _snapshot(engine)
        world.click("leader_a", "vo_yes", str(question.id), question)
        assert (
            "someone else" in world.replies()[-1]["text"]
            or "noen andre" in world.replies()[-1]["text"]
        )
        assert _snapshot(engine) == before


def test_only_coordinators_get_the_report(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.command("leader_a", "report")
        assert world.replies()[-1]["text"] == "Oversikten over alle enheter er for koordinatorer."
        world.command("koord", "report")
        report = world.replies()[-1]
        assert "blocks" in report
        assert "Institutt A" in str(report["blocks"])
        [attached] = world.api.files  # the full report, in the coordinator's DM
        assert attached.filename == "ark-FAK-2024-04-22.html"
        assert attached.channel == world.api.dm_channel(USERS["koord"])
        assert b"Institutt A" in attached.content


def test_a_garbled_button_value_is_a_stale_message(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.deliver()
        before = _snapshot(engine)
        world.click("leader_a", "task_done", "not-a-number")
        world.click("leader_a", "task_done", "999999")
        assert [reply["text"] for reply in world.replies()] == [
            "Denne meldingen er ikke lenger aktuell."
        ] * 2
        assert _snapshot(engine) == before


def test_a_request_from_another_workspace_is_refused(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.deliver()
        delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
        payload = block_actions_payload(
            action_id="task_snooze",
            value=str(delivery.id),
            user_id=USERS["leader_a"],
            channel_id=delivery.channel_id or "D0F0000001",
            message_ts=delivery.message_id or "1.1",
        )
        payload["team"] = {"id": "T0ELSEWHERE", "domain": "elsewhere"}
        payload["user"]["team_id"] = "T0ELSEWHERE"
        payload["response_url"] = world.response_url()
        assert world.client.interactive(payload).status == 200
        assert "arbeidsområdet" in world.replies()[-1]["text"]
        assert [d for d in world.deliveries() if ":snooze:" in d.occurrence] == []
