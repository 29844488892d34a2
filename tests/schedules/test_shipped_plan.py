"""The shipped plan holds every dated row of the seed's progress plan, and nothing is guessed.

The expected table below is written out from the seed (000: the slide deck's
«Fremdriftsplan for ledere»; 004: the OCR copy of the same table), one tuple per row.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

import schedules
from schedules.loader import check_plan, load_plan
from schedules.plan import (
    DayTiming,
    Milestone,
    MilestoneKind,
    MonthTiming,
    Plan,
    SeasonTiming,
    TbdTiming,
    WindowTiming,
)
from schedules.timing import resolve

PLAN_FILE = Path(schedules.__file__).parent / "plans" / "ntnu-ark-2023-2025.yaml"

K = MilestoneKind

# month label, date text as in the seed, milestone id, starts_on, ends_on, kind, a Norwegian
# word of the row that title.nb must hold.
SEED_ROWS: list[tuple[str, str, str, date | None, date | None, MilestoneKind, str]] = [
    # 2023
    ("August", "1. august", "director-letter",
     date(2023, 8, 1), date(2023, 8, 1), K.information, "Direktør"),
    ("August", "30.-31. august", "ark-conference",
     date(2023, 8, 30), date(2023, 8, 31), K.information, "ARK-konferansen"),
    ("August - september", "", "prepare-on-level2-agenda",
     date(2023, 8, 1), date(2023, 9, 30), K.agenda, "ledermøter"),
    ("September", "Frist 15. september", "choose-response-units",
     date(2023, 9, 1), date(2023, 9, 15), K.task, "svarenheter"),
    ("September", "19. september", "rector-meeting-heads-of-department",
     date(2023, 9, 19), date(2023, 9, 19), K.information, "instituttlederne"),
    ("September", "Frist 13. oktober", "prepare-form",
     date(2023, 9, 1), date(2023, 10, 13), K.task, "skjema"),
    ("Oktober", "", "info-meeting",
     date(2023, 10, 1), date(2023, 10, 31), K.task, "informasjonsmøte"),
    ("November", "6. – 27. november", "survey",
     date(2023, 11, 6), date(2023, 11, 27), K.window, "Spørreundersøkelse"),
    # 2024
    ("Januar", "8.januar", "results-ntnu",
     date(2024, 1, 8), date(2024, 1, 8), K.information, "NTNU-nivå"),
    ("Januar", "8.januar", "results-units",
     date(2024, 1, 8), date(2024, 1, 8), K.information, "enhetsnivå"),
    ("Januar", "", "training",
     date(2024, 1, 1), date(2024, 1, 31), K.information, "Opplæring"),
    ("Januar", "", "plan-follow-up-meeting",
     date(2024, 1, 1), date(2024, 1, 31), K.task, "oppfølgingsmøtet"),
    ("Feb. – april", "Frist 1.mai", "follow-up-meetings",
     date(2024, 2, 1), date(2024, 5, 1), K.task, "Oppfølgingsmøter"),
    ("Mai", "6.-24. mai", "process-evaluation",
     date(2024, 5, 6), date(2024, 5, 24), K.task, "Prosessevaluering"),
    ("Juni", "", "level2-evaluation-agenda",
     date(2024, 6, 1), date(2024, 6, 30), K.agenda, "oppfølgingsmøter"),
    ("Høst", "", "implementation-autumn",
     date(2024, 8, 15), date(2024, 12, 15), K.checkin, "Gjennomføring"),
    ("September", "Medio sept.", "tertial-reporting",
     date(2024, 9, 11), date(2024, 9, 20), K.information, "Tertialrapportering"),
    ("Desember", "20.nov. – 8. des.", "hse-survey",
     date(2024, 11, 20), date(2024, 12, 8), K.window, "HMS-kartlegging"),
    # 2025
    ("Vår", "", "implementation-spring",
     date(2025, 1, 15), date(2025, 6, 15), K.checkin, "Gjennomføring"),
    ("Mai 2025", "Dato kommer", "action-evaluation",
     None, None, K.task, "Tiltaksevaluering"),
]  # fmt: skip

VO_MEETINGS = {
    1: ("vo-meeting-1-prepare", "prepare-form"),
    2: ("vo-meeting-2-plan-follow-up", "plan-follow-up-meeting"),
    3: ("vo-meeting-3-evaluate-follow-up", "process-evaluation"),
    4: ("vo-meeting-4-evaluate-actions", "action-evaluation"),
}
OTHER_MILESTONES = {"vo-school", "pulse-autumn", "pulse-spring"}

L, VO, EMP, COORD = "leader", "vo", "employee", "coordinator"
# Who each row is for: (role, level) pairs; level None is every level.
AUDIENCES: dict[str, set[tuple[str, int | None]]] = {
    "director-letter": {(L, None)},
    "ark-conference": {(L, None), (COORD, None)},
    "prepare-on-level2-agenda": {(L, 2), (COORD, None)},
    "choose-response-units": {(L, 2), (COORD, None)},
    "rector-meeting-heads-of-department": {(L, 3)},
    "prepare-form": {(L, None), (VO, None)},
    "info-meeting": {(L, None)},
    "survey": {(EMP, None), (L, None), (VO, None)},
    "results-ntnu": {(EMP, None), (L, None), (VO, None)},
    "results-units": {(L, None), (VO, None)},
    "training": {(L, None), ("leader_support", None), (VO, None), ("losam", None)},
    "plan-follow-up-meeting": {(L, None), (VO, None)},
    "follow-up-meetings": {(L, None)},
    "process-evaluation": {(L, None), (VO, None)},
    "level2-evaluation-agenda": {(L, 2), (COORD, None)},
    "implementation-autumn": {(L, None), (VO, None)},
    "tertial-reporting": {(L, 2), (COORD, None)},
    "hse-survey": {(L, 3)},
    "implementation-spring": {(L, None), (VO, None)},
    "action-evaluation": {(L, None), (VO, None)},
}

# Words the OCR copy (seed 004) garbles; none may reach the shipped text.
OCR_ARTEFACTS = [
    "Direktgr", "mgte", "miljgunders", "Spgrre", "Opplzering", "oppfglging", "Oppfelging",
    "Oppfglging", "giennomf", "lederstgtter", "ngkkel", "Arlig", "Host", " pa ", " niva ",
    " far ", "@",
]  # fmt: skip


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(PLAN_FILE)


def _audience(milestone: Milestone) -> set[tuple[str, int | None]]:
    return {(entry.role.value, entry.level) for entry in milestone.audience}


def test_the_plan_names_its_cycle(plan: Plan) -> None:
    assert plan.id == "ntnu-ark-2023-2025"
    assert plan.timezone == "Europe/Oslo"
    assert "2023–2025" in plan.name.nb
    assert "2023–2025" in plan.name.en


@pytest.mark.parametrize(
    ("month", "date_text", "milestone_id", "starts_on", "ends_on", "kind", "word"),
    SEED_ROWS,
    ids=[row[2] for row in SEED_ROWS],
)
def test_every_seed_row_is_a_milestone(
    plan: Plan,
    month: str,
    date_text: str,
    milestone_id: str,
    starts_on: date | None,
    ends_on: date | None,
    kind: MilestoneKind,
    word: str,
) -> None:
    milestone = plan.milestone(milestone_id)
    assert milestone.kind is kind
    assert word in milestone.title.nb
    assert milestone.source is not None
    # source is "month | date | milestone", the row's own cells.
    assert [cell.strip() for cell in milestone.source.split("|")][:2] == [month, date_text]
    span = resolve(plan, milestone)
    if starts_on is None:
        assert span is None
        assert isinstance(milestone.when, TbdTiming)
    else:
        assert span is not None
        assert (span.starts_on, span.ends_on) == (starts_on, ends_on)
    assert _audience(milestone) == AUDIENCES[milestone_id]


def test_the_plan_holds_the_seed_rows_the_vo_meetings_and_nothing_else(plan: Plan) -> None:
    ids = [milestone.id for milestone in plan.milestones]
    expected = (
        {row[2] for row in SEED_ROWS}
        | {meeting for meeting, _task in VO_MEETINGS.values()}
        | OTHER_MILESTONES
    )
    assert len(ids) == len(set(ids)) == len(expected) == 27
    assert set(ids) == expected


def test_tasks_without_a_deadline_end_on_the_last_day_of_their_month(plan: Plan) -> None:
    span = resolve(plan, plan.milestone("info-meeting"))
    assert span is not None
    assert span.due_on == date(2023, 10, 31)
    assert span.exact is False


def test_every_text_is_in_both_languages(plan: Plan) -> None:
    for milestone in plan.milestones:
        texts = [milestone.title] + ([milestone.details] if milestone.details else [])
        for text in texts:
            assert text.nb.strip(), milestone.id
            assert text.en.strip(), milestone.id
            assert text.nb != text.en, f"{milestone.id}: the English is not translated"


def test_the_norwegian_text_has_no_ocr_artefacts(plan: Plan) -> None:
    for milestone in plan.milestones:
        for text in (milestone.title.nb, milestone.details.nb if milestone.details else ""):
            for artefact in OCR_ARTEFACTS:
                assert artefact not in text, f"{milestone.id}: {artefact!r} in {text!r}"
    assert "Direktør" in plan.milestone("director-letter").title.nb
    assert "Høst" in (plan.milestone("implementation-autumn").source or "")


DAY_AND_MONTH = re.compile(
    r"\b\d{1,2}\.? ?(januar|februar|mars|april|mai|juni|juli|august|september|oktober"
    r"|november|desember|january|february|march|may|june|july|october|december)\b",
    re.IGNORECASE,
)


def test_texts_hold_no_dates_that_a_new_cycle_would_make_wrong(plan: Plan) -> None:
    # The dates live in `when`; the seed's own wording, dates and all, stays in `source`.
    for milestone in plan.milestones:
        texts = [milestone.title] + ([milestone.details] if milestone.details else [])
        for text in texts:
            for value in (text.nb, text.en):
                assert not DAY_AND_MONTH.search(value), f"{milestone.id}: {value!r}"
                assert not re.search(r"\b20\d\d\b", value), f"{milestone.id}: {value!r}"


def _details_nb(plan: Plan, milestone_id: str) -> str:
    details = plan.milestone(milestone_id).details
    assert details is not None, milestone_id
    return details.nb


def test_the_union_of_both_seeds_is_kept(plan: Plan) -> None:
    # Only in the OCR copy (004): LOSAM at the training, where the form lives, the forms' names.
    assert "LOSAM" in _details_nb(plan, "training")
    assert "Skjemaet ligger på Innsida" in _details_nb(plan, "prepare-form")
    assert "«Prosessevaluering»" in plan.milestone("process-evaluation").title.nb
    assert "«Tiltaksevaluering»" in plan.milestone("action-evaluation").title.nb
    # Only in the slide deck (000): the 1 August date and the archive's name.
    letter = plan.milestone("director-letter")
    assert letter.source is not None
    assert letter.source.startswith("August | 1. august | Brev fra Direktør")
    assert "ePhorte" in _details_nb(plan, "follow-up-meetings")


def test_phases_follow_the_cycle(plan: Plan) -> None:
    phases = [milestone.phase for milestone in plan.milestones]
    assert phases == sorted(phases)
    assert set(phases) == {1, 2, 3, 4, 5}
    assert plan.milestone("survey").phase == 2
    assert plan.milestone("follow-up-meetings").phase == 3
    assert plan.milestone("action-evaluation").phase == 5


def test_check_warns_only_about_the_dates_still_to_come() -> None:
    checked, issues = check_plan(PLAN_FILE)
    assert checked is not None
    assert [(issue.severity, issue.field) for issue in issues] == [
        ("warning", "milestones[25] (action-evaluation).when"),
        ("warning", "milestones[26] (vo-meeting-4-evaluate-actions).when"),
    ]
    assert all("not known yet" in issue.message for issue in issues)
    lines = PLAN_FILE.read_text(encoding="utf-8").splitlines()
    for issue in issues:
        assert issue.line is not None
        assert lines[issue.line - 1].strip() == "when: {type: tbd, hint: 2025-05}"


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_four_vo_meeting_points(plan: Plan, number: int) -> None:
    meeting_id, task_id = VO_MEETINGS[number]
    meeting = plan.milestone(meeting_id)
    assert meeting.kind is MilestoneKind.vo_meeting
    assert _audience(meeting) == {(VO, None)}
    assert meeting.title.nb.startswith(f"Møtepunkt {number} med verneombud")
    assert meeting.related == [task_id]
    assert meeting_id in plan.milestone(task_id).related


def test_vo_meeting_point_timings(plan: Plan) -> None:
    first = plan.milestone("vo-meeting-1-prepare")
    assert isinstance(first.when, MonthTiming)
    assert str(first.when.month) == "2023-09"
    assert first.confirm_by is not None
    assert first.confirm_by.resolve(plan.anchors) == date(2023, 10, 13)
    second = plan.milestone("vo-meeting-2-plan-follow-up").when
    assert isinstance(second, MonthTiming)
    assert str(second.month) == "2024-01"
    third = plan.milestone("vo-meeting-3-evaluate-follow-up").when
    assert isinstance(third, WindowTiming)
    assert third.start.resolve(plan.anchors) == date(2024, 5, 6)
    assert third.end.resolve(plan.anchors) == date(2024, 5, 24)
    fourth = plan.milestone("vo-meeting-4-evaluate-actions").when
    assert isinstance(fourth, TbdTiming)
    assert str(fourth.hint) == "2025-05"


def test_the_vo_school(plan: Plan) -> None:
    school = plan.milestone("vo-school")
    assert school.kind is MilestoneKind.information
    assert _audience(school) == {(VO, None)}
    assert "Si ifra!" in school.title.nb
    assert isinstance(school.when, DayTiming)
    assert school.when.date.resolve(plan.anchors) == date(2023, 9, 21)
    assert school.when.time == "09:30-11:30"


def test_anchors_resolve(plan: Plan) -> None:
    assert plan.anchors == {"survey_start": date(2023, 11, 6)}
    survey = plan.milestone("survey")
    assert isinstance(survey.when, WindowTiming)
    assert (survey.when.start.anchor, survey.when.start.offset_days) == ("survey_start", 0)
    assert (survey.when.end.anchor, survey.when.end.offset_days) == ("survey_start", 21)
    span = resolve(plan, survey)
    assert span is not None
    assert (span.starts_on, span.ends_on) == (date(2023, 11, 6), date(2023, 11, 27))
    assert survey.window_reminders == [7, 17]
    for results in ("results-ntnu", "results-units"):
        when = plan.milestone(results).when
        assert isinstance(when, DayTiming)
        assert when.date.render() == "survey_start + 9w"


def test_the_default_pulse_is_written_once_and_used_twice(plan: Plan) -> None:
    autumn, spring = plan.milestone("pulse-autumn"), plan.milestone("pulse-spring")
    for pulse, season, year in ((autumn, "autumn", 2024), (spring, "spring", 2025)):
        assert pulse.kind is MilestoneKind.pulse
        assert _audience(pulse) == {(EMP, None)}
        assert isinstance(pulse.when, SeasonTiming)
        assert (pulse.when.season, pulse.when.year) == (season, year)
    assert autumn.pulse is not None
    assert autumn.pulse == spring.pulse
    assert [(q.id, q.scale) for q in autumn.pulse.questions] == [
        ("knows-actions", "yes_no_unsure"),
        ("actions-followed-up", "1-5"),
        ("safe-to-speak-up", "1-5"),
        ("joined-follow-up-meeting", "yes_no_unsure"),
    ]
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert text.count("&default_pulse") == 1
    assert text.count("*default_pulse") == 1
