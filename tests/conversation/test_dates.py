"""Coordinators set a milestone's date from chat; everybody else is refused, bad input
changes nothing. The same command serves Slack's `/ark dato` and Teams' `dato`."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.conversation import Status, commands, questions
from bot.conversation.base import NOT_COORDINATOR
from bot.conversation.dates import DatesView
from storage.models import MilestoneOverride
from tests.conversation.world import core_world

TBD = """
  - id: evaluering
    phase: 5
    kind: vo_meeting
    title: {nb: Tiltaksevaluering, en: Action evaluation}
    audience: [{role: vo}]
    when: {type: tbd, hint: 2024-09}
"""


def test_a_coordinator_sets_a_date_that_was_not_known(engine: Engine) -> None:
    with core_world(engine, extra=TBD) as w:
        koord = w.who("koord")
        listed = commands.run(w.core, koord, "dato").outcome
        assert isinstance(listed.data, DatesView)
        assert [m[0] for m in listed.data.milestones] == ["evaluering"]
        home = questions.home(w.core, koord).home
        assert home is not None
        assert [m[0] for m in home.dates_to_set] == ["evaluering"]
        done = commands.run(w.core, koord, "dato evaluering 2024-09-10 2024-09-20").outcome
        assert done.status is Status.recorded
        assert "Tiltaksevaluering" in (done.reply or "")
        [override] = w.rows(MilestoneOverride)
        assert (override.milestone_id, str(override.ends_on)) == ("evaluering", "2024-09-20")
        assert done.home is not None
        assert done.home.dates_to_set == []


def test_only_coordinators_and_only_good_dates(engine: Engine) -> None:
    with core_world(engine, extra=TBD) as w:
        before = w.snapshot()
        leader = commands.run(w.core, w.who("leader_a"), "dato evaluering 2024-09-10").outcome
        assert leader.reason == NOT_COORDINATOR
        koord = w.who("koord")
        for text, reason in (
            ("dato evaluering 2024-02-30", "conversation.dates.bad_date"),
            ("dato nowhere 2024-09-10", "cycle.error.unknown_milestone"),
            ("dato evaluering 2024-09-10 2024-09-01", "cycle.error.until_before"),
            ("dato evaluering 1999-01-01", "cycle.error.outside"),
            ("dato evaluering", "conversation.dates.usage"),
        ):
            outcome = commands.run(w.core, koord, text).outcome
            assert outcome.status is Status.refused, text
            assert outcome.reason == reason
            assert outcome.reply
        assert w.snapshot() == before
