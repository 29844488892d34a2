"""The core's rules for leaders and VOs, without any platform, on SQLite and PostgreSQL.

Every refusal is checked to change nothing: the whole database is compared before and after.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation import FormKind, FormRef, Status, actions, tasks, vo
from bot.conversation.base import NOT_ADDRESSEE, NOT_LEADER, NOT_VO, STALE, UNKNOWN_USER
from storage.models import (
    DeliveryStatus,
    Membership,
    TaskCompletion,
    Unit,
    VoAnswer,
    VoConfirmation,
    table_of,
)
from storage.overrides import release_pending
from tests.conversation.world import CoreWorld, core_world, oslo
from tests.statements import statements


def _task(w: CoreWorld, unit: str = "IFA") -> int:
    w.deliver()
    delivery = w.deliveries(unit_id=unit, nudge="task_open")[0]
    assert delivery.id is not None
    return delivery.id


def test_done_asks_for_the_date_then_records_redraws_and_refreshes_home(engine: Engine) -> None:
    with core_world(engine) as w:
        delivery_id = _task(w)
        asked = tasks.done_clicked(w.core, w.who("leader_a"), delivery_id)
        assert asked.status is Status.form
        assert asked.form is not None
        assert asked.form.kind is FormKind.task_done
        assert asked.form.initial_date == date(2024, 4, 22)
        done = tasks.submit_done(w.core, w.who("leader_a"), asked.form.ref, "2024-04-22", "2024/9")
        assert done.status is Status.recorded
        [completion] = w.rows(TaskCompletion)
        assert (completion.unit_id, completion.archive_ref) == ("IFA", "2024/9")
        [redraw] = done.redraw
        sent = w.deliveries(id=delivery_id)[0]
        assert (redraw.channel_id, redraw.message_id) == (sent.channel_id, sent.message_id)
        assert redraw.message.buttons == []
        assert "2024/9" in (redraw.message.context or "")
        assert done.home is not None
        assert done.home.person.due == []
        # Pending reminders of the unit are cancelled; the other unit's stay.
        pending = {d.unit_id for d in w.deliveries(status="pending") if d.nudge == "reminder"}
        assert "IFA" not in pending


def test_a_click_reads_its_delivery_and_the_unit_it_names_in_one_statement(
    engine: Engine,
) -> None:
    with core_world(engine) as w:
        delivery_id = _task(w)
        [unit] = [u for u in w.rows(Unit) if u.id == "IFA"]
        with statements(engine) as done_sql:
            asked = tasks.done_clicked(w.core, w.who("leader_a"), delivery_id)
        with statements(engine) as snooze_sql:
            snoozed = tasks.snooze(w.core, w.who("leader_a"), delivery_id)
        assert asked.form is not None
        assert asked.form.unit == unit.name
        redrawn = snoozed.redraw[0].message
        assert unit.name in " ".join(
            filter(None, [redrawn.headline, redrawn.body, redrawn.context])
        )
        seen = done_sql + snooze_sql
        assert not [sql for sql in seen if sql.lstrip().startswith("SELECT units.")]
        # Done needs no date overrides (only the cycle's id); the snooze's redraw shows dates.
        assert not [sql for sql in done_sql if "milestone_overrides" in sql]
        assert (len(done_sql), len(snooze_sql)) == (4, 6)  # the snooze: its row and audit entry


def test_a_second_click_says_who_did_it_and_changes_nothing(engine: Engine) -> None:
    with core_world(engine) as w:
        delivery_id = _task(w)
        form = tasks.done_clicked(w.core, w.who("leader_a"), delivery_id).form
        assert form is not None
        tasks.submit_done(w.core, w.who("leader_a"), form.ref, None, None)
        before = w.snapshot()
        again = tasks.done_clicked(w.core, w.who("leader_a"), delivery_id)
        assert again.status is Status.already
        assert "Anne Leder" in (again.reply or "")
        late = tasks.submit_done(w.core, w.who("leader_a"), form.ref, "2024-04-20", "other")
        assert late.ok
        assert len(w.rows(TaskCompletion)) == 1
        assert w.rows(TaskCompletion)[0].archive_ref is None
        assert {k: v for k, v in w.snapshot().items() if k != "audit_log"} == {
            k: v for k, v in before.items() if k != "audit_log"
        }


def test_someone_elses_button_unknown_people_and_stale_ids_are_refused(engine: Engine) -> None:
    with core_world(engine) as w:
        delivery_id = _task(w)
        before = w.snapshot()
        cases = [
            (tasks.done_clicked(w.core, w.who("leader_b"), delivery_id), NOT_ADDRESSEE),
            (tasks.done_clicked(w.core, w.who("stranger"), delivery_id), UNKNOWN_USER),
            (tasks.done_clicked(w.core, w.who("leader_a"), 999_999), STALE),
            (tasks.done_clicked(w.core, w.who("leader_a"), None), STALE),
            (tasks.snooze(w.core, w.who("vo_a"), delivery_id), NOT_ADDRESSEE),
            (tasks.calendar_file(w.core, w.who("employee"), delivery_id), NOT_ADDRESSEE),
        ]
        for outcome, reason in cases:
            assert (outcome.status, outcome.reason) == (Status.refused, reason)
            assert outcome.reply
            assert not outcome.redraw
            assert outcome.form is None
        assert w.snapshot() == before


def test_forged_form_references_are_checked_again_on_submission(engine: Engine) -> None:
    with core_world(engine) as w:
        leader_task = _task(w)
        w.at(oslo(date(2024, 4, 29), 9)).deliver()
        question = w.one(nudge="vo_question").id
        before = w.snapshot()
        # A VO submits the VO form pointing at the leader's reminder.
        forged = FormRef(delivery_id=leader_task, answer=VoAnswer.yes)
        assert vo.submit(w.core, w.who("vo_a"), forged, None, None).reason == NOT_ADDRESSEE
        # A leader submits Done pointing at the VO's question, or at a VO meeting point.
        as_done = FormRef(delivery_id=question)
        assert tasks.submit_done(w.core, w.who("leader_a"), as_done, None, None).reason in (
            NOT_ADDRESSEE,
            STALE,
        )
        home_vo = FormRef(unit_id="IFA", milestone_id="vo-point")
        refused = tasks.submit_done(w.core, w.who("leader_a"), home_vo, None, None)
        assert refused.reason == "conversation.not_task"
        # A leader marks another unit's task from a home reference.
        other = FormRef(unit_id="IFB", milestone_id="form")
        assert tasks.submit_done(w.core, w.who("leader_a"), other, None, None).reason == NOT_LEADER
        # The leader answers the VO question of their own unit.
        own = FormRef(unit_id="IFA", milestone_id="vo-point", answer=VoAnswer.yes)
        assert vo.submit(w.core, w.who("leader_a"), own, None, None).reason == NOT_VO
        assert w.snapshot() == before


def test_a_leader_who_left_the_unit_can_no_longer_mark_done(engine: Engine) -> None:
    with core_world(engine) as w:
        delivery_id = _task(w)
        with engine.begin() as connection:
            connection.execute(update(table_of(Membership)).values(active=False))
        before = w.snapshot()
        outcome = tasks.done_clicked(w.core, w.who("leader_a"), delivery_id)
        assert (outcome.status, outcome.reason) == (Status.refused, NOT_LEADER)
        assert w.snapshot() == before


def test_bad_dates_and_texts_are_refused_field_by_field(engine: Engine) -> None:
    with core_world(engine) as w:
        form = tasks.done_clicked(w.core, w.who("leader_a"), _task(w)).form
        assert form is not None
        before = w.snapshot()
        for done_on, ref, field in (
            ("2024-05-01", None, "done_on"),  # the future
            ("0000-00-00", None, "done_on"),
            ("2023-02-30", None, "done_on"),
            ("0001-01-01", None, "done_on"),
            (None, "x" * 101, "archive_ref"),  # longer than the column
            (None, "2024/\u202e1", "archive_ref"),  # a right-to-left override
            (None, "2024/\x001", "archive_ref"),
            (None, "2024\u200b/1", "archive_ref"),  # zero-width space
        ):
            outcome = tasks.submit_done(w.core, w.who("leader_a"), form.ref, done_on, ref)
            assert outcome.status is Status.invalid, (done_on, ref)
            assert list(outcome.errors) == [field]
        assert w.snapshot() == before


def test_remind_me_tomorrow_twice_makes_one_reminder(engine: Engine) -> None:
    with core_world(engine) as w:
        delivery_id = _task(w)
        first = tasks.snooze(w.core, w.who("leader_a"), delivery_id)
        second = tasks.snooze(w.core, w.who("leader_a"), delivery_id)
        assert first.status is second.status is Status.recorded
        assert len([d for d in w.deliveries() if ":snooze:" in d.occurrence]) == 1
        assert first.redraw
        assert first.redraw[0].message.buttons == []


def test_the_calendar_file_is_for_the_units_leader(engine: Engine) -> None:
    with core_world(engine) as w:
        delivery_id = _task(w)
        outcome = tasks.calendar_file(w.core, w.who("leader_a"), delivery_id)
        [invitation] = outcome.files
        assert invitation.filename.endswith(".ics")
        assert b"vo.a@example.org" in invitation.content
        assert "ics.sent" in w.audit_actions()


def test_vo_answers_each_way_and_not_yet_tells_the_leader(engine: Engine) -> None:
    with core_world(engine) as w:
        w.deliver()
        w.at(oslo(date(2024, 4, 29), 9)).deliver()
        question = w.one(nudge="vo_question").id
        for answer, day, comment in (
            (VoAnswer.yes, "2024-04-24", None),
            (VoAnswer.partly, "2024-04-25", "Kun i starten"),
            (VoAnswer.not_yet, None, "Ikke invitert"),
        ):
            form = vo.clicked(w.core, w.who("vo_a"), question, answer).form
            assert form is not None
            assert form.kind is FormKind.vo_answer
            outcome = vo.submit(w.core, w.who("vo_a"), form.ref, day, comment)
            assert outcome.status is Status.recorded
            [recorded] = w.rows(VoConfirmation)
            assert recorded.answer is answer
        assert recorded.involved_on is None
        assert recorded.comment == "Ikke invitert"
        # The leader hears of it through the sender: queued once, even if asked again.
        [queued] = w.deliveries(nudge="vo_not_yet")
        assert (queued.role, queued.unit_id, queued.status) == ("leader", "IFA", "pending")
        again = vo.clicked(w.core, w.who("vo_a"), question, VoAnswer.not_yet).form
        assert again is not None
        assert vo.submit(w.core, w.who("vo_a"), again.ref, None, "Fortsatt ikke").ok
        assert len(w.deliveries(nudge="vo_not_yet")) == 1
        w.deliver()
        [told] = [m for m in w.world.sent_to("leder.a@example.org") if "ikke involvert" in m.body]
        assert told.headline.startswith("Verneombudet er ikke involvert ennå")
        assert "Husk å involvere verneombudet før" in told.body
        assert told.buttons == []


def test_a_vo_comment_that_is_too_long_or_dated_ahead_is_refused(engine: Engine) -> None:
    with core_world(engine) as w:
        w.deliver()
        w.at(oslo(date(2024, 4, 29), 9)).deliver()
        question = w.one(nudge="vo_question").id
        form = vo.clicked(w.core, w.who("vo_a"), question, VoAnswer.yes).form
        assert form is not None
        before = w.snapshot()
        too_long = vo.submit(w.core, w.who("vo_a"), form.ref, None, "x" * 2001)
        ahead = vo.submit(w.core, w.who("vo_a"), form.ref, "2024-05-30", None)
        assert list(too_long.errors) == ["comment"]
        assert list(ahead.errors) == ["involved_on"]
        assert w.snapshot() == before


def test_a_request_from_another_workspace_is_refused(engine: Engine) -> None:
    from dataclasses import replace

    with core_world(engine) as w:
        delivery_id = _task(w)
        core = replace(
            w.core, workspaces=lambda platform: "T0HOME" if platform == "slack" else None
        )
        before = w.snapshot()
        foreign = tasks.done_clicked(core, w.who("leader_a", workspace="T0OTHER"), delivery_id)
        assert foreign.reason == "conversation.wrong_workspace"
        home = tasks.done_clicked(core, w.who("leader_a", workspace="T0HOME"), delivery_id)
        assert home.status is Status.form
        assert w.snapshot() == before


def test_a_queued_notice_survives_its_milestone_being_moved(engine: Engine) -> None:
    """Moving a date cancels the milestone's pending nudges so the planner can make them
    again; a notice is not the plan's, nothing would make it again, so it stays."""
    with core_world(engine) as w:
        w.deliver()
        w.at(oslo(date(2024, 4, 29), 9)).deliver()
        question = w.one(nudge="vo_question")
        form = vo.clicked(w.core, w.who("vo_a"), question.id, VoAnswer.not_yet).form
        assert form is not None
        assert vo.submit(w.core, w.who("vo_a"), form.ref, None, "Ikke invitert").ok
        with Session(engine) as session:
            release_pending(session, w.core.plan.id, [question.milestone_id], reason="date moved")
            session.commit()
        w.world.planner.run()
        [notice] = w.deliveries(nudge="vo_not_yet")
        assert notice.status is DeliveryStatus.pending
        w.deliver()
        assert w.one(nudge="vo_not_yet").status is DeliveryStatus.sent


def test_a_home_button_that_no_longer_applies_answers_with_the_current_home(
    engine: Engine,
) -> None:
    """Anne left her unit (and Vidar his) while their home views still showed its buttons: the
    click is refused without words, changes nothing, and brings the home as it is now."""
    with core_world(engine) as w:
        w.deliver()
        with engine.begin() as connection:
            connection.execute(update(table_of(Membership)).values(active=False))
        before = w.snapshot()
        for outcome, reason in (
            (tasks.done_from_home(w.core, w.who("leader_a"), "IFA", "form"), NOT_LEADER),
            (actions.new_item(w.core, w.who("leader_a"), "IFA"), NOT_LEADER),
            (vo.from_home(w.core, w.who("vo_a"), "IFA", "vo-point", VoAnswer.yes), NOT_VO),
        ):
            assert (outcome.status, outcome.reason, outcome.reply) == (
                Status.refused,
                reason,
                None,
            )
            assert outcome.home is not None
            assert outcome.home.person.due == []
            assert outcome.home.person.vo_open == []
        assert w.snapshot() == before
