"""Malformed plan files: each is rejected with the field, the line and what is wrong.

Most cases are the small plan below with one thing broken. Its lines are:

     1  id: demo                      6    - id: survey            (or: - id: form)
     2  name: {nb: …, en: …}          7      phase: 2
     3  timezone: Europe/Oslo         8      kind: window
     4  anchors: {survey_start: …}    9      title: {nb: …, en: …}
     5  milestones:                  10      audience: [{role: employee}]
                                     11      when: {…}
                                     12      (a line a case adds)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from schedules.loader import PlanInvalid, PlanIssue, check_plan, check_plan_text, load_plan

HEADER = """\
id: demo
name: {nb: Demo, en: Demo}
timezone: Europe/Oslo
anchors: {survey_start: 2023-11-06}
milestones:
"""
SURVEY = """\
  - id: survey
    phase: 2
    kind: window
    title: {nb: Spørreundersøkelse, en: The survey}
    audience: [{role: employee}]
    when: {type: window, start: survey_start, end: survey_start + 3w}
"""
TASK = """\
  - id: form
    phase: 1
    kind: task
    title: {nb: Skjema, en: Form}
    audience: [{role: leader}]
    when: {type: deadline, due: 2023-10-13, opens: 2023-09-01}
"""
TASK_WHEN = "{type: deadline, due: 2023-10-13, opens: 2023-09-01}"
PULSE = """\
    pulse:
      questions:
"""
QUESTION = "        - {id: q%d, text: {nb: Er det trygt, en: Is it safe}, scale: '1-5'}\n"


def edit(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new`; `old` must be there, so a case cannot go stale."""
    assert text.count(old) == 1, f"{old!r} is not once in the case"
    return text.replace(old, new)


def survey(old: str = "", new: str = "", extra: str = "") -> str:
    return HEADER + (edit(SURVEY, old, new) if old else SURVEY) + extra


def task(old: str = "", new: str = "", extra: str = "") -> str:
    return HEADER + (edit(TASK, old, new) if old else TASK) + extra


@dataclass(frozen=True)
class Case:
    content: str | bytes | None  # None: there is no file
    field: str
    line: int | None
    message: str
    errors: int = 1


M0 = "milestones[0] (survey)"
T0 = "milestones[0] (form)"

CASES = [
    # ── the file itself ───────────────────────────────────────────────────────────────
    pytest.param(
        Case(None, "(file)", None, "no such file"),
        id="missing-file",
    ),
    pytest.param(
        Case(HEADER.replace("Demo", "Dem\xf8").encode("latin-1") + SURVEY.encode(), "(file)",
             None, "not UTF-8"),
        id="not-utf8",
    ),
    pytest.param(Case("", "(file)", None, "the plan file is empty"), id="empty-file"),
    pytest.param(
        Case("# the dates come later\n", "(file)", None, "the plan file is empty"),
        id="only-comments",
    ),
    pytest.param(
        Case(survey("kind: window", "kind: window: oops"), "(yaml)", 8,
             "not valid YAML: mapping values are not allowed here"),
        id="yaml-syntax",
    ),
    pytest.param(
        Case("- id: demo\n- id: other\n", "(file)", 1, "a plan is a mapping"),
        id="top-level-list",
    ),
    # ── the plan's own fields ─────────────────────────────────────────────────────────
    pytest.param(
        Case(edit(HEADER, "id: demo\n", "") + SURVEY, "id", 1, "Field required"),
        id="missing-id",
    ),
    pytest.param(
        Case(edit(HEADER, "id: demo", "id: Demo_2023") + SURVEY, "id", 1,
             "should match pattern '^[a-z0-9][a-z0-9-]{0,62}$'"),
        id="id-pattern",
    ),
    pytest.param(
        Case(edit(HEADER, "Europe/Oslo", "Europe/Trondheim") + SURVEY, "timezone", 3,
             "unknown time zone 'Europe/Trondheim'"),
        id="unknown-timezone",
    ),
    pytest.param(
        Case(edit(HEADER, "survey_start:", "SurveyStart:") + SURVEY, "anchors", 4,
             "anchor name 'SurveyStart' must be lower_snake_case"),
        id="anchor-name-case",
    ),
    pytest.param(
        Case(edit(HEADER, "milestones:", "milestones: []"), "milestones", 5,
             "at least 1 item"),
        id="empty-milestones",
    ),
    pytest.param(
        Case(edit(HEADER, "milestones:\n", ""), "milestones", 1, "Field required"),
        id="missing-milestones",
    ),
    # ── a milestone's fields ──────────────────────────────────────────────────────────
    pytest.param(
        Case(HEADER + SURVEY + SURVEY, "milestones[1] (survey).id", 12,
             "milestone id 'survey' is used more than once", errors=2),
        id="duplicate-milestone-id",
    ),
    pytest.param(
        Case(survey("phase: 2", "phase: 0"), f"{M0}.phase", 7, "greater than or equal to 1"),
        id="phase-0",
    ),
    pytest.param(
        Case(survey("phase: 2", "phase: 6"), f"{M0}.phase", 7, "less than or equal to 5"),
        id="phase-6",
    ),
    pytest.param(
        Case(survey(", en: The survey", ""), f"{M0}.title.en", 9, "Field required"),
        id="missing-title-en",
    ),
    pytest.param(
        Case(survey("role: employee", "role: boss"), f"{M0}.audience[0].role", 10,
             "Input should be 'leader', 'vo', 'employee'"),
        id="unknown-role",
    ),
    pytest.param(
        Case(survey("{role: employee}", "{role: employee, level: 0}"),
             f"{M0}.audience[0].level", 10, "greater than or equal to 1"),
        id="level-0",
    ),
    pytest.param(
        Case(survey("[{role: employee}]", "[]"), f"{M0}.audience", 10, "at least 1 item"),
        id="empty-audience",
    ),
    pytest.param(
        Case(survey("kind: window", "kind: party"), f"{M0}.kind", 8,
             "Input should be 'information', 'task', 'window'"),
        id="unknown-kind",
    ),
    pytest.param(
        Case(survey(extra="    remider_offsets: [3]\n"), f"{M0}.remider_offsets", 12,
             "unknown field (check its spelling"),
        id="unknown-field-typo",
    ),
    pytest.param(
        Case(survey(extra="    phase: 3\n"), f"{M0}.phase", 12, "the key 'phase' is given twice"),
        id="duplicate-key",
    ),
    pytest.param(
        Case(survey(extra="    related: [survey, nothing-here]\n"), f"{M0}.related[1]", 12,
             "no milestone has the id 'nothing-here'"),
        id="related-unknown",
    ),
    # ── timings ───────────────────────────────────────────────────────────────────────
    pytest.param(
        Case(survey("type: window", "type: week"), f"{M0}.when", 11,
             "unknown timing type; use one of day, window"),
        id="unknown-timing-type",
    ),
    pytest.param(
        Case(survey("type: window, ", ""), f"{M0}.when", 11, "a timing needs `type:`"),
        id="timing-without-type",
    ),
    pytest.param(
        Case(survey("start: survey_start,", "start: '2023-13-01',"), f"{M0}.when.start", 11,
             "'2023-13-01' is not a date: write YYYY-MM-DD"),
        id="bad-date-quoted",
    ),
    pytest.param(
        Case(survey("start: survey_start,", "start: 2023-13-01,"), f"{M0}.when.start", 11,
             "'2023-13-01' is not a date: write YYYY-MM-DD"),
        id="bad-date",
    ),
    pytest.param(
        Case(survey("start: survey_start,", "start: 13. oktober,"), f"{M0}.when.start", 11,
             "'13. oktober' is not a date"),
        id="date-in-words",
    ),
    pytest.param(
        Case(survey("end: survey_start + 3w", "end: survey_end"), f"{M0}.when.end", 11,
             "unknown anchor 'survey_end' (anchors: survey_start)"),
        id="unknown-anchor",
    ),
    pytest.param(
        Case(survey("end: survey_start + 3w", "end: survey_start - 1d"), f"{M0}.when.end", 11,
             "the window ends (2023-11-05) before it starts (2023-11-06)"),
        id="window-end-before-start",
    ),
    pytest.param(
        Case(task("opens: 2023-09-01", "opens: 2023-10-20"), f"{T0}.when.opens", 11,
             "opens 2023-10-20, after the deadline 2023-10-13"),
        id="deadline-opens-after-due",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "{type: day, date: 2023-09-21, time: '9:30'}"), f"{T0}.when.time",
             11, "should match pattern"),
        id="time-of-day-format",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "{type: tbd, hint: May 2025}"), f"{T0}.when.hint", 11,
             "'May 2025' is not a month: write YYYY-MM"),
        id="tbd-hint-not-a-month",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "{type: month, month: 2023-14}"), f"{T0}.when.month", 11,
             "'2023-14' is not a month"),
        id="month-14",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "{type: month, month: 2023-10, until: 2023-08}"), f"{T0}.when",
             11, "until 2023-08 is before month 2023-10"),
        id="until-before-month",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "{type: month, month: 2023-10, until: 2023-11, part: mid}"),
             f"{T0}.when", 11, "part applies to a single month, not to a run of months"),
        id="part-with-until",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "\n      type: month\n      month: 2023-10\n      part: middle"),
             f"{T0}.when.part", 14, "Input should be 'early', 'mid' or 'late'"),
        id="part-unknown-block-style",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "{type: season, season: autumn, year: 2024}"), T0, 6,
             "a task needs a deadline, a day or a month"),
        id="task-with-season",
    ),
    pytest.param(
        Case(task(TASK_WHEN, "{type: window, start: 2023-09-01, end: 2023-10-13}"), T0, 6,
             "a task needs a deadline, a day or a month"),
        id="task-with-window",
    ),
    pytest.param(
        Case(task("kind: task", "kind: vo_meeting", extra="    confirm_by: 2023-08-31\n"),
             f"{T0}.confirm_by", 12, "confirm_by 2023-08-31 is before the meeting period"),
        id="confirm-by-before-meeting",
    ),
    # ── reminders ─────────────────────────────────────────────────────────────────────
    pytest.param(
        Case(survey(extra="    window_reminders: [2, 9, 16]\n"), f"{M0}.window_reminders", 12,
             "at most 2 items"),
        id="window-reminders-3",
    ),
    pytest.param(
        Case(task(extra="    reminder_offsets: [5, -1]\n"), f"{T0}.reminder_offsets", 12,
             "offsets are counted in days and cannot be negative"),
        id="reminder-offsets-negative",
    ),
    pytest.param(
        Case(task(extra="    window_reminders: [3]\n"), T0, 6,
             "window_reminders only apply to a window milestone"),
        id="window-reminders-on-task",
    ),
    # ── pulses ────────────────────────────────────────────────────────────────────────
    pytest.param(
        Case(survey("kind: window", "kind: pulse"), M0, 6,
             "a pulse milestone needs a `pulse:` block with its questions"),
        id="pulse-without-block",
    ),
    pytest.param(
        Case(survey("kind: window", "kind: pulse", extra="    pulse: {open_days: 7}\n"),
             f"{M0}.pulse.questions", 12, "Field required"),
        id="pulse-without-questions",
    ),
    pytest.param(
        Case(survey("kind: window", "kind: pulse",
                    extra=PULSE + "".join(QUESTION % n for n in range(1, 7))),
             f"{M0}.pulse.questions", 14, "at most 5 items after validation, not 6"),
        id="pulse-6-questions",
    ),
    pytest.param(
        Case(survey("kind: window", "kind: pulse",
                    extra=PULSE + (QUESTION % 1).replace("'1-5'", "'1-7'")),
             f"{M0}.pulse.questions[0] (q1).scale", 14, "Input should be '1-5' or 'yes_no_unsure'"),
        id="pulse-scale",
    ),
    pytest.param(
        Case(task(extra=PULSE + QUESTION % 1), T0, 6,
             "only a milestone of kind pulse may have a `pulse:` block"),
        id="pulse-block-on-task",
    ),
]  # fmt: skip


def _errors(issues: list[PlanIssue]) -> list[PlanIssue]:
    return [issue for issue in issues if issue.severity == "error"]


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_plan_is_rejected_with_field_line_and_reason(
    case: Case, tmp_path: Path
) -> None:
    path = tmp_path / "plan.yaml"
    if isinstance(case.content, str):
        path.write_text(case.content, encoding="utf-8")
    elif isinstance(case.content, bytes):
        path.write_bytes(case.content)

    plan, issues = check_plan(path)

    assert plan is None
    errors = _errors(issues)
    report = "\n".join(str(issue) for issue in issues)
    assert len(errors) == case.errors, report
    matching = [
        error
        for error in errors
        if (error.field, error.line) == (case.field, case.line) and case.message in error.message
    ]
    assert matching, f"expected {case.field} at line {case.line}: {case.message}\ngot:\n{report}"
    assert all(error.file == str(path) for error in errors)

    with pytest.raises(PlanInvalid) as raised:
        load_plan(path)
    assert raised.value.issues == errors


def test_every_broken_milestone_is_reported_not_only_the_first() -> None:
    second = edit(SURVEY, "end: survey_start + 3w", "end: survey_start - 1d")
    text = task(extra="    related: [nowhere]\n") + edit(second, "id: survey", "id: late")
    plan, issues = check_plan_text(text, "plan.yaml")
    assert plan is None
    assert [(issue.field, issue.line) for issue in _errors(issues)] == [
        (f"{T0}.related[0]", 12),
        ("milestones[1] (late).when.end", 18),
    ]


def test_impossible_season_bounds_are_an_error_not_a_crash() -> None:
    text = """\
id: demo
name: {nb: Demo, en: Demo}
seasons: {autumn: {start: 13-01, end: 12-15}}
milestones:
  - id: autumn
    phase: 4
    kind: checkin
    title: {nb: Høst, en: Autumn}
    audience: [{role: leader}]
    when: {type: season, season: autumn, year: 2024}
"""
    plan, issues = check_plan_text(text, "plan.yaml")
    assert plan is None
    assert [(issue.field, issue.line) for issue in _errors(issues)] == [("seasons.autumn.start", 3)]


def test_warnings_do_not_reject_a_plan() -> None:
    plan, issues = check_plan_text(task(TASK_WHEN, "{type: tbd, hint: 2025-05}"), "plan.yaml")
    assert plan is not None
    assert [(i.severity, i.field, i.line) for i in issues] == [("warning", f"{T0}.when", 11)]
    assert "not known yet" in issues[0].message
