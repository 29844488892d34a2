"""Pulse results: small groups stay hidden, even by subtraction; only the right people read them."""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.pulse_aggregation import (
    GroupResult,
    Reason,
    _decide_round,  # the decision itself, without a database
    _Tree,
    aggregate,
    by_pulse_and_round,
    effective_min_group,
    visible_to,
)
from schedules.clock import FrozenClock
from storage.directory import import_org
from storage.pulses import record_pulse_answers
from storage.queries import person_by_email
from tests.engine.harness import make_plan

CLOCK = FrozenClock(datetime(2024, 3, 25, 10, tzinfo=UTC))

PLAN = make_plan("""
  - id: pulse-a
    phase: 4
    kind: pulse
    title: {nb: Puls, en: Pulse}
    audience: [{role: employee}]
    when: {type: window, start: 2024-04-08, end: 2024-05-31}
    pulse:
      questions:
        - id: knows
          text: {nb: Kjenner du tiltakene, en: Do you know the actions}
          scale: yes_no_unsure
        - id: followed
          text: {nb: Følges tiltakene opp, en: Are the actions followed up}
          scale: "1-5"
      cadence_days: 14
      open_days: 7
""")

P1_OPEN, P1_CLOSES, AFTER_P1 = date(2024, 4, 10), date(2024, 4, 14), date(2024, 4, 15)
P2_OPEN, AFTER_P2 = date(2024, 4, 23), date(2024, 4, 29)


def employees(unit: str, name: str, parent: str, prefix: str, count: int) -> list[str]:
    return [
        f"{unit},{name},{parent},3,{prefix}{n}@example.org,Ansatt {prefix.upper()}{n},employee"
        for n in range(1, count + 1)
    ]


# UNI ─┬─ FAK (coordinator Kari, dean Dag) ─┬─ IA: leader Anne, VO Vidar, 5 employees
#      │                                    └─ IB: leader Bjørn, 5 employees
#      └─ FAK2 (coordinator Kåre)          ─── IC: leader Cecilie, 6 employees
ORG = "\n".join(
    [
        "unit_id,unit_name,parent_id,level,email,name,role",
        "UNI,Universitetet,,1,rektor@example.org,Rita Rektor,leader",
        "FAK,Fakultetet,UNI,2,koord@example.org,Kari Koordinator,coordinator",
        "FAK,Fakultetet,UNI,2,dekan@example.org,Dag Dekan,leader",
        "FAK2,Fakultet to,UNI,2,koord2@example.org,Kåre Koordinator,coordinator",
        "IA,Institutt A,FAK,3,leder.a@example.org,Anne Leder,leader",
        "IA,Institutt A,FAK,3,vo.a@example.org,Vidar Verneombud,vo",
        *employees("IA", "Institutt A", "FAK", "a", 5),
        "IB,Institutt B,FAK,3,leder.b@example.org,Bjørn Leder,leader",
        *employees("IB", "Institutt B", "FAK", "b", 5),
        "IC,Institutt C,FAK2,3,leder.c@example.org,Cecilie Leder,leader",
        *employees("IC", "Institutt C", "FAK2", "c", 6),
    ]
)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    import_org(engine, ORG, clock=CLOCK, actor="test")
    with Session(engine) as session:
        yield session


def pid(session: Session, email: str) -> int:
    person = person_by_email(session, email)
    assert person is not None
    assert person.id is not None
    return person.id


def answer(
    session: Session,
    unit: str,
    prefix: str,
    count: int,
    *,
    followed: str = "4",
    knows: str = "yes",
    round: str = "p1",
    today: date = P1_OPEN,
    alike: bool = False,
) -> None:
    """`count` people answer `followed` and `knows`; unless `alike`, the last of them answers
    both questions differently (a group that answers alike is never shown, see below)."""
    for n in range(1, count + 1):
        last = n == count and count > 1 and not alike
        assert record_pulse_answers(
            session,
            plan=PLAN,
            pulse_id="pulse-a",
            round=round,
            person_id=pid(session, f"{prefix}{n}@example.org"),
            unit_id=unit,
            answers={
                "knows": _OTHER_KNOWS[knows] if last else knows,
                "followed": str(int(followed) % 5 + 1) if last else followed,
            },
            today=today,
        )
    session.commit()


_OTHER_KNOWS = {"yes": "no", "no": "unsure", "unsure": "yes"}


def results(
    session: Session, *, round: str | None = "p1", today: date = AFTER_P1, min_group: int = 5
) -> dict[str, GroupResult]:
    found = aggregate(
        session, PLAN, pulse_id="pulse-a", round=round, today=today, min_group=min_group
    )
    return {result.unit_id: result for result in found}


def shown_counts(found: dict[str, GroupResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for unit_id, result in found.items():
        if result.shown:
            assert result.respondents is not None
            counts[unit_id] = result.respondents
    return counts


def signed_combinations(numbers: list[int]) -> set[int]:
    """Every Σ cᵢ·nᵢ with cᵢ ∈ {−1, 0, 1}: what adding and subtracting shown counts can give."""
    return {
        sum(sign * number for sign, number in zip(signs, numbers, strict=True))
        for signs in itertools.product((-1, 0, 1), repeat=len(numbers))
    }


def assert_hidden_without_figures(result: GroupResult) -> None:
    assert result.shown is False
    assert result.reason is not None
    assert result.respondents is None
    assert result.questions == ()
    assert result.rounds == ()
    for item in dataclasses.fields(result):
        value = getattr(result, item.name)
        assert not isinstance(value, int | float) or isinstance(value, bool), item.name


def test_a_group_of_four_is_never_shown_directly_or_by_subtraction(session: Session) -> None:
    answer(session, "IA", "a", 5, followed="4", knows="yes")
    answer(session, "IB", "b", 4, followed="2", knows="no")
    answer(session, "IC", "c", 6, followed="3", knows="unsure")

    found = results(session)

    assert found["IB"].reason is Reason.below_threshold
    assert found["IA"].reason is Reason.derivable  # 9 − 5 would reveal the 4
    assert_hidden_without_figures(found["IB"])
    assert_hidden_without_figures(found["IA"])
    faculty = found["FAK"]
    assert faculty.shown
    assert faculty.respondents == 9
    followed = faculty.questions[1]
    # each group's last person answered differently (4 → 5 and 2 → 3, yes → no, no → unsure)
    assert followed.distribution == {"1": 0, "2": 3, "3": 1, "4": 4, "5": 1}
    assert followed.mean == round((4 * 4 + 5 + 3 * 2 + 3) / 9, 2)
    assert faculty.questions[0].distribution == {"yes": 4, "no": 4, "unsure": 1}
    assert faculty.questions[0].mean is None
    # Whatever is added to or subtracted from whatever is shown, 4 does not come out.
    counts = shown_counts(found)
    assert counts == {"UNI": 15, "FAK": 9, "FAK2": 6, "IC": 6}
    assert 4 not in signed_combinations(list(counts.values()))


def test_every_rest_left_by_subtraction_is_empty_or_large_enough(session: Session) -> None:
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 4)
    answer(session, "IC", "c", 6)

    found = results(session)
    counts = shown_counts(found)

    assert counts == {"UNI": 15, "FAK": 9, "FAK2": 6, "IC": 6}
    children = {"UNI": ["FAK", "FAK2"], "FAK": ["IA", "IB"], "FAK2": ["IC"]}
    for parent, below in children.items():
        rest = counts[parent] - sum(counts.get(child, 0) for child in below)
        assert rest == 0 or rest >= 5, (parent, rest)
    assert 4 not in signed_combinations(list(counts.values()))


def test_nobody_learns_that_a_small_group_did_not_answer(session: Session) -> None:
    answer(session, "IA", "a", 5)  # nobody of IB's five employees answers
    answer(session, "IC", "c", 6)

    found = results(session)

    # Showing IA (5) next to FAK (5) would tell that nobody in IB answered.
    assert found["IA"].reason is Reason.derivable
    assert found["IB"].reason is Reason.below_threshold
    assert_hidden_without_figures(found["IB"])
    assert shown_counts(found) == {"UNI": 11, "FAK": 5, "FAK2": 6, "IC": 6}


def test_nobody_learns_that_a_whole_faculty_did_not_answer(session: Session) -> None:
    answer(session, "IC", "c", 6)  # nobody in FAK answers

    found = results(session)

    # FAK2 (6) next to UNI (6) would tell that FAK's ten employees did not answer.
    assert shown_counts(found) == {"UNI": 6}
    assert found["FAK2"].reason is Reason.derivable
    assert found["IC"].reason is Reason.derivable
    assert found["FAK"].reason is Reason.below_threshold


def test_results_appear_only_after_the_round_closes(session: Session) -> None:
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 5)
    answer(session, "IC", "c", 6)

    for today in (P1_OPEN, P1_CLOSES):
        for round_id in ("p1", None):
            found = results(session, round=round_id, today=today)
            assert {result.reason for result in found.values()} == {Reason.not_closed}
            for result in found.values():
                assert_hidden_without_figures(result)

    after = results(session, today=AFTER_P1)
    assert after["IC"].shown
    assert after["IC"].respondents == 6
    assert after["IC"].rounds == ("p1",)
    together = results(session, round=None, today=AFTER_P1)
    assert together["IC"].respondents == 6
    assert together["IC"].rounds == ("p1",)
    # p2 is open: it has nothing to show yet.
    assert results(session, round="p2", today=AFTER_P1)["IC"].reason is Reason.not_closed


def test_the_threshold_is_configurable_but_never_below_three(session: Session) -> None:
    answer(session, "IC", "c", 3)

    assert results(session, min_group=3)["UNI"].respondents == 3
    assert results(session, min_group=4)["UNI"].reason is Reason.below_threshold
    assert results(session)["UNI"].reason is Reason.below_threshold  # default 5
    assert effective_min_group(2) == 3
    assert effective_min_group(0) == 3
    assert effective_min_group(-10) == 3
    assert effective_min_group(7) == 7


def test_two_answers_stay_hidden_even_when_asked_for_a_threshold_of_two(session: Session) -> None:
    answer(session, "IC", "c", 2)

    for min_group in (1, 2):
        found = results(session, min_group=min_group)
        assert shown_counts(found) == {}
        assert found["IC"].reason is Reason.below_threshold
        assert_hidden_without_figures(found["IC"])


def test_a_suppressed_group_exposes_no_count(session: Session) -> None:
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 3)
    answer(session, "IC", "c", 6)

    for round_id in ("p1", None):
        found = results(session, round=round_id)
        hidden = [result for result in found.values() if not result.shown]
        assert {result.unit_id for result in hidden} == {"IA", "IB"}
        for result in hidden:
            assert_hidden_without_figures(result)


def test_all_rounds_add_up_only_what_each_round_showed(session: Session) -> None:
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 5)
    answer(session, "IC", "c", 6, followed="5")
    answer(session, "IC", "c", 2, followed="1", round="p2", today=P2_OPEN)

    p2 = results(session, round="p2", today=AFTER_P2)
    assert p2["IC"].reason is Reason.below_threshold
    together = results(session, round=None, today=AFTER_P2)
    ic = together["IC"]
    # p2's two answers are not added: the total would reveal them next to p1's six.
    assert ic.respondents == 6
    assert ic.rounds == ("p1",)
    assert ic.questions[1].distribution == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 5}
    assert ic.questions[1].mean == round((5 * 5 + 1) / 6, 2)


def test_all_rounds_sum_the_rounds_shown(session: Session) -> None:
    for round_id, today in (("p1", P1_OPEN), ("p2", P2_OPEN)):
        answer(session, "IA", "a", 5, round=round_id, today=today)
        answer(session, "IB", "b", 5, round=round_id, today=today)
    answer(session, "IC", "c", 6, followed="5")
    answer(session, "IC", "c", 5, followed="3", round="p2", today=P2_OPEN)

    ic = results(session, round=None, today=AFTER_P2)["IC"]
    assert ic.respondents == 11
    assert ic.rounds == ("p1", "p2")
    assert ic.questions[1].distribution == {"1": 1, "2": 0, "3": 4, "4": 1, "5": 5}
    assert ic.questions[1].mean == round((5 * 5 + 1 + 4 * 3 + 4) / 11, 2)
    grouped = by_pulse_and_round(
        aggregate(session, PLAN, pulse_id=None, round=None, today=AFTER_P2)
    )
    assert [(group.pulse_id, group.round) for group in grouped] == [("pulse-a", None)]
    assert {g.unit_id for g in grouped[0].groups} == {"UNI", "FAK", "FAK2", "IA", "IB", "IC"}


def test_asking_for_part_of_the_tree_changes_no_decision(session: Session) -> None:
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 4)
    answer(session, "IC", "c", 6)

    part = aggregate(
        session, PLAN, pulse_id="pulse-a", round="p1", today=AFTER_P1, units=["IA", "FAK"]
    )
    assert [result.unit_id for result in part] == ["FAK", "IA"]
    assert part[0].respondents == 9
    assert part[1].reason is Reason.derivable


def test_unknown_pulses_and_rounds_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="has no round 'p9'"):
        aggregate(session, PLAN, pulse_id="pulse-a", round="p9", today=AFTER_P1)
    with pytest.raises(ValueError, match="no pulse 'nope'"):
        aggregate(session, PLAN, pulse_id="nope", round=None, today=AFTER_P1)
    with pytest.raises(ValueError, match="give pulse_id"):
        aggregate(session, PLAN, pulse_id=None, round="p1", today=AFTER_P1)


@pytest.fixture
def everyone_answered(session: Session) -> list[GroupResult]:
    answer(session, "IA", "a", 5)
    answer(session, "IB", "b", 5)
    answer(session, "IC", "c", 6)
    return aggregate(session, PLAN, pulse_id="pulse-a", round="p1", today=AFTER_P1, min_group=3)


def units_seen_by(session: Session, email: str, found: list[GroupResult]) -> set[str]:
    return {result.unit_id for result in visible_to(session, pid(session, email), found)}


def test_a_leader_reads_only_their_own_units(
    session: Session, everyone_answered: list[GroupResult]
) -> None:
    assert {result.unit_id for result in everyone_answered if result.shown} == {
        "UNI",
        "FAK",
        "FAK2",
        "IA",
        "IB",
        "IC",
    }
    assert units_seen_by(session, "leder.a@example.org", everyone_answered) == {"IA"}
    assert units_seen_by(session, "leder.b@example.org", everyone_answered) == {"IB"}
    assert units_seen_by(session, "leder.c@example.org", everyone_answered) == {"IC"}
    assert units_seen_by(session, "vo.a@example.org", everyone_answered) == {"IA"}
    assert units_seen_by(session, "dekan@example.org", everyone_answered) == {"FAK", "IA", "IB"}


def test_a_coordinator_reads_their_area(
    session: Session, everyone_answered: list[GroupResult]
) -> None:
    assert units_seen_by(session, "koord@example.org", everyone_answered) == {"FAK", "IA", "IB"}
    assert units_seen_by(session, "koord2@example.org", everyone_answered) == {"FAK2", "IC"}


def test_an_employee_reads_nothing(session: Session, everyone_answered: list[GroupResult]) -> None:
    assert visible_to(session, pid(session, "a1@example.org"), everyone_answered) == []
    assert visible_to(session, pid(session, "c6@example.org"), everyone_answered) == []
    assert visible_to(session, 999999, everyone_answered) == []


def test_the_answers_are_counted_by_the_database(session: Session, engine: Engine) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    answer(session, "IA", "a", 5)
    event.listen(engine, "before_cursor_execute", count)
    try:
        aggregate(session, PLAN, pulse_id="pulse-a", round=None, today=AFTER_P2)
        few = len(statements)
        answer(session, "IB", "b", 4)
        answer(session, "IC", "c", 6, round="p2", today=P2_OPEN)
        statements.clear()
        aggregate(session, PLAN, pulse_id="pulse-a", round=None, today=AFTER_P2)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # the units, the rounds' frozen groups, the grouped answers; the audience and its time
    # zones only while a closed round has no frozen groups (nobody had answered it)
    assert len(statements) <= few <= 5
    assert any("GROUP BY" in statement and "pulse_answers" in statement for statement in statements)


@pytest.mark.parametrize("seed", range(40))
def test_random_trees_leave_no_small_rest(seed: int) -> None:
    """Whatever the tree and the counts, what subtraction can isolate is empty or large enough."""
    generator = random.Random(seed)
    threshold = generator.choice((3, 4, 5))
    rows: list[tuple[str, str, str | None, bool]] = [("u0", "u0", None, True)]
    for number in range(1, generator.randint(2, 30)):
        parent = f"u{generator.randrange(number)}"
        rows.append((f"u{number}", f"u{number}", parent, True))
    tree = _Tree.build(rows)
    members = {unit_id: generator.choice((0, 0, 1, 2, 4, 6, 9)) for unit_id, *_ in rows}
    answered = {unit_id: generator.randint(0, n) for unit_id, n in members.items()}
    direct = {
        unit_id: Counter({("q", "yes"): n})
        for unit_id, n in answered.items()
        if n  # one question
    }

    decision = _decide_round(direct, members, "q", tree, threshold)

    def below(unit_id: str) -> list[str]:
        found = []
        for child in tree.children.get(unit_id, []):
            found.extend([child] if child in decision.respondents else below(child))
        return found

    def subtree(unit_id: str, values: dict[str, int]) -> int:
        return values[unit_id] + sum(subtree(c, values) for c in tree.children.get(unit_id, []))

    for unit_id, respondents in decision.respondents.items():
        assert respondents == subtree(unit_id, answered) >= threshold
        assert decision.figures[unit_id] == Counter({("q", "yes"): respondents})
        rest = respondents - sum(decision.respondents[other] for other in below(unit_id))
        people = subtree(unit_id, members) - sum(subtree(o, members) for o in below(unit_id))
        assert rest >= threshold or (rest == 0 and people == 0), (seed, unit_id, rest, people)
    for unit_id in tree.order:
        shown = unit_id in decision.respondents
        assert shown != (unit_id in decision.reasons)
        if subtree(unit_id, answered) < threshold:
            assert decision.reasons[unit_id] is Reason.below_threshold
