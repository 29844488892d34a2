"""A new cycle from the shipped plan, and plans written back to YAML."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

import schedules
from schedules.loader import check_plan_text, load_plan
from schedules.plan import (
    DateExpr,
    DayTiming,
    DeadlineTiming,
    Milestone,
    MonthTiming,
    Plan,
    SeasonTiming,
    TbdTiming,
    WindowTiming,
)
from schedules.renew import RenewError, dump_plan, renew_plan
from schedules.timing import resolve

PLAN_FILE = Path(schedules.__file__).parent / "plans" / "ntnu-ark-2023-2025.yaml"
NEW_START = date(2025, 11, 3)
SHIFT = timedelta(weeks=104)  # 2023-11-06 → 2025-11-03 is exactly 104 weeks
NORWAY = holidays.Norway(years=range(2023, 2029))


def _working(day: date) -> bool:
    return day.weekday() < 5 and day not in NORWAY


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(PLAN_FILE)


@pytest.fixture(scope="module")
def renewed(plan: Plan) -> Plan:
    return renew_plan(plan, new_id="ntnu-ark-2025-2027", anchors={"survey_start": NEW_START})


def _absolute_dates(milestone: Milestone) -> dict[str, tuple[DateExpr, bool]]:
    """Each absolute date of a milestone by its field, and whether it is a deadline."""
    when = milestone.when
    found: dict[str, tuple[DateExpr, bool]] = {}
    if isinstance(when, DayTiming):
        found["when.date"] = (when.date, False)
    elif isinstance(when, WindowTiming):
        found["when.start"] = (when.start, False)
        found["when.end"] = (when.end, False)
    elif isinstance(when, DeadlineTiming):
        found["when.due"] = (when.due, True)
        if when.opens is not None:
            found["when.opens"] = (when.opens, False)
    if milestone.confirm_by is not None:
        found["confirm_by"] = (milestone.confirm_by, True)
    return {name: (expr, deadline) for name, (expr, deadline) in found.items() if expr.on}


def _plan(milestones: str, anchors: str = "{survey_start: 2023-11-06}") -> Plan:
    text = f"id: demo\nname: {{nb: Demo 2023, en: Demo 2023}}\nanchors: {anchors}\n"
    plan, issues = check_plan_text(text + "milestones:\n" + milestones)
    assert plan is not None, "\n".join(map(str, issues))
    return plan


def _when(plan: Plan, milestone_id: str = "m") -> object:
    return plan.milestone(milestone_id).when


# ── the shipped plan, renewed for a survey on 3 November 2025 ─────────────────────────


def test_the_survey_follows_its_anchor(renewed: Plan) -> None:
    assert renewed.anchors == {"survey_start": NEW_START}
    span = resolve(renewed, renewed.milestone("survey"))
    assert span is not None
    assert (span.starts_on, span.ends_on) == (date(2025, 11, 3), date(2025, 11, 24))
    results = renewed.milestone("results-ntnu").when
    assert isinstance(results, DayTiming)
    assert results.date.render() == "survey_start + 9w"
    assert results.date.resolve(renewed.anchors) == date(2026, 1, 5)


def test_the_new_plan_has_its_id_and_its_years(plan: Plan, renewed: Plan) -> None:
    assert renewed.id == "ntnu-ark-2025-2027"
    assert renewed.name.nb == "NTNU Arbeidsmiljøundersøkelsen (ARK) 2025–2027"
    assert renewed.name.en == "NTNU work-environment survey (ARK) 2025–2027"
    assert [m.id for m in renewed.milestones] == [m.id for m in plan.milestones]
    for old, new in zip(plan.milestones, renewed.milestones, strict=True):
        assert (new.title, new.details, new.audience, new.source) == (
            old.title,
            old.details,
            old.audience,
            old.source,
        )
        assert (new.kind, new.phase, new.related, new.pulse) == (
            old.kind,
            old.phase,
            old.related,
            old.pulse,
        )


def test_no_absolute_date_falls_on_a_weekend_or_holiday(renewed: Plan) -> None:
    checked = 0
    for milestone in renewed.milestones:
        for name, (expr, _deadline) in _absolute_dates(milestone).items():
            assert expr.on is not None
            assert _working(expr.on), f"{milestone.id}.{name} on {expr.on:%A %Y-%m-%d}"
            checked += 1
    assert checked == 18


def test_weekdays_are_kept_and_only_non_working_days_move(plan: Plan, renewed: Plan) -> None:
    moved: list[tuple[str, date, date]] = []
    for old, new in zip(plan.milestones, renewed.milestones, strict=True):
        new_dates = _absolute_dates(new)
        for name, (expr, deadline) in _absolute_dates(old).items():
            assert expr.on is not None
            shifted = expr.on + SHIFT
            renewed_on = new_dates[name][0].on
            assert renewed_on is not None
            if _working(shifted):
                assert renewed_on == shifted, f"{old.id}.{name}"
                assert renewed_on.weekday() == expr.on.weekday()
            else:
                moved.append((f"{old.id}.{name}", shifted, renewed_on))
                step = timedelta(days=-1 if deadline else 1)
                day = shifted + step
                while not _working(day):
                    day += step
                assert renewed_on == day, f"{old.id}.{name}: the nearest working day"
    # The only one in this plan: the HSE survey ended on Sunday 8 December 2024.
    assert moved == [("hse-survey.when.end", date(2026, 12, 6), date(2026, 12, 7))]


def test_months_seasons_and_hints_move_by_two_years(renewed: Plan) -> None:
    agenda = renewed.milestone("prepare-on-level2-agenda").when
    assert isinstance(agenda, MonthTiming)
    assert (str(agenda.month), str(agenda.until)) == ("2025-08", "2025-09")
    tertial = renewed.milestone("tertial-reporting").when
    assert isinstance(tertial, MonthTiming)
    assert (str(tertial.month), tertial.part) == ("2026-09", "mid")
    autumn = renewed.milestone("implementation-autumn").when
    assert isinstance(autumn, SeasonTiming)
    assert (autumn.season, autumn.year) == ("autumn", 2026)
    spring = renewed.milestone("pulse-spring").when
    assert isinstance(spring, SeasonTiming)
    assert (spring.season, spring.year) == ("spring", 2027)


def test_dates_not_known_stay_not_known(renewed: Plan) -> None:
    for milestone_id in ("action-evaluation", "vo-meeting-4-evaluate-actions"):
        when = renewed.milestone(milestone_id).when
        assert isinstance(when, TbdTiming)
        assert str(when.hint) == "2027-05"
        assert resolve(renewed, renewed.milestone(milestone_id)) is None


def test_the_renewed_plan_passes_the_check_with_the_same_warnings(renewed: Plan) -> None:
    checked, issues = check_plan_text(dump_plan(renewed), "ntnu-ark-2025-2027.yaml")
    assert checked == renewed
    assert [(issue.severity, issue.field) for issue in issues] == [
        ("warning", "milestones[25] (action-evaluation).when"),
        ("warning", "milestones[26] (vo-meeting-4-evaluate-actions).when"),
    ]


# ── the rule, case by case ───────────────────────────────────────────────────────────

TASK = """\
  - id: m
    phase: 1
    kind: task
    title: {nb: Frist, en: Deadline}
    audience: [{role: leader}]
"""
MEETING = TASK.replace("kind: task", "kind: vo_meeting")
INFO = TASK.replace("kind: task", "kind: information")


def test_a_deadline_on_a_holiday_moves_to_the_day_before() -> None:
    # Thursday 16 May 2024 + 104 weeks is Ascension Day 2026.
    plan = _plan(TASK + "    when: {type: deadline, due: 2024-05-16, opens: 2024-05-02}\n")
    when = _when(renew_plan(plan, new_id="next", anchors={"survey_start": NEW_START}))
    assert isinstance(when, DeadlineTiming)
    assert when.due.on == date(2026, 5, 13)  # Wednesday
    assert when.opens is not None
    assert when.opens.on == date(2026, 4, 30)  # Thursday, as before


def test_any_other_date_on_a_holiday_moves_to_the_day_after() -> None:
    # Thursday 28 December 2023 + 104 weeks is Christmas Day 2025; the 26th is a holiday too.
    plan = _plan(INFO + "    when: {type: day, date: 2023-12-28}\n")
    when = _when(renew_plan(plan, new_id="next", anchors={"survey_start": NEW_START}))
    assert isinstance(when, DayTiming)
    assert when.date.on == date(2025, 12, 29)  # Monday


def test_confirm_by_is_a_deadline() -> None:
    plan = _plan(MEETING + "    when: {type: month, month: 2024-05}\n    confirm_by: 2024-05-16\n")
    renewed = renew_plan(plan, new_id="next", anchors={"survey_start": NEW_START})
    confirm_by = renewed.milestone("m").confirm_by
    assert confirm_by is not None
    assert confirm_by.on == date(2026, 5, 13)


def test_a_deadline_that_would_open_after_it_is_due_opens_on_the_due_day() -> None:
    plan = _plan(TASK + "    when: {type: deadline, due: 2024-05-16, opens: 2024-05-16}\n")
    renewed = renew_plan(plan, new_id="next", anchors={"survey_start": NEW_START})
    when = _when(renewed)
    assert isinstance(when, DeadlineTiming)
    assert when.opens is not None
    assert (when.opens.on, when.due.on) == (date(2026, 5, 13), date(2026, 5, 13))
    checked, issues = check_plan_text(dump_plan(renewed))
    assert checked == renewed
    assert issues == []


def test_the_shift_is_rounded_to_whole_weeks_but_the_anchor_is_exact() -> None:
    plan = _plan(INFO + "    when: {type: window, start: survey_start - 1w, end: 2023-11-10}\n")
    # Wednesday 5 November 2025 is 104 weeks and 2 days later: dates move 104 weeks.
    renewed = renew_plan(plan, new_id="next", anchors={"survey_start": date(2025, 11, 5)})
    when = _when(renewed)
    assert isinstance(when, WindowTiming)
    assert when.start.resolve(renewed.anchors) == date(2025, 10, 29)
    assert when.end.on == date(2025, 11, 7)  # Friday, as 10 November 2023 was


def test_anchors_not_given_move_by_the_same_weeks() -> None:
    plan = _plan(
        INFO + "    when: {type: day, date: results_day}\n",
        anchors="{survey_start: 2023-11-06, results_day: 2024-01-08}",
    )
    renewed = renew_plan(plan, new_id="next", anchors={"survey_start": NEW_START})
    assert renewed.anchors == {"survey_start": NEW_START, "results_day": date(2026, 1, 5)}


def test_years_in_the_name_move_with_the_cycle() -> None:
    plan = _plan(INFO + "    when: {type: tbd}\n")
    renewed = renew_plan(plan, new_id="next", anchors={"survey_start": date(2026, 11, 2)})
    assert renewed.name.nb == "Demo 2026"  # 156 weeks: three years


@pytest.mark.parametrize(
    ("anchors", "message"),
    [
        pytest.param({}, "give at least one anchor", id="no-anchor"),
        pytest.param(
            {"survey_begin": NEW_START},
            "no anchor named 'survey_begin' (anchors: survey_start)",
            id="unknown-anchor",
        ),
    ],
)
def test_a_new_cycle_needs_an_anchor_the_plan_has(
    plan: Plan, anchors: dict[str, date], message: str
) -> None:
    with pytest.raises(RenewError, match=re.escape(message)):
        renew_plan(plan, new_id="ntnu-ark-2025-2027", anchors=anchors)


def test_the_new_id_must_be_a_valid_id(plan: Plan) -> None:
    with pytest.raises(ValueError, match="should match pattern"):
        renew_plan(plan, new_id="NTNU ARK 2025", anchors={"survey_start": NEW_START})


# ── dump_plan ─────────────────────────────────────────────────────────────────────────


def test_dump_loads_back_to_an_equal_plan(plan: Plan) -> None:
    text = dump_plan(plan)
    checked, issues = check_plan_text(text)
    assert checked == plan
    assert [issue.severity for issue in issues] == ["warning", "warning"]
    assert dump_plan(checked) == text


def test_dump_is_readable_yaml(plan: Plan) -> None:
    text = dump_plan(plan)
    assert "!!" not in text  # no python (or any other) tags
    assert "\\u" not in text
    assert "Arbeidsmiljøundersøkelsen" in text
    lines = text.splitlines()
    assert lines[:2] == ["id: ntnu-ark-2023-2025", "name:"]
    assert [line.split(":")[0] for line in lines if line and not line[0].isspace()] == [
        "id",
        "name",
        "timezone",
        "anchors",
        "seasons",
        "milestones",
    ]
    assert "  survey_start: 2023-11-06" in lines
    assert "    when: {type: window, start: survey_start, end: survey_start + 3w}" in lines
    assert "    when: {type: day, date: survey_start + 9w}" in lines
    assert "    when: {type: deadline, due: 2023-09-15, opens: 2023-09-01}" in lines
    assert "    audience: [{role: leader, level: 2}, {role: coordinator}]" in lines
    assert "    window_reminders: [7, 17]" in lines
    assert "    pulse: &default_pulse" in lines
    assert "    pulse: *default_pulse" in lines
    first = lines.index("  - id: director-letter")
    assert [line.strip().split(":")[0] for line in lines[first : first + 4]] == [
        "- id",
        "phase",
        "kind",
        "title",
    ]
    assert "related: []" not in text
    assert ": null" not in text


@pytest.mark.parametrize(
    ("milestone_id", "ends_2023_2025", "ends_2025_2027"),
    [
        pytest.param("director-letter", date(2023, 8, 1), date(2025, 7, 29), id="tuesday"),
        pytest.param(
            "choose-response-units", date(2023, 9, 15), date(2025, 9, 12), id="due-friday"
        ),
        pytest.param("follow-up-meetings", date(2024, 5, 1), date(2026, 4, 29), id="due-wednesday"),
        pytest.param("hse-survey", date(2024, 12, 8), date(2026, 12, 7), id="sunday-to-monday"),
        pytest.param("info-meeting", date(2023, 10, 31), date(2025, 10, 31), id="month"),
    ],
)
def test_the_example_in_the_docs(
    plan: Plan, renewed: Plan, milestone_id: str, ends_2023_2025: date, ends_2025_2027: date
) -> None:
    for cycle, ends_on in ((plan, ends_2023_2025), (renewed, ends_2025_2027)):
        span = resolve(cycle, cycle.milestone(milestone_id))
        assert span is not None
        assert span.ends_on == ends_on
