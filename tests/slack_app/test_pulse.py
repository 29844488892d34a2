"""Pulse questions answered with buttons: stored without the person, asked once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.pulse_aggregation import aggregate
from storage.models import AuditEntry, PulseAnswer, PulseResponse
from tests.engine.harness import oslo
from tests.slack_app.world import PULSE, choice, slack_world


def test_an_employee_answers_a_pulse_anonymously_once(engine: Engine) -> None:
    with slack_world(engine, extra=PULSE) as world:
        world.deliver()
        [pulse] = world.deliveries(nudge="pulse", person_id=_person(engine, "ansatt1@example.org"))
        world.click("employee", "pulse_answer", str(pulse.id), pulse)
        modal = world.opened_views()[-1]
        assert modal["callback_id"] == "pulse_answer"
        assert [block["block_id"] for block in modal["blocks"][1:]] == ["q:safe", "q:know"]
        answer = world.submit(
            "employee", modal, {"q:safe": choice("4"), "q:know": choice("unsure")}
        )
        assert answer.status == 200
        with Session(engine) as session:
            answers = session.exec(select(PulseAnswer)).all()
            markers = session.exec(select(PulseResponse)).all()
            audit = [entry.actor for entry in session.exec(select(AuditEntry)).all()]
        assert sorted((a.question_id, a.value, a.unit_id) for a in answers) == [
            ("know", "unsure", "IFA"),
            ("safe", "4", "IFA"),
        ]
        assert {a.answered_on for a in answers} == {date(2024, 4, 22)}
        assert len(markers) == 1
        assert "ansatt1@example.org" not in audit
        columns = {column["name"] for column in inspect(engine).get_columns("pulse_answers")}
        assert columns.isdisjoint({"person_id", "email", "created_at", "answered_at"})
        assert "anonymt" in str(world.api.calls_to("chat.update")[-1].params["blocks"])
        # A second click on the same message: thanked, not asked again, nothing stored.
        world.click("employee", "pulse_answer", str(pulse.id), pulse)
        assert len(world.opened_views()) == 1
        with Session(engine) as session:
            assert len(session.exec(select(PulseAnswer)).all()) == 2
        # One answer is far below the threshold: nothing is shown, not even a count.
        with Session(engine) as session:
            results = aggregate(
                session, world.plan, pulse_id="pulse", round="p1", today=date(2024, 6, 1)
            )
        assert all(not group.shown and group.respondents is None for group in results)


def test_a_pulse_cannot_be_answered_after_its_round_closed(engine: Engine) -> None:
    with slack_world(engine, extra=PULSE) as world:
        world.deliver()
        [pulse] = world.deliveries(nudge="pulse", person_id=_person(engine, "ansatt1@example.org"))
        world.at(oslo(date(2024, 5, 2), 10))  # the round was open 22–28 April
        world.click("employee", "pulse_answer", str(pulse.id), pulse)
        assert world.opened_views() == []
        assert "avsluttet" in str(world.api.calls_to("chat.update")[-1].params["blocks"])


def _person(engine: Engine, email: str) -> int:
    from storage.models import Person

    with Session(engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
    assert person.id is not None
    return person.id
