"""People answer inside Slack: signed requests over HTTP into the real Bolt app.

Each test runs on SQLite and on PostgreSQL, with the real slack_sdk client talking to the
local fake Slack Web API.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import (
    ActionItem,
    ActionState,
    AuditEntry,
    Delivery,
    Membership,
    TaskCompletion,
    VoAnswer,
    VoConfirmation,
    table_of,
)
from tests.engine.harness import oslo
from tests.slack_app.world import (
    TWO_UNITS,
    SlackWorld,
    choice,
    datepicker,
    slack_world,
    text_input,
)


def _completions(engine: Engine) -> list[TaskCompletion]:
    with Session(engine) as session:
        return list(session.exec(select(TaskCompletion)).all())


def test_leader_marks_done_and_the_reminders_stop(engine: Engine) -> None:
    with slack_world(engine) as world:
        assert world.deliver() == 2  # the task opens for both department leaders
        delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
        assert world.click("leader_a", "task_done", str(delivery.id), delivery).status == 200
        modal = world.opened_views()[-1]
        assert modal["callback_id"] == "task_done"
        answer = world.submit(
            "leader_a",
            modal,
            {"done_on": datepicker(date(2024, 4, 22)), "archive_ref": text_input("2024/1234")},
        )
        assert answer.status == 200
        [done] = _completions(engine)
        assert (done.unit_id, done.milestone_id, done.archive_ref) == ("IFA", "form", "2024/1234")
        update = world.api.calls_to("chat.update")[-1].params
        assert update["ts"] == delivery.message_id
        assert "Markert som gjort av Anne Leder" in str(update["blocks"])
        assert "task_done" not in str(update["blocks"])  # the buttons are gone
        # Later reminders go to the other department only.
        world.at(oslo(date(2024, 4, 25), 9)).deliver()
        world.at(oslo(date(2024, 5, 14), 9)).deliver()
        world.at(oslo(date(2024, 5, 21), 9)).deliver()
        reminded = {d.unit_id for d in world.deliveries(nudge="reminder", status="sent")}
        assert reminded == {"IFB"}
        # A second click on the old message changes nothing and says so.
        world.click("leader_a", "task_done", str(delivery.id), delivery)
        assert "Allerede markert som gjort av Anne Leder" in world.replies()[-1]["text"]
        assert len(_completions(engine)) == 1


def test_done_on_one_unit_of_a_digest_keeps_the_other_units_buttons(engine: Engine) -> None:
    with slack_world(engine, org=TWO_UNITS) as world:
        world.deliver()
        ifa = world.deliveries(unit_id="IFA", nudge="task_open")[0]
        [ifb] = [
            d
            for d in world.deliveries(unit_id="IFB", nudge="task_open")
            if d.person_id == ifa.person_id
        ]
        assert ifa.message_id == ifb.message_id  # one message for both departments
        world.click("leader_a", "task_done", str(ifa.id), ifa)
        done_on = {"done_on": datepicker(date(2024, 4, 22)), "archive_ref": text_input(None)}
        assert world.submit("leader_a", world.opened_views()[-1], done_on).status == 200
        update = world.api.calls_to("chat.update")[-1].params
        assert update["ts"] == ifa.message_id
        actions = [b for b in update["blocks"] if b["type"] == "actions"]
        assert [b["block_id"] for b in actions] == [f"delivery:{ifb.id}"]
        assert "Markert som gjort av Anne Leder" in str(update["blocks"])


def test_a_refused_submission_says_why_instead_of_closing_the_modal(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.deliver()
        delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
        world.click("leader_a", "task_done", str(delivery.id), delivery)
        modal = world.opened_views()[-1]
        with engine.begin() as connection:  # Anne leaves her unit while the modal is open
            connection.execute(update(table_of(Membership)).values(active=False))
        answer = world.submit("leader_a", modal, {"done_on": datepicker(date(2024, 4, 22))})
        assert answer.status == 200
        body = answer.json()
        assert body["response_action"] == "update"
        assert body["view"]["title"]["text"] == "Ikke lagret"
        assert "Bare leder for Institutt A kan gjøre dette." in str(body["view"]["blocks"])
        assert _completions(engine) == []
        assert world.api.calls_to("chat.update") == []


def test_a_done_date_in_the_future_is_refused_inline(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.deliver()
        delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
        world.click("leader_a", "task_done", str(delivery.id), delivery)
        answer = world.submit(
            "leader_a", world.opened_views()[-1], {"done_on": datepicker(date(2024, 5, 1))}
        )
        assert answer.status == 200
        assert answer.json() == {
            "response_action": "errors",
            "errors": {"done_on": "Datoen kan ikke være i fremtiden."},
        }
        assert _completions(engine) == []


def test_remind_me_tomorrow(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.deliver()
        delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
        world.click("leader_a", "task_snooze", str(delivery.id), delivery)
        world.click("leader_a", "task_snooze", str(delivery.id), delivery)  # twice: harmless
        snoozed = [d for d in world.deliveries(unit_id="IFA") if ":snooze:" in d.occurrence]
        assert len(snoozed) == 1
        assert snoozed[0].next_attempt_at == oslo(date(2024, 4, 23), 9)
        assert "Jeg minner deg på det igjen" in str(
            world.api.calls_to("chat.update")[-1].params["blocks"]
        )
        world.at(oslo(date(2024, 4, 23), 9)).deliver()
        assert len(world.dms_to("leader_a")) == 2


def _vo_question(world: SlackWorld) -> Delivery:
    world.at(oslo(date(2024, 4, 29), 9)).deliver()
    [question] = world.deliveries(nudge="vo_question")
    return question


def test_vo_answers_yes_partly_and_not_yet(engine: Engine) -> None:
    with slack_world(engine) as world:
        question = _vo_question(world)
        for action, answer, values in (
            (
                "vo_yes",
                VoAnswer.yes,
                {"involved_on": datepicker(date(2024, 4, 24)), "comment": text_input(None)},
            ),
            (
                "vo_partly",
                VoAnswer.partly,
                {
                    "involved_on": datepicker(date(2024, 4, 25)),
                    "comment": text_input("Kun i starten"),
                },
            ),
            ("vo_not_yet", VoAnswer.not_yet, {"comment": text_input("Ikke invitert")}),
        ):
            world.click("vo_a", action, str(question.id), question)
            modal = world.opened_views()[-1]
            assert modal["callback_id"] == "vo_answer"
            assert world.submit("vo_a", modal, values).status == 200
            with Session(engine) as session:
                [recorded] = session.exec(select(VoConfirmation)).all()
            assert recorded.answer is answer
        assert recorded.comment == "Ikke invitert"
        assert recorded.involved_on is None
        # "Not yet" before the deadline: the leader gets a friendly nudge to involve the VO,
        # queued by the click and delivered by the sender (nothing is sent during the click).
        assert not any("ikke involvert ennå" in text for text in world.dms_to("leader_a"))
        assert world.deliver() >= 1
        assert any("ikke involvert ennå" in text for text in world.dms_to("leader_a"))
        with Session(engine) as session:
            actions = [entry.action for entry in session.exec(select(AuditEntry)).all()]
        assert actions.count("vo.answer") == 3


def test_an_action_item_goes_through_its_states(engine: Engine) -> None:
    with slack_world(engine) as world:
        assert world.command("leader_a", "tiltak").status == 200
        modal = world.opened_views()[-1]
        assert modal["callback_id"] == "action_item"
        world.submit(
            "leader_a",
            modal,
            {
                "title": text_input("Faste allmøter"),
                "owner": text_input("Anne"),
                "due_on": datepicker(date(2024, 9, 1)),
                "area": choice("develop"),
            },
        )
        with Session(engine) as session:
            [item] = session.exec(select(ActionItem)).all()
        assert (item.unit_id, item.title, item.state) == ("IFA", "Faste allmøter", ActionState.open)
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        [checkin] = world.deliveries(nudge="checkin")
        world.click("leader_a", "action_on_track", str(checkin.id), checkin)
        assert _state(engine) is ActionState.on_track
        world.click("leader_a", "action_delayed", str(checkin.id), checkin)
        world.submit(
            "leader_a",
            world.opened_views()[-1],
            {"new_due": datepicker(date(2024, 10, 1)), "note": text_input(None)},
        )
        assert _state(engine) is ActionState.delayed
        world.click("leader_a", "action_done", str(checkin.id), checkin)
        assert _state(engine) is ActionState.done
        # You said, we did: both employees of the unit hear of it, each in their language,
        # from the sender once the click has queued it.
        assert not any("Dere sa, vi gjorde" in text for text in world.dms_to("employee"))
        assert world.deliver() >= 2
        assert any("Dere sa, vi gjorde" in text for text in world.dms_to("employee"))
        assert any("You said, we did" in text for text in world.dms_to("employee_en"))
        assert world.dms_to("leader_b") == [] or all(
            "You said" not in t for t in world.dms_to("leader_b")
        )


def test_dropping_an_action_needs_a_reason(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.command("leader_a", "tiltak")
        world.submit(
            "leader_a",
            world.opened_views()[-1],
            {"title": text_input("Kurs"), "area": choice("preserve")},
        )
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        [checkin] = world.deliveries(nudge="checkin")
        world.click("leader_a", "action_dropped", str(checkin.id), checkin)
        modal = world.opened_views()[-1]
        refused = world.submit("leader_a", modal, {"note": text_input(None)})
        assert refused.json()["response_action"] == "errors"
        assert _state(engine) is ActionState.open
        world.submit("leader_a", modal, {"note": text_input("Erstattet av et annet tiltak")})
        assert _state(engine) is ActionState.dropped


def _state(engine: Engine) -> ActionState:
    with Session(engine) as session:
        [item] = session.exec(select(ActionItem)).all()
    return item.state


def test_the_follow_up_meeting_comes_with_a_calendar_file(engine: Engine) -> None:
    from icalendar import Calendar

    with slack_world(engine) as world:
        world.deliver()
        delivery = world.deliveries(unit_id="IFA", nudge="task_open")[0]
        posted = next(m for m in world.api.messages if m.ts == delivery.message_id)
        assert "calendar_file" in str(posted.blocks)
        world.click("leader_a", "calendar_file", str(delivery.id), delivery)
        [shared] = world.api.files
        assert shared.channel == delivery.channel_id
        assert shared.filename == "oppfolgingsmote.ics"
        event = next(iter(Calendar.from_ical(shared.content).walk("VEVENT")))
        attendees = sorted(str(a).removeprefix("mailto:") for a in event.get("ATTENDEE"))
        assert attendees == ["ansatt1@example.org", "ansatt2@example.org", "vo.a@example.org"]
        assert str(event.get("ORGANIZER")).endswith("leder.a@example.org")
        # Another department's leader cannot fetch it from Anne's message.
        world.click("leader_b", "calendar_file", str(delivery.id), delivery)
        assert len(world.api.files) == 1
