"""The shipped plan simulated to its end: phase 5 dates set later, and digests."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from bot.cli.plan import load_or_exit
from bot.cli.simulate import SAMPLE_ORG
from bot.config import Settings
from bot.simulation import DateSetting, SentRecord, simulate

PLAN = load_or_exit("ntnu-ark-2023-2025")
SAMPLE = SAMPLE_ORG.read_text(encoding="utf-8")
COORDINATOR = "ragnhild.saether@example.org"
VO_PAIRS = {
    ("torbjorn.vik@example.org", "FEF-IFJ"),
    ("torbjorn.vik@example.org", "FEF-IHA"),
    ("magnus.lie@example.org", "FEF-IDA"),
    ("liv.tangen@example.org", "FEF-ISP"),
}
LEVEL3_LEADERS = {
    "ingrid.haugen@example.org",
    "lars.eriksen@example.org",
    "hilde.odegard@example.org",
    "jon.kristiansen@example.org",
}
PHASE5 = ("action-evaluation", "vo-meeting-4-evaluate-actions")


def _settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def _vo_questions(records: list[SentRecord]) -> Counter[tuple[str, str | None]]:
    return Counter(
        (record.recipient, unit)
        for record in records
        if record.kind == "vo_question"
        for unit in record.units
    )


def _no_pile(records: list[SentRecord]) -> None:
    """Nobody gets two messages for the same milestone at the same minute."""
    counts = Counter((r.recipient, r.milestone, r.kind, r.at) for r in records)
    assert max(counts.values()) == 1, counts.most_common(3)


@pytest.fixture(scope="module")
def answered_cycle() -> list[SentRecord]:
    """The whole cycle; people answer, and the coordinator sets the dates when asked."""
    result = simulate(
        PLAN, SAMPLE, date(2023, 8, 1), date(2025, 6, 30), settings=_settings(), respond_seed=1
    )
    return result.records


def test_the_coordinator_who_sets_the_phase_5_date_gets_every_vo_four_questions(
    answered_cycle: list[SentRecord],
) -> None:
    asks = [r for r in answered_cycle if r.kind == "date_request"]
    # Asked on Thursday 3 April 2025, four weeks before the hint month; one message for both.
    assert [(r.recipient, r.at.date()) for r in asks] == [(COORDINATOR, date(2025, 4, 3))]
    assert "Dato kommer" in asks[0].text
    questions = _vo_questions(answered_cycle)
    assert set(questions) == VO_PAIRS
    assert set(questions.values()) == {4}
    _no_pile(answered_cycle)


def test_a_set_date_brings_every_level3_leader_the_action_evaluation_reminders() -> None:
    setting = {
        date(2025, 4, 3): [
            DateSetting("action-evaluation", date(2025, 5, 20)),
            DateSetting("vo-meeting-4-evaluate-actions", date(2025, 5, 20)),
        ]
    }
    records = simulate(
        PLAN, SAMPLE, date(2025, 3, 1), date(2025, 6, 30), settings=_settings(), set_dates=setting
    ).records
    reminders = Counter(
        r.recipient
        for r in records
        if r.milestone == "action-evaluation" and r.kind in ("task_open", "reminder")
    )
    # Opened when it was set, then 14 and 3 working days before, and on the day.
    assert {leader: reminders[leader] for leader in LEVEL3_LEADERS} == dict.fromkeys(
        LEVEL3_LEADERS, 4
    )
    vo4 = [r for r in records if r.milestone == "vo-meeting-4-evaluate-actions"]
    assert {(r.recipient, unit) for r in vo4 for unit in r.units} == VO_PAIRS
    assert not [r for r in records if r.kind == "date_request"]
    _no_pile(records)


def test_without_the_date_the_coordinator_is_asked_before_the_hint_month_and_reminded() -> None:
    records = simulate(
        PLAN, SAMPLE, date(2025, 3, 1), date(2025, 6, 30), settings=_settings()
    ).records
    asks = [r for r in records if r.kind == "date_request"]
    assert [(r.recipient, r.at.date(), r.occurrence) for r in asks] == [
        (COORDINATOR, date(2025, 4, 3), "ask"),
        (COORDINATOR, date(2025, 4, 10), "ask2"),
    ]
    assert not [r for r in records if r.milestone in PHASE5 and r.kind != "date_request"]


def _big_org(units: int) -> str:
    lines = [
        "unit_id,unit_name,parent_id,level,email,name,role,locale,timezone",
        "UNI,Universitetet,,1,,,,,",
        "FAK,Fakultetet,UNI,2,koord@example.org,Kari Koordinator,coordinator,nb,",
    ]
    for number in range(1, units + 1):
        unit = f"I{number:02d}"
        lines.append(
            f"{unit},Institutt {number},FAK,3,leder{number}@example.org,Leder {number},leader,nb,"
        )
        vo, name = ("vo.shared", "Delt VO") if number <= 2 else (f"vo{number}", f"VO {number}")
        lines.append(f"{unit},Institutt {number},FAK,3,{vo}@example.org,{name},vo,nb,")
    return "\n".join(lines) + "\n"


def test_a_coordinator_of_20_late_units_gets_one_escalation_message_a_working_day() -> None:
    records = simulate(
        PLAN, _big_org(20), date(2023, 8, 1), date(2025, 6, 30), settings=_settings()
    ).records
    escalations = [
        r for r in records if r.recipient == "koord@example.org" and r.kind == "escalation"
    ]
    per_day = Counter(r.at.date() for r in escalations)
    assert per_day
    assert max(per_day.values()) == 1
    assert all(r.at.weekday() < 5 for r in escalations)
    # Each digest names every late unit with its leader.
    assert max(len(set(r.units)) for r in escalations) >= 20
    biggest = max(escalations, key=lambda r: len(r.units))
    assert "Institutt 17 — leder: Leder 17" in biggest.text
    shared = [r for r in records if r.recipient == "vo.shared@example.org"]
    assert shared
    _no_pile(records)
    assert {len(r.units) for r in shared if r.kind == "vo_question"} == {2}
