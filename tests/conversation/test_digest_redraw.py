"""A click on one part of a digest redraws the whole digest: the part clicked in its
answered state, the parts still open with their buttons, the parts settled before with
what settled them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation import tasks, vo
from bot.messages import Message
from storage.models import Delivery, VoAnswer
from tests.conversation.world import CoreWorld, core_world, oslo
from tests.slack_app.world import TWO_UNITS


def _parts(message: Message) -> dict[str, list[str]]:
    """Each part's first line → its buttons' action ids (and its last line when answered)."""
    return {
        section.text.splitlines()[0]: [str(b.action) for b in section.buttons]
        or [section.text.splitlines()[-1]]
        for section in message.sections
    }


def _vo_digest(w: CoreWorld) -> tuple[int, int]:
    w.deliver()
    w.at(oslo(date(2024, 4, 29), 9)).deliver()
    ifa = w.one(nudge="vo_question", unit_id="IFA")
    ifb = w.one(nudge="vo_question", unit_id="IFB")
    assert ifa.message_id is not None
    assert ifa.message_id == ifb.message_id  # one message for both
    assert ifa.id is not None
    assert ifb.id is not None
    return ifa.id, ifb.id


def _leader_digest(w: CoreWorld) -> tuple[Delivery, Delivery]:
    """The task reminder leader_a got for both units, as one message."""
    w.deliver()
    ifa = w.one(nudge="task_open", unit_id="IFA")
    ifb = w.one(nudge="task_open", unit_id="IFB", person_id=ifa.person_id)
    assert ifa.message_id == ifb.message_id
    return ifa, ifb


def _mark_done(w: CoreWorld, delivery: Delivery) -> Message:
    """leader_a marks the delivery's task done; the digest as redrawn."""
    form = tasks.done_clicked(w.core, w.who("leader_a"), delivery.id).form
    assert form is not None
    [redraw] = tasks.submit_done(w.core, w.who("leader_a"), form.ref, "2024-04-22", None).redraw
    return redraw.message


def test_answering_one_unit_of_a_vo_digest_keeps_the_other_units_buttons(engine: Engine) -> None:
    with core_world(engine, org=TWO_UNITS) as w:
        ifa, ifb = _vo_digest(w)
        form = vo.clicked(w.core, w.who("vo_a"), ifa, VoAnswer.yes).form
        assert form is not None
        outcome = vo.submit(w.core, w.who("vo_a"), form.ref, "2024-04-24", None)
        [redraw] = outcome.redraw
        assert redraw.delivery_id == ifa
        parts = _parts(redraw.message)
        assert len(parts) == 2
        answered, still_open = sorted(parts.values(), key=len)
        assert answered[0].startswith("🦺 Recorded on")
        assert still_open == ["vo_yes", "vo_partly", "vo_not_yet"]
        assert redraw.message.buttons == []

        # The second unit answered later: the first keeps its answer in the redraw.
        form = vo.clicked(w.core, w.who("vo_a"), ifb, VoAnswer.partly).form
        assert form is not None
        [redraw] = vo.submit(w.core, w.who("vo_a"), form.ref, "2024-04-25", "Litt").redraw
        notes = [buttons[0] for buttons in _parts(redraw.message).values()]
        assert all(note.startswith("🦺 Recorded on") for note in notes), notes
        assert any("Partly involved" in note for note in notes)
        assert any("Yes, I was involved" in note for note in notes)


def test_a_cancelled_form_on_a_digest_shows_the_digest_as_it_was(engine: Engine) -> None:
    with core_world(engine, org=TWO_UNITS) as w:
        ifa, _ifb = _vo_digest(w)
        form = vo.clicked(w.core, w.who("vo_a"), ifa, VoAnswer.yes).form
        assert form is not None
        from bot.conversation import forms

        [redraw] = forms.cancel(w.core, w.who("vo_a"), form.ref).redraw
        assert sorted(_parts(redraw.message).values()) == [
            ["vo_yes", "vo_partly", "vo_not_yet"],
            ["vo_yes", "vo_partly", "vo_not_yet"],
        ]


def test_marking_one_unit_done_in_a_leaders_digest_keeps_the_other_units_buttons(
    engine: Engine,
) -> None:
    with core_world(engine, org=TWO_UNITS) as w:
        ifa, _ifb = _leader_digest(w)
        parts = sorted(_parts(_mark_done(w, ifa)).values(), key=len)
        assert parts[0][0].startswith("✅")
        assert parts[1][:2] == ["task_done", "task_snooze"]


def test_a_part_put_off_until_tomorrow_stays_put_off_when_another_part_is_answered(
    engine: Engine,
) -> None:
    with core_world(engine, org=TWO_UNITS) as w:
        ifa, ifb = _leader_digest(w)
        [snoozed] = tasks.snooze(w.core, w.who("leader_a"), ifb.id).redraw
        after_snooze = _parts(snoozed.message)
        after_done = _parts(_mark_done(w, ifa))
        (unit_b,) = [unit for unit, last in after_snooze.items() if last[0].startswith("⏰")]
        (unit_a,) = set(after_done) - {unit_b}
        # The snoozed part keeps the words of its own click, not its buttons.
        assert after_done[unit_b] == after_snooze[unit_b]
        assert after_done[unit_a][0].startswith("✅")


def test_an_earlier_snooze_of_another_message_does_not_settle_a_part(engine: Engine) -> None:
    with core_world(engine, org=TWO_UNITS) as w:
        ifa, ifb = _leader_digest(w)
        assert ifb.sent_at is not None
        with Session(engine) as session:
            earlier = ifb.model_copy(
                update={
                    "id": None,
                    "occurrence": "earlier:snooze:2024-04-19",
                    "dedupe_key": "earlier-snooze",
                    "created_at": ifb.sent_at - timedelta(days=3),
                    "due_at": ifb.sent_at - timedelta(days=2),
                }
            )
            session.add(Delivery.model_validate(earlier.model_dump()))
            session.commit()
        parts = sorted(_parts(_mark_done(w, ifa)).values(), key=len)
        assert parts[0][0].startswith("✅")
        assert parts[1][:2] == ["task_done", "task_snooze"]  # still open
