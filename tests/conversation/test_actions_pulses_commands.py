"""The core's rules for action items, pulses, preferences, questions and the home view."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.conversation import FormKind, FormRef, Status, actions, commands, pulses, questions
from bot.conversation.base import NOT_COORDINATOR, NOT_LEADER, STALE
from bot.conversation.questions import HelpView, PlanView, ReportView
from storage.models import (
    ActionItem,
    ActionState,
    DeliveryStatus,
    Person,
    PulseAnswer,
    PulseResponse,
)
from tests.conversation.world import PULSE, CoreWorld, core_world, oslo
from tests.slack_app.world import ORG

BIG_UNIT = ORG + "".join(
    f"IFA,Institutt A,FAK,3,extra{n}@example.org,Extra {n},employee,nb,,U0EXTRA{n:03d}\n"
    for n in range(5)
)


def _item(w: CoreWorld, title: str = "Faste allmøter") -> ActionItem:
    form = actions.new_item(w.core, w.who("leader_a")).form
    assert form is not None
    assert form.kind is FormKind.action_item
    outcome = actions.submit_item(
        w.core, w.who("leader_a"), form.ref, unit_id=None, title=title, owner="Anne",
        due_on="2024-09-01", area="develop",
    )  # fmt: skip
    assert outcome.status is Status.recorded, outcome
    [item] = [i for i in w.rows(ActionItem) if i.title == title]
    return item


def _checkin(w: CoreWorld) -> int:
    w.at(oslo(date(2024, 4, 29), 9)).deliver()
    checkin = w.one(nudge="checkin").id
    assert checkin is not None
    return checkin


def test_an_action_goes_through_its_states_and_employees_hear_when_done(engine: Engine) -> None:
    with core_world(engine) as w:
        item = _item(w)
        checkin = _checkin(w)
        who = w.who("leader_a")
        assert actions.checkin_clicked(w.core, who, checkin, ActionState.on_track).ok
        delayed = actions.checkin_clicked(w.core, who, checkin, ActionState.delayed).form
        assert delayed is not None
        assert delayed.kind is FormKind.action_delayed
        assert actions.submit_change(w.core, who, delayed.ref, "2024-10-01", None).ok
        assert w.rows(ActionItem)[0].due_on == date(2024, 10, 1)
        done = actions.checkin_clicked(w.core, who, checkin, ActionState.done)
        assert w.rows(ActionItem)[0].state is ActionState.done
        assert done.ok
        # You said, we did: one delivery per employee, queued in the click's own transaction.
        queued = w.deliveries(nudge="said_done")
        assert {(d.status, d.subject_id, d.role) for d in queued} == {
            (DeliveryStatus.pending, item.id, "employee")
        }
        assert len(queued) == 2
        # Done again: recorded, but nobody is told twice.
        assert actions.checkin_clicked(w.core, who, checkin, ActionState.done).ok
        assert len(w.deliveries(nudge="said_done")) == 2
        # The sender delivers them, each in its reader's language.
        w.deliver()
        said = {
            email: [m.headline for m in w.world.sent_to(email) if m.headline.startswith(("D", "Y"))]
            for email in ("ansatt1@example.org", "ansatt2@example.org")
        }
        assert said == {
            "ansatt1@example.org": ["Dere sa, vi gjorde"],
            "ansatt2@example.org": ["You said, we did"],
        }
        assert {d.status for d in w.deliveries(nudge="said_done")} == {DeliveryStatus.sent}


def test_dropping_needs_a_reason_and_a_delay_needs_a_later_date(engine: Engine) -> None:
    with core_world(engine) as w:
        _item(w)
        checkin = _checkin(w)
        who = w.who("leader_a")
        dropped = actions.checkin_clicked(w.core, who, checkin, ActionState.dropped).form
        delayed = actions.checkin_clicked(w.core, who, checkin, ActionState.delayed).form
        assert dropped is not None
        assert delayed is not None
        before = w.snapshot()
        assert actions.submit_change(w.core, who, dropped.ref, None, None).errors.keys() == {"note"}
        past = actions.submit_change(w.core, who, delayed.ref, "2024-01-01", None)
        assert past.errors.keys() == {"new_due"}
        forged = FormRef(delivery_id=checkin, state=ActionState.open)
        assert actions.submit_change(w.core, who, forged, None, "x").reason == STALE
        assert w.snapshot() == before
        assert actions.submit_change(w.core, who, dropped.ref, None, "Erstattet").ok
        assert w.rows(ActionItem)[0].state is ActionState.dropped


def test_only_leaders_register_actions_and_bad_fields_store_nothing(engine: Engine) -> None:
    with core_world(engine) as w:
        before = w.snapshot()
        assert (
            actions.new_item(w.core, w.who("employee")).reason == "conversation.action.none_to_lead"
        )
        ref = FormRef(unit_id="IFA")
        for who, fields, reason_or_field in (
            ("vo_a", {"title": "x"}, NOT_LEADER),
            ("leader_b", {"title": "x"}, NOT_LEADER),  # another unit's leader
            ("leader_a", {"title": None}, "title"),
            ("leader_a", {"title": "x" * 501}, "title"),
            ("leader_a", {"title": "x", "owner": "o" * 201}, "owner"),
            ("leader_a", {"title": "x", "due_on": "2024-02-30"}, "due_on"),
            ("leader_a", {"title": "x", "area": "everything"}, "area"),
            ("leader_a", {"title": "<!channel>\x07"}, "title"),
        ):
            values = {"unit_id": None, "owner": None, "due_on": None, "area": None, **fields}
            outcome = actions.submit_item(w.core, w.who(who), ref, **values)
            assert not outcome.ok
            assert reason_or_field in (outcome.reason, *outcome.errors)
        assert w.snapshot() == before


def test_a_pulse_is_answered_once_anonymously_and_not_after_it_closed(engine: Engine) -> None:
    with core_world(engine, extra=PULSE) as w:
        w.deliver()
        person = next(p for p in w.rows(Person) if p.email == "ansatt1@example.org")
        pulse = w.one(nudge="pulse", person_id=person.id).id
        who = w.who("employee")
        form = pulses.clicked(w.core, who, pulse).form
        assert form is not None
        assert [q.id for q in form.questions] == ["safe", "know"]
        missing = pulses.submit(w.core, who, form.ref, {"safe": "4"})
        assert missing.errors.keys() == {"q:know"}
        assert w.rows(PulseAnswer) == []
        assert pulses.submit(w.core, who, form.ref, {"safe": "9", "know": "yes"}).errors
        thanks = pulses.submit(w.core, who, form.ref, {"safe": "4", "know": "unsure"})
        assert thanks.status is Status.recorded
        assert len(w.rows(PulseAnswer)) == 2
        assert len(w.rows(PulseResponse)) == 1
        assert pulses.clicked(w.core, who, pulse).status is Status.already
        assert pulses.submit(w.core, who, form.ref, {"safe": "1", "know": "no"}).status is (
            Status.already
        )
        assert len(w.rows(PulseAnswer)) == 2
        w.at(oslo(date(2024, 5, 2), 10))
        other = next(p for p in w.rows(Person) if p.email == "ansatt2@example.org")
        late = w.one(nudge="pulse", person_id=other.id).id
        assert pulses.clicked(w.core, w.who("employee_en"), late).status is Status.already
        assert pulses.submit(w.core, w.who("employee_en"), FormRef(delivery_id=late), {}).errors


def test_the_home_view_shows_pulse_results_only_when_allowed(engine: Engine) -> None:
    from bot.conversation import questions

    with core_world(engine, extra=PULSE, org=BIG_UNIT) as w:
        w.deliver()
        people = {p.email: p for p in w.rows(Person)}
        emails = ["ansatt1@example.org", "ansatt2@example.org"] + [
            f"extra{n}@example.org" for n in range(5)
        ]
        users = {"ansatt1@example.org": "employee", "ansatt2@example.org": "employee_en"}
        # Answers that differ: a group that answered alike would be hidden (docs/privacy.md).
        given = zip(("3", "4", "5", "4", "2"), ("yes", "no", "yes", "unsure", "yes"), strict=True)
        for email, (safe, know) in zip(emails[:5], given, strict=True):
            delivery = w.one(nudge="pulse", person_id=people[email].id)
            who = w.who(users[email]) if email in users else _extra(w, email)
            assert pulses.submit(
                w.core, who, FormRef(delivery_id=delivery.id), {"safe": safe, "know": know}
            ).ok
        open_home = questions.home(w.core, w.who("leader_a")).home
        assert open_home is not None
        assert open_home.pulses == []
        w.at(oslo(date(2024, 5, 2), 10))
        leader = questions.home(w.core, w.who("leader_a")).home
        assert leader is not None
        [summary] = leader.pulses
        assert (summary.unit_id, summary.respondents) == ("IFA", 5)
        employee = questions.home(w.core, w.who("employee")).home
        assert employee is not None
        assert employee.pulses == []
        other_leader = questions.home(w.core, w.who("leader_b")).home
        assert other_leader is not None
        assert other_leader.pulses == []


def _extra(w: CoreWorld, email: str) -> object:
    from bot.conversation import Identity

    number = int(email.removeprefix("extra").split("@")[0])
    return Identity("slack", f"U0EXTRA{number:03d}")


def test_commands_mean_the_same_on_every_platform(engine: Engine) -> None:
    with core_world(engine) as w:
        leader, koord = w.who("leader_a"), w.who("koord")
        assert isinstance(commands.run(w.core, leader, "").outcome.data, HelpView)
        unknown = commands.run(w.core, leader, "fnord")
        assert unknown.command == "unknown"
        assert "fnord" in (unknown.outcome.reply or "")
        assert commands.run(w.core, leader, "status").outcome.home is not None
        plan = commands.run(w.core, leader, "plan").outcome.data
        assert isinstance(plan, PlanView)
        assert plan.unit_levels == {3}
        assert commands.run(w.core, leader, "report").outcome.reason == NOT_COORDINATOR
        report = commands.run(w.core, koord, "rapport").outcome
        assert isinstance(report.data, ReportView)
        [file] = report.files
        assert file.unit_id == "FAK"
        # Asked for again by its unit (Teams, once the file is allowed): same checks again.
        again = questions.report_file(w.core, koord, "FAK")
        assert [f.filename for f in again.files] == [file.filename]
        assert questions.report_file(w.core, leader, "FAK").reason == NOT_COORDINATOR
        assert questions.report_file(w.core, koord, "IFA").reason == STALE  # not a top unit
        assert questions.report_file(w.core, koord, "NOPE").files == []
        assert commands.run(w.core, leader, "tiltak").outcome.form is not None
        paused = commands.run(w.core, leader, "pause 14").outcome
        assert paused.home is not None
        assert paused.home.person.paused_until == date(2024, 5, 5)
        assert commands.run(w.core, leader, "pause 500").outcome.status is Status.refused
        assert commands.run(w.core, leader, "pause off").outcome.home is not None
        assert (
            commands.run(w.core, leader, "lang en").outcome.reply
            == "I'll speak English with you from now on."
        )
        assert commands.run(w.core, leader, "help").outcome.locale == "en"
        assert commands.run(w.core, leader, "lang xx").outcome.status is Status.refused
        assert commands.run(w.core, w.who("stranger"), "status").outcome.status is Status.refused
