"""People answer inside Teams: properly signed activities into arkbot's HTTP server, the
real Teams SDK validating them, the conversation core deciding, cards answered in place.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import (
    ActionItem,
    ActionState,
    Membership,
    TaskCompletion,
    TeamsConversation,
    VoConfirmation,
    table_of,
)
from tests.engine.harness import oslo
from tests.slack_app.world import TWO_UNITS
from tests.teams_app.world import TeamsWorld, teams_world


def _card(answer: Any) -> dict[str, Any]:
    assert answer.status == 200, answer
    assert answer.body["type"] == "application/vnd.microsoft.card.adaptive", answer.body
    card: dict[str, Any] = answer.body["value"]
    return card


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(card.get("actions") or [])
    for element in card.get("body") or []:
        if element.get("type") == "ActionSet":
            found += element.get("actions") or []
    return found


def _button(card: dict[str, Any], action: str) -> dict[str, Any]:
    data: dict[str, Any] = next(a["data"] for a in _actions(card) if a["data"]["action"] == action)
    return data


def _rows(engine: Engine, model: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(model)).all())


def _reminder(world: TeamsWorld) -> tuple[Any, dict[str, Any]]:
    assert world.deliver() == 2
    delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
    [card] = world.cards_to("leader_a")
    return delivery, card


def test_install_stores_the_conversation_and_answers_with_the_home_card(engine: Engine) -> None:
    with teams_world(engine) as world:
        assert world.install("leader_a").status == 200
        [reference] = _rows(engine, TeamsConversation)
        assert reference.conversation_id == "a:1-aad-leder-a"
        [home] = world.cards_to("leader_a")
        assert "Anne Leder" in str(home)


def test_leader_marks_done_from_the_card_and_the_reminders_stop(engine: Engine) -> None:
    with teams_world(engine) as world:
        delivery, card = _reminder(world)
        assert delivery.platform == "teams"
        form = _card(world.click("leader_a", _button(card, "task_done")))
        save = _button(form, "form_submit")
        done = _card(
            world.click("leader_a", {**save, "done_on": "2024-04-22", "archive_ref": "2024/7"})
        )
        assert "task_done" not in str(done)
        assert "2024/7" in str(done)
        [completion] = _rows(engine, TaskCompletion)
        assert (completion.unit_id, completion.archive_ref) == ("IFA", "2024/7")
        world.at(oslo(date(2024, 5, 21), 9)).deliver()
        reminded = {d.unit_id for d in world.deliveries(nudge="reminder", status="sent")}
        assert reminded == {"IFB"}


def test_a_future_date_redraws_the_form_with_the_error(engine: Engine) -> None:
    with teams_world(engine) as world:
        _, card = _reminder(world)
        form = _card(world.click("leader_a", _button(card, "task_done")))
        again = _card(
            world.click("leader_a", {**_button(form, "form_submit"), "done_on": "2024-06-01"})
        )
        assert "fremtiden" in str(again)
        assert _button(again, "form_submit")
        assert _rows(engine, TaskCompletion) == []


def test_vo_answers_each_way_and_not_yet_tells_the_leader(engine: Engine) -> None:
    with teams_world(engine) as world:
        world.deliver()
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        [question] = [c for c in world.cards_to("vo_a") if "vo_yes" in str(c)]
        for action, inputs in (
            ("vo_yes", {"involved_on": "2024-04-24"}),
            ("vo_partly", {"involved_on": "2024-04-25", "comment": "Kun i starten"}),
            ("vo_not_yet", {"comment": "Ikke invitert"}),
        ):
            form = _card(world.click("vo_a", _button(question, action)))
            _card(world.click("vo_a", {**_button(form, "form_submit"), **inputs}))
        [recorded] = _rows(engine, VoConfirmation)
        assert (recorded.answer.value, recorded.comment) == ("not_yet", "Ikke invitert")
        # Queued by the click, delivered by the sender: the invoke waits for no notice.
        assert not any("ikke involvert ennå" in text for text in world.texts_to("leader_a"))
        assert world.deliver() >= 1
        assert any("ikke involvert ennå" in text for text in world.texts_to("leader_a"))


def test_a_vo_of_two_units_answers_one_and_keeps_the_others_buttons(engine: Engine) -> None:
    with teams_world(engine, org=TWO_UNITS) as world:
        world.deliver()
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        [digest] = [c for c in world.cards_to("vo_a") if "vo_yes" in str(c)]
        both = {
            a["data"]["delivery_id"] for a in _actions(digest) if a["data"]["action"] == "vo_yes"
        }
        assert len(both) == 2  # one card, a part with buttons per unit
        form = _card(world.click("vo_a", _button(digest, "vo_yes")))
        answered = _card(
            world.click("vo_a", {**_button(form, "form_submit"), "involved_on": "2024-04-24"})
        )
        left = {
            a["data"]["delivery_id"] for a in _actions(answered) if a["data"]["action"] == "vo_yes"
        }
        assert left == both - {_button(digest, "vo_yes")["delivery_id"]}
        assert "Recorded on" in str(answered)


def test_an_action_item_goes_through_its_states(engine: Engine) -> None:
    with teams_world(engine) as world:
        world.say("leader_a", "tiltak")
        form = world.cards_to("leader_a")[-1]
        saved = world.click(
            "leader_a",
            {**_button(form, "form_submit"), "title": "Faste allmøter", "area": "develop"},
        )
        assert saved.status == 200
        [item] = _rows(engine, ActionItem)
        assert item.title == "Faste allmøter"
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        checkin = next(c for c in world.cards_to("leader_a") if "action_on_track" in str(c))
        _card(world.click("leader_a", _button(checkin, "action_on_track")))
        delayed = _card(world.click("leader_a", _button(checkin, "action_delayed")))
        _card(world.click("leader_a", {**_button(delayed, "form_submit"), "new_due": "2024-10-01"}))
        _card(world.click("leader_a", _button(checkin, "action_done")))
        [item] = _rows(engine, ActionItem)
        assert item.state is ActionState.done
        assert not any("Dere sa, vi gjorde" in text for text in world.texts_to("employee"))
        assert world.deliver() >= 1
        assert any("Dere sa, vi gjorde" in text for text in world.texts_to("employee"))


def test_the_home_cards_buttons_work_and_a_stale_one_brings_the_current_home(
    engine: Engine,
) -> None:
    with teams_world(engine) as world:
        assert world.say("leader_a", "status").status == 200
        home = world.cards_to("leader_a")[-1]
        done = _button(home, "home_task_done")
        form = _card(world.click("leader_a", done))
        assert "form_submit" in str(form)  # the Done form for that unit
        # Anne leaves the unit while her old home card still shows the button.
        with engine.begin() as connection:
            connection.execute(update(table_of(Membership)).values(active=False))
        answer = _card(world.click("leader_a", done))
        assert "home_task_done" not in str(answer)  # the home as it is now, not a "✓"
        assert _rows(engine, TaskCompletion) == []


def test_someone_elses_card_and_strangers_change_nothing(engine: Engine) -> None:
    with teams_world(engine) as world:
        _, card = _reminder(world)
        other = world.click("leader_b", _button(card, "task_done"))
        assert other.status == 200
        assert other.body["type"] == "application/vnd.microsoft.activity.message"
        stranger = world.click("stranger", _button(card, "task_done"))
        assert stranger.body["type"] == "application/vnd.microsoft.activity.message"
        assert _rows(engine, TaskCompletion) == []
