"""The App Home for each role, and the /ark subcommands."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import Membership, Person, table_of
from tests.engine.harness import oslo
from tests.slack_app.world import USERS, slack_world


def test_app_home_for_a_leader_a_vo_an_employee_and_a_coordinator(engine: Engine) -> None:
    with slack_world(engine, oslo(date(2024, 4, 29), 9)) as world:
        world.deliver()
        for user in ("leader_a", "vo_a", "employee", "koord", "stranger"):
            assert world.client.app_home_opened(USERS[user]).status == 200
        leader = str(world.published("leader_a")[-1]["blocks"])
        assert "Fyll ut skjema" in leader
        assert "home_task_done" in leader
        assert "IFA|form" in leader
        vo = str(world.published("vo_a")[-1]["blocks"])
        assert "home_vo_yes" in vo  # the VO question is open (the VO reads English)
        employee = str(world.published("employee")[-1]["blocks"])
        assert "home_task_done" not in employee
        coordinator = str(world.published("koord")[-1]["blocks"])
        assert "Institutt A" in coordinator
        assert "Institutt B" in coordinator
        stranger = str(world.published("stranger")[-1]["blocks"])
        assert "ikke i arkbot-katalogen" in stranger or "not in arkbot" in stranger


def test_a_stale_home_button_republishes_the_home_without_it(engine: Engine) -> None:
    with slack_world(engine, oslo(date(2024, 4, 29), 9)) as world:
        world.deliver()
        assert world.client.app_home_opened(USERS["leader_a"]).status == 200
        assert "home_task_done" in str(world.published("leader_a")[-1]["blocks"])
        with engine.begin() as connection:  # Anne leaves her unit
            connection.execute(update(table_of(Membership)).values(active=False))
        replies = len(world.replies())
        assert world.click("leader_a", "home_task_done", "IFA|form").status == 200
        assert "home_task_done" not in str(world.published("leader_a")[-1]["blocks"])
        assert len(world.replies()) == replies  # no words: the home is the answer


def test_ark_help_status_plan(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.deliver()
        world.command("leader_a", "")
        help_text = str(world.replies()[-1])
        assert "tiltak" in help_text
        assert "report" not in help_text  # only coordinators are told about the report
        world.command("koord", "help")
        assert "report" in str(world.replies()[-1])
        world.command("leader_a", "status")
        assert "Fyll ut skjema" in str(world.replies()[-1]["blocks"])
        world.command("leader_a", "plan")
        assert "Oppfølging av tiltak" in str(world.replies()[-1]["blocks"])
        world.command("leader_a", "tull")
        assert world.replies()[-1]["text"].startswith("Jeg kjenner ikke «tull»")


def test_ark_lang_switches_the_language(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.command("leader_a", "lang en")
        assert world.replies()[-1]["text"] == "I'll speak English with you from now on."
        with Session(engine) as session:
            person = session.exec(select(Person).where(Person.email == "leder.a@example.org")).one()
        assert person.locale == "en"
        world.command("leader_a", "lang de")
        assert "/ark lang nb" in world.replies()[-1]["text"]
        world.deliver()
        assert world.dms_to("leader_a")[-1].startswith("New task")


def test_ark_pause_holds_optional_nudges_until_the_date(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.command("employee", "pause 3")
        assert "satt på pause til og med 24. april 2024" in world.replies()[-1]["text"]
        with Session(engine) as session:
            person = session.exec(select(Person).where(Person.email == "ansatt1@example.org")).one()
        assert person.paused_until == oslo(date(2024, 4, 25), 9)
        world.command("employee", "pause 365")
        assert "høyst 90" in world.replies()[-1]["text"]
        world.command("employee", "pause off")
        assert world.replies()[-1]["text"] == "Valgfrie påminnelser er slått på igjen."
        with Session(engine) as session:
            person = session.exec(select(Person).where(Person.email == "ansatt1@example.org")).one()
        assert person.paused_until is None


def test_tiltak_is_for_leaders(engine: Engine) -> None:
    with slack_world(engine) as world:
        world.command("employee", "tiltak")
        assert "ikke leder" in world.replies()[-1]["text"]
        assert world.api.calls_to("views.open") == []
