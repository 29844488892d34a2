"""Recording pulse answers: once per person and round, without the person, the time or an order."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Date, func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schedules.calendar import WorkCalendar
from schedules.clock import FrozenClock
from storage.directory import import_org
from storage.models import AuditEntry, PulseAnswer, PulseResponse, table_of
from storage.pulses import (
    PulseRound,
    find_round,
    has_answered,
    pulse_rounds,
    record_pulse_answers,
    reseal_round,
)
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

ORG = """unit_id,unit_name,parent_id,level,email,name,role
FAK,Fakultetet,,2,dekan@example.org,Dag Dekan,leader
IFA,Institutt A,FAK,3,ola@example.org,Ola Ansatt,employee
IFA,Institutt A,FAK,3,emma@example.org,Emma Employee,employee
IFA,Institutt A,FAK,3,per@example.org,Per Persen,employee
IFA,Institutt A,FAK,3,liv@example.org,Liv Li,employee
IFA,Institutt A,FAK,3,ida@example.org,Ida Isaksen,employee
IFA,Institutt A,FAK,3,tor@example.org,Tor Torsen,employee
"""
EMAILS = [
    "ola@example.org",
    "emma@example.org",
    "per@example.org",
    "liv@example.org",
    "ida@example.org",
    "tor@example.org",
]
OPEN_DAY = date(2024, 4, 10)  # p1 is open 8–14 April
GOOD = {"knows": "yes", "followed": "4"}


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    import_org(engine, ORG, clock=CLOCK, actor="test")
    with Session(engine) as session:
        yield session


def person_id(session: Session, email: str) -> int:
    person = person_by_email(session, email)
    assert person is not None
    assert person.id is not None
    return person.id


def record(
    session: Session,
    email: str = "ola@example.org",
    *,
    answers: dict[str, str] | None = None,
    round: str = "p1",
    today: date = OPEN_DAY,
    unit_id: str = "IFA",
    pulse_id: str = "pulse-a",
) -> bool:
    return record_pulse_answers(
        session,
        plan=PLAN,
        pulse_id=pulse_id,
        round=round,
        person_id=person_id(session, email),
        unit_id=unit_id,
        answers=GOOD if answers is None else answers,
        today=today,
    )


def stored(session: Session) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    answers, markers = table_of(PulseAnswer), table_of(PulseResponse)
    return (
        [dict(row) for row in session.execute(select(answers).order_by(answers.c.id)).mappings()],
        [dict(row) for row in session.execute(select(markers).order_by(markers.c.id)).mappings()],
    )


def test_rounds_come_from_the_plan_events() -> None:
    rounds = pulse_rounds(PLAN, WorkCalendar())
    assert [(r.round, r.opens_on, r.closes_on) for r in rounds] == [
        ("p1", date(2024, 4, 8), date(2024, 4, 14)),
        ("p2", date(2024, 4, 22), date(2024, 4, 28)),
        ("p3", date(2024, 5, 6), date(2024, 5, 12)),
        # 20 May 2024 is Whit Monday: the round moves to the next working day.
        ("p4", date(2024, 5, 21), date(2024, 5, 27)),
    ]
    first = rounds[0]
    assert isinstance(first, PulseRound)
    assert (first.cycle_id, first.pulse_id) == ("test-cycle", "pulse-a")
    assert [question.id for question in first.questions] == ["knows", "followed"]
    assert first.is_open(date(2024, 4, 14))
    assert not first.is_closed(date(2024, 4, 14))
    assert first.is_closed(date(2024, 4, 15))
    assert not first.is_open(date(2024, 4, 15))
    assert find_round(PLAN, "pulse-a", "p2").closes_on == date(2024, 4, 28)


def test_answers_are_recorded_once(session: Session) -> None:
    ola = person_id(session, "ola@example.org")
    assert not has_answered(session, "test-cycle", "pulse-a", "p1", ola)

    assert record(session) is True
    session.commit()
    answers, markers = stored(session)
    assert sorted((a["question_id"], a["value"]) for a in answers) == [
        ("followed", "4"),
        ("knows", "yes"),
    ]
    assert {(a["unit_id"], a["round"], a["answered_on"]) for a in answers} == {
        ("IFA", "p1", OPEN_DAY)
    }
    assert [(m["round"], m["person_id"]) for m in markers] == [("p1", ola)]
    assert has_answered(session, "test-cycle", "pulse-a", "p1", ola)

    again = record(session, answers={"knows": "no", "followed": "1"}, today=date(2024, 4, 12))
    session.commit()
    assert again is False
    assert stored(session) == (answers, markers)


def test_answering_one_round_is_not_answering_another(session: Session) -> None:
    ola, emma = person_id(session, "ola@example.org"), person_id(session, "emma@example.org")
    assert record(session)
    assert not has_answered(session, "test-cycle", "pulse-a", "p2", ola)
    assert not has_answered(session, "test-cycle", "pulse-a", "p1", emma)
    assert not has_answered(session, "test-cycle", "other-pulse", "p1", ola)
    assert record(session, round="p2", today=date(2024, 4, 22))
    assert has_answered(session, "test-cycle", "pulse-a", "p2", ola)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answers": {"knows": "yes", "followed": "6"}}, r"'6' is not an answer to .*followed"),
        ({"answers": {"knows": "maybe", "followed": "3"}}, r"'maybe' is not an answer to .*knows"),
        ({"answers": {"knows": "yes", "followed": "four"}}, r"allowed are 1, 2, 3, 4, 5"),
        ({"answers": {"knows": "yes"}}, r"question 'followed' is not answered"),
        ({"answers": {}}, r"question 'knows' is not answered"),
        ({"answers": {**GOOD, "extra": "yes"}}, r"unknown question\(s\): extra"),
        ({"round": "p9"}, r"pulse 'pulse-a' has no round 'p9'"),
        ({"pulse_id": "no-such-pulse"}, r"the plan has no pulse 'no-such-pulse'"),
        ({"today": date(2024, 4, 15)}, r"round 'p1' is open 2024-04-08 to 2024-04-14"),
        ({"today": date(2024, 4, 7)}, r"not on 2024-04-07"),
        ({"unit_id": "NOPE"}, r"unknown unit 'NOPE'"),
        ({"unit_id": ""}, r"unknown unit ''"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    session: Session, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        record(session, **changes)  # type: ignore[arg-type]
    session.commit()
    assert stored(session) == ([], [])
    assert not has_answered(
        session, "test-cycle", "pulse-a", "p1", person_id(session, "ola@example.org")
    )


def test_an_unknown_person_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="no person with id 999999"):
        record_pulse_answers(
            session,
            plan=PLAN,
            pulse_id="pulse-a",
            round="p1",
            person_id=999999,
            unit_id="IFA",
            answers=GOOD,
            today=OPEN_DAY,
        )
    assert stored(session) == ([], [])


def test_answers_and_marker_share_the_callers_transaction(session: Session) -> None:
    assert record(session)
    assert len(stored(session)[0]) == 2
    session.rollback()
    assert stored(session) == ([], [])
    assert record(session)  # the person may answer: the marker went with the rollback


def test_the_answers_table_has_no_person_and_no_time(engine: Engine) -> None:
    expected = {
        "id",
        "cycle_id",
        "pulse_id",
        "round",
        "unit_id",
        "question_id",
        "value",
        "answered_on",
    }
    columns = table_of(PulseAnswer).columns
    assert set(columns.keys()) == expected
    assert isinstance(columns["answered_on"].type, Date)
    assert not table_of(PulseAnswer).foreign_keys

    live = inspect(engine)
    live_columns = {column["name"]: column for column in live.get_columns("pulse_answers")}
    assert set(live_columns) == expected
    assert isinstance(live_columns["answered_on"]["type"], Date)
    assert "TIME" not in str(live_columns["answered_on"]["type"]).upper()
    assert live.get_foreign_keys("pulse_answers") == []
    assert live.get_pk_constraint("pulse_answers")["constrained_columns"] == ["id"]
    for name in live_columns:
        assert not re.search(r"person|user|email|slack|teams|name|_at$|time", name), name

    # The marker says only that a person answered a round: no unit, value or date.
    marker_columns = {column["name"] for column in live.get_columns("pulse_responses")}
    assert marker_columns == {"id", "cycle_id", "pulse_id", "round", "person_id"}


def test_ids_are_random_not_sequential(session: Session) -> None:
    in_order: list[str] = []
    for email in EMAILS:
        before = {str(row["id"]) for row in stored(session)[0]}
        assert record(session, email)
        in_order.extend(sorted({str(row["id"]) for row in stored(session)[0]} - before))
    markers = [str(row["id"]) for row in stored(session)[1]]
    assert len(in_order) == 12
    assert len(set(in_order)) == 12
    for identifier in in_order + markers:
        assert re.fullmatch(r"[0-9a-f]{32}", identifier)
    # Ordered by id, the answers are not in the order they arrived (12! orders: no accident).
    assert sorted(in_order) != in_order
    numbers = [int(identifier, 16) for identifier in in_order]
    steps = {later - earlier for earlier, later in itertools.pairwise(numbers)}
    assert len(steps) > 1
    assert min(abs(step) for step in steps) > 2**64


def test_no_audit_entry_mentions_the_person(session: Session) -> None:
    before = session.execute(select(func.count()).select_from(table_of(AuditEntry))).scalar()
    for email in EMAILS[:3]:
        assert record(session, email)
    session.commit()
    entries = list(session.execute(select(table_of(AuditEntry))).mappings())
    assert len(entries) == before
    ola = person_id(session, "ola@example.org")
    for entry in entries:
        written = " ".join(str(value) for value in entry.values())
        assert "ola@example.org" not in written
        assert "Ola Ansatt" not in written
        assert f"person/{ola}" not in written
        assert "pulse" not in written


def test_reseal_keeps_the_answers_and_forgets_their_order(session: Session) -> None:
    for email in EMAILS:
        assert record(session, email, answers={"knows": "yes", "followed": "3"})
    assert record(session, "ida@example.org", round="p2", today=date(2024, 4, 23))
    session.commit()
    answers, markers = stored(session)
    old_ids = {row["id"] for row in answers}

    assert reseal_round(session, cycle_id="test-cycle", pulse_id="pulse-a", round="p1") == 12
    session.commit()
    new_answers, new_markers = stored(session)

    def content(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return sorted(tuple(v for k, v in row.items() if k != "id") for row in rows)

    assert content(new_answers) == content(answers)
    assert content(new_markers) == content(markers)
    p1_ids = {row["id"] for row in new_answers if row["round"] == "p1"}
    assert p1_ids.isdisjoint(old_ids)
    p2_ids = {row["id"] for row in new_answers if row["round"] == "p2"}
    assert p2_ids <= old_ids  # other rounds are left alone
    for email in EMAILS:
        assert has_answered(session, "test-cycle", "pulse-a", "p1", person_id(session, email))

    if session.get_bind().dialect.name == "postgresql":
        # One transaction wrote the whole round: the transaction id links no answer to a marker.
        xmins = session.execute(
            text(
                "SELECT DISTINCT xmin::text FROM pulse_answers WHERE round = 'p1' "
                "UNION SELECT DISTINCT xmin::text FROM pulse_responses WHERE round = 'p1'"
            )
        ).all()
        assert len(xmins) == 1
        physical = [
            row[0]
            for row in session.execute(
                text("SELECT id FROM pulse_answers WHERE round = 'p1' ORDER BY ctid")
            )
        ]
        assert physical == sorted(physical)
