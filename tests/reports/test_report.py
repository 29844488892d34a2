"""The coordinator's report: what it counts, that its three formats agree, its scope, delivery
failures with their reasons, and that a pulse group below the threshold never reaches it.

On SQLite and PostgreSQL (the `engine` fixture); the data is described in `tests.reports.seed`.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.i18n.catalog import t
from bot.reports import (
    CSV_HEADER,
    Report,
    build_report,
    render_csv,
    render_html,
    render_table,
)
from bot.reports import build as build_module
from bot.reports.render_table import DETAIL_LIMIT
from bot.slack.home import report_blocks, text_fallback
from schedules.plan import Plan
from storage.queries import UnknownUnitError
from tests.reports.seed import ARCHIVE_REF, CALENDAR, PLAN, TODAY, seed

# ─────────────────────────────────────────────────────────────────────── helpers


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def make_report(engine: Engine, unit_id: str | None = None, **kwargs: Any) -> Report:
    with Session(engine) as session:
        return build_report(
            session,
            PLAN,
            unit_id=unit_id,
            today=kwargs.pop("today", TODAY),
            calendar=CALENDAR,
            min_group=kwargs.pop("min_group", 5),
            **kwargs,
        )


def table_text(report: Report, locale: str = "nb", details: bool | None = None) -> str:
    console = Console(width=250, record=True, file=io.StringIO())
    render_table(report, console, locale=locale, details=details)
    return console.export_text()


def csv_rows(report: Report, locale: str = "nb") -> list[dict[str, str]]:
    text = render_csv(report, locale=locale)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def pulse_rounds_of(rows: list[dict[str, str]], unit_id: str) -> set[str]:
    return {
        row["item_id"].split(":")[1]
        for row in rows
        if row["section"] == "pulse" and row["unit_id"] == unit_id
    }


SUMMARY_KEYS = (
    "units",
    "tasks_on_time",
    "tasks_done_late",
    "tasks_open",
    "tasks_late",
    "tasks_upcoming",
    "vo_confirmed",
    "vo_partly",
    "vo_overdue",
    "vo_total",
    "actions",
    "sent",
    "failed",
)


def counts_from_csv(rows: list[dict[str, str]]) -> dict[str, int]:
    tasks = Counter(row["state"] for row in rows if row["section"] == "task")
    vo = Counter(row["state"] for row in rows if row["section"] == "vo")
    deliveries = Counter[str]()
    for row in rows:
        if row["section"] == "delivery":
            deliveries[row["state"]] += int(row["count"])
    return {
        "units": len({row["unit_id"] for row in rows}),
        "tasks_on_time": tasks["done"],
        "tasks_done_late": tasks["done_late"],
        "tasks_open": tasks["due"] + tasks["late"],
        "tasks_late": tasks["late"],
        "tasks_upcoming": tasks["upcoming"],
        "vo_confirmed": vo["yes"],
        "vo_partly": vo["partly"],
        "vo_overdue": vo["overdue"],
        "vo_total": sum(vo.values()),
        "actions": sum(1 for row in rows if row["section"] == "action"),
        "sent": deliveries["sent"],
        "failed": deliveries["failed"],
    }


def counts_from_html(page: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(r'data-key="(\w+)">(\d+)<', page)}


def counts_from_table(text: str, locale: str = "nb") -> dict[str, int]:
    labels = {
        "units": "report.summary.units",
        "tasks_on_time": "report.summary.on_time",
        "tasks_done_late": "report.summary.done_late",
        "tasks_open": "report.summary.open",
        "tasks_late": "report.summary.late",
        "tasks_upcoming": "report.summary.upcoming",
        "vo_confirmed": "report.summary.vo_confirmed",
        "vo_partly": "report.summary.vo_partly",
        "vo_overdue": "report.summary.vo_overdue",
        "vo_total": "report.summary.vo_total",
        "actions": "report.summary.actions",
        "sent": "report.summary.sent",
        "failed": "report.summary.failed",
    }
    found = {}
    for key, label_key in labels.items():
        label = re.escape(t(locale, label_key))
        match = re.search(rf"│ {label}\s*│\s*(\d+) │", text)
        assert match, f"no summary row {t(locale, label_key)!r} in the table"
        found[key] = int(match.group(1))
    return found


EXPECTED = {
    "units": 5,
    "tasks_on_time": 2,
    "tasks_done_late": 1,
    "tasks_open": 10,
    "tasks_late": 5,
    "tasks_upcoming": 5,
    "vo_confirmed": 1,
    "vo_partly": 0,
    "vo_overdue": 1,
    "vo_total": 4,
    "actions": 3,
    "sent": 4,
    "failed": 3,
}


# ─────────────────────────────────────────────────────────────────────── what it counts


def test_the_report_counts_every_unit_in_tree_order(seeded: Engine) -> None:
    report = make_report(seeded)
    assert [(u.unit_id, u.depth, u.parent_id) for u in report.units] == [
        ("UNI", 0, None),
        ("FAK", 1, "UNI"),
        ("IFB", 2, "FAK"),
        ("IFC", 2, "FAK"),
        ("IFA", 2, "FAK"),  # "Institutt for ålesund-studier" sorts after "Institutt C"
    ]
    assert report.scope.kind == "area"
    assert report.generated_on == TODAY
    totals = report.totals
    assert (totals.tasks.on_time, totals.tasks.done_late, totals.tasks.open, totals.tasks.late) == (
        2,
        1,
        10,
        5,
    )
    assert dict(totals.tasks.counts) == {
        "done": 2,
        "done_late": 1,
        "due": 5,
        "late": 5,
        "upcoming": 5,
        "unknown": 5,
    }
    assert [(p.phase, p.tasks.total, p.tasks.late) for p in totals.phases] == [
        (1, 8, 5),
        (2, 5, 0),
        (3, 10, 0),
    ]
    assert (totals.vo.confirmed, totals.vo.partly, totals.vo.overdue, totals.vo.total) == (
        1,
        0,
        1,
        4,
    )
    assert {state.value: n for state, n in totals.actions.items() if n} == {
        "on_track": 1,
        "delayed": 1,
        "done": 1,
    }
    assert (totals.sent, totals.failed) == (4, 3)


def test_a_units_tasks_keep_dates_people_and_archive_references(seeded: Engine) -> None:
    report = make_report(seeded)
    ifa = next(unit for unit in report.units if unit.unit_id == "IFA")
    prep = next(task for task in ifa.tasks if task.milestone_id == "prep")
    assert (prep.state, prep.done_on, prep.due_on, prep.done_by, prep.archive_ref) == (
        "done",
        date(2024, 2, 10),
        date(2024, 2, 15),
        "Åse Leder",
        ARCHIVE_REF,
    )
    assert [(p.milestone_id, p.answer, p.overdue) for p in ifa.vo_points] == [
        ("vo-1", "yes", False),
        ("vo-2", None, False),
    ]
    task_row = next(
        row
        for row in csv_rows(report)
        if (row["unit_id"], row["section"], row["item_id"]) == ("IFA", "task", "prep")
    )
    assert (task_row["state"], task_row["date"], task_row["reference"], task_row["person"]) == (
        "done",
        "2024-02-10",
        ARCHIVE_REF,
        "Åse Leder",
    )


def test_numbers_agree_in_table_csv_html_and_slack(seeded: Engine) -> None:
    report = make_report(seeded)
    rows = csv_rows(report)
    page = render_html(report, locale="nb")
    from_csv = counts_from_csv(rows)
    assert from_csv == EXPECTED
    assert counts_from_html(page) == EXPECTED
    assert counts_from_table(table_text(report)) == EXPECTED

    # Per phase and state, the HTML cells hold what the CSV rows count.
    for phase in ("1", "2", "3"):
        states = Counter(
            row["state"] for row in rows if row["section"] == "task" and row["phase"] == phase
        )
        cells = dict(
            re.findall(rf'data-phase="{phase}" data-state="(\w+)">(\d+)<', page),
        )
        assert {state: int(n) for state, n in cells.items() if state != "total"} == {
            state: states[state]
            for state in ("done", "done_late", "due", "late", "upcoming", "unknown")
        }
        assert int(cells["total"]) == sum(states.values())

    # `/ark report` in Slack reads the same units and says the same numbers.
    slack = text_fallback(
        report_blocks([unit.status for unit in report.units], locale="nb", today=TODAY),
        limit=10_000,
    )
    assert t("nb", "ark.report.tasks", on_time=2, done_late=1, open=10, late=5) in slack
    assert t("nb", "ark.report.vo", confirmed=1, partly=0, overdue=1, total=4) in slack
    assert t("nb", "ark.report.failed", count=3) in slack


def test_the_english_report_says_the_same_in_english(seeded: Engine) -> None:
    report = make_report(seeded)
    page = render_html(report, locale="en")
    assert '<html lang="en">' in page
    assert counts_from_html(page) == EXPECTED
    assert counts_from_table(table_text(report, "en"), "en") == EXPECTED
    assert "Status report – Test cycle" in page
    assert "Tasks done on time" in page
    assert "Oppgaver gjort i tide" not in page
    assert {row["item"] for row in csv_rows(report, "en") if row["item_id"] == "prep"} == {
        "Prepare"
    }


# ─────────────────────────────────────────────────────────────────────── scope


def test_a_unit_filter_limits_the_scope_to_the_unit_and_below(seeded: Engine) -> None:
    faculty = make_report(seeded, "FAK")
    assert [unit.unit_id for unit in faculty.units] == ["FAK", "IFB", "IFC", "IFA"]
    assert faculty.units[0].parent_id is None  # the top of this report
    assert (faculty.scope.kind, faculty.scope.unit_id, faculty.scope.unit_name) == (
        "unit",
        "FAK",
        "Fakultet for økonomi",
    )

    department = make_report(seeded, "IFA")
    assert [unit.unit_id for unit in department.units] == ["IFA"]
    assert (department.totals.units, department.totals.sent, department.totals.failed) == (1, 3, 3)
    assert department.totals.tasks.total == 5
    rows = csv_rows(department)
    assert {row["unit_id"] for row in rows} == {"IFA"}
    page = render_html(department, locale="nb")
    assert "Institutt B" not in page
    assert "Universitetet" not in page
    assert counts_from_html(page)["units"] == 1
    assert "Institutt for ålesund-studier med enhetene under (1)" in table_text(department)


def test_an_unknown_or_closed_unit_is_an_error(seeded: Engine) -> None:
    with pytest.raises(UnknownUnitError):
        make_report(seeded, "NOPE")


def test_min_group_is_never_below_three(seeded: Engine) -> None:
    with pytest.raises(ValueError, match="at least 3"):
        make_report(seeded, min_group=2)


# ─────────────────────────────────────────────────────────────────────── delivery health


def test_failed_deliveries_show_with_their_reasons(seeded: Engine) -> None:
    report = make_report(seeded)
    ifa = next(unit for unit in report.units if unit.unit_id == "IFA")
    assert (ifa.delivery.sent, ifa.delivery.failed) == (3, 3)
    assert [(r.reason, r.count) for r in ifa.delivery.reasons] == [
        ("channel_not_found", 2),
        ("user_disabled", 1),
    ]

    failed_rows = [row for row in csv_rows(report) if row["state"] == "failed"]
    assert [(row["unit_id"], row["item"], row["count"]) for row in failed_rows] == [
        ("IFA", "channel_not_found", "2"),
        ("IFA", "user_disabled", "1"),
    ]

    text = table_text(report, details=False)
    assert re.search(r"│ Institutt for ålesund-studier\s*│ channel_not_found\s*│\s*2 │", text)
    assert re.search(r"│ Institutt for ålesund-studier\s*│ user_disabled\s*│\s*1 │", text)

    page = render_html(report, locale="nb")
    failures = page[page.index('<section id="failures">') :]
    failures = failures[: failures.index("</section>")]
    assert '<td class="s-failed">channel_not_found</td><td class="n">2</td>' in failures
    assert '<td class="s-failed">user_disabled</td><td class="n">1</td>' in failures
    assert "Institutt B" not in failures  # no failures there


# ─────────────────────────────────────────────────────────────────────── pulse results


def test_pulse_groups_below_the_threshold_never_appear(seeded: Engine) -> None:
    pytest.importorskip("bot.pulse_aggregation", reason="the pulse aggregation is not installed")
    report = make_report(seeded)
    shown = {
        unit.unit_id: [(p.round.round, p.respondents) for p in unit.pulses] for unit in report.units
    }
    # p1: everyone has enough. p2: IFB has 4 (under 5) and IFA's 6 would then reveal IFB's 4
    # by subtraction from FAK's 10, so only FAK and UNI show. p3 is still open.
    assert shown == {
        "UNI": [("p1", 11), ("p2", 10)],
        "FAK": [("p1", 11), ("p2", 10)],
        "IFB": [("p1", 5)],
        "IFC": [],
        "IFA": [("p1", 6)],
    }
    assert [r.round for r in report.rounds] == ["p1", "p2"]
    rows = csv_rows(report)
    assert pulse_rounds_of(rows, "IFB") == {"p1"}
    assert pulse_rounds_of(rows, "IFA") == {"p1"}
    # IFB's four answers in p2 were 1, 1, 2, 2 and four "no": no group shows that.
    assert not any(row["detail"] == "1=2|2=2|3=0|4=0|5=0" for row in rows)
    assert not any(row["detail"] == "yes=0|no=4|unsure=0" for row in rows)

    page = render_html(report, locale="nb")
    ifb = page[page.index('<details id="unit-IFB">') :]
    ifb = ifb[: ifb.index("</details>")]
    assert "12. feb. 2024" in ifb
    assert "4. mars 2024" not in ifb  # p2
    after_header = page[page.index("</header>") :]
    assert "25. mars 2024" not in after_header  # p3, still open

    # The trend adds up the top-most groups shown (UNI holds everything): 40/11 and 33/10.
    safe = next(trend for trend in report.trends if trend.question.question_id == "safe")
    assert [(p.round.round, p.respondents, round(p.mean or 0, 2)) for p in safe.points] == [
        ("p1", 11, 3.64),
        ("p2", 10, 3.3),
    ]
    assert "3,6 (n=11)" in table_text(report)
    assert "3,6 (n=11)" in page


def test_the_scope_of_one_department_shows_only_its_allowed_rounds(seeded: Engine) -> None:
    pytest.importorskip("bot.pulse_aggregation", reason="the pulse aggregation is not installed")
    report = make_report(seeded, "IFB")
    assert [(p.round.round, p.respondents) for p in report.units[0].pulses] == [("p1", 5)]
    knows = next(trend for trend in report.trends if trend.question.question_id == "knows")
    assert [(p.round.round, p.yes_share) for p in knows.points] == [("p1", 0.4)]
    # A higher threshold hides IFB altogether.
    assert make_report(seeded, "IFB", min_group=6).units[0].pulses == ()


@dataclass
class FakeQuestion:
    question_id: str
    distribution: dict[str, int]
    mean: float | None


@dataclass
class FakeGroup:
    """Shaped like `bot.pulse_aggregation.GroupResult`."""

    unit_id: str
    unit_name: str
    shown: bool
    reason: str | None = None
    respondents: int | None = None
    questions: Any = ()


@dataclass
class FakeAggregate:
    groups: dict[str, list[FakeGroup]]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(
        self,
        session: Session,
        plan: Plan,
        *,
        pulse_id: str,
        round: str,
        today: date,
        min_group: int = 5,
        units: Any = None,
    ) -> list[FakeGroup]:
        self.calls.append({"pulse_id": pulse_id, "round": round, "min_group": min_group})
        return self.groups.get(round, [])


def _questions(safe: dict[str, int], mean: float, knows: dict[str, int]) -> list[FakeQuestion]:
    return [FakeQuestion("safe", safe, mean), FakeQuestion("knows", knows, None)]


def test_only_shown_groups_in_scope_pass_the_adapter(seeded: Engine) -> None:
    """GroupResult-shaped objects: hidden ones never reach a report, not even their counts."""
    aggregate = FakeAggregate(
        {
            "p1": [
                FakeGroup(
                    "FAK",
                    "Fakultet for økonomi",
                    True,
                    respondents=7,
                    questions=_questions({"4": 7}, 4.0, {"yes": 7}),
                ),
                FakeGroup(
                    "IFA",
                    "Institutt for ålesund-studier",
                    True,
                    respondents=5,
                    questions=_questions({"3": 5}, 3.0, {"yes": 2, "no": 3}),
                ),
                # Hidden, and (against the contract) with figures: they must stay unread.
                FakeGroup(
                    "IFB",
                    "Institutt B",
                    False,
                    reason="below threshold",
                    respondents=4,
                    questions=_questions({"1": 4}, 1.0, {"no": 4}),
                ),
                # Shown, but outside the scope asked for.
                FakeGroup("ELSE", "Elsewhere", True, respondents=9, questions=()),
            ],
            # A mapping by question id works as well as a sequence.
            "p2": [
                FakeGroup(
                    "FAK",
                    "Fakultet for økonomi",
                    True,
                    respondents=8,
                    questions={
                        "safe": {"distribution": {"5": 8}, "mean": 5.0},
                        "knows": {"distribution": {"yes": 6, "unsure": 2}, "mean": None},
                    },
                ),
            ],
        }
    )
    report = make_report(seeded, "FAK", min_group=4, aggregate=aggregate)
    assert {call["round"] for call in aggregate.calls} == {"p1", "p2", "p3"}
    assert {call["min_group"] for call in aggregate.calls} == {4}
    by_unit = {unit.unit_id: unit.pulses for unit in report.units}
    assert [(p.round.round, p.respondents) for p in by_unit["FAK"]] == [("p1", 7), ("p2", 8)]
    assert [(p.round.round, p.respondents) for p in by_unit["IFA"]] == [("p1", 5)]
    assert by_unit["IFB"] == ()
    ifa_safe = by_unit["IFA"][0].questions[0]
    assert ifa_safe.distribution == (("1", 0), ("2", 0), ("3", 5), ("4", 0), ("5", 0))
    assert ifa_safe.mean == 3.0
    # The trend takes FAK alone (IFA is inside FAK's figures), never IFB.
    trends = {trend.question.question_id: trend for trend in report.trends}
    assert [(p.respondents, p.mean) for p in trends["safe"].points] == [(7, 4.0), (8, 5.0)]
    assert [p.yes_share for p in trends["knows"].points] == [1.0, 0.75]

    rows = csv_rows(report)
    assert pulse_rounds_of(rows, "IFB") == set()
    assert not any(row["unit_id"] == "ELSE" for row in rows)
    everything = (
        render_html(report, locale="nb") + table_text(report) + render_csv(report, locale="nb")
    )
    assert "1=4" not in everything
    assert "Elsewhere" not in everything


def test_the_calendar_goes_to_an_aggregation_that_takes_it(seeded: Engine) -> None:
    seen: list[object] = []

    def aggregate(session: Session, plan: Plan, **kwargs: Any) -> list[FakeGroup]:
        seen.append(kwargs.get("calendar"))
        return []

    make_report(seeded, "IFA", aggregate=aggregate)
    assert seen
    assert all(calendar is CALENDAR for calendar in seen)


def test_without_the_pulse_aggregation_the_report_says_so(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "find_aggregate", lambda: None)
    report = make_report(seeded)
    assert report.pulses_available is False
    assert all(unit.pulses == () for unit in report.units)
    assert t("nb", "report.pulses_unavailable") in render_html(report, locale="nb")
    assert t("nb", "report.no_pulse") in table_text(report)


# ─────────────────────────────────────────────────────────────────────── the formats


def test_csv_is_excel_friendly_utf8_with_bom_and_quoted_commas(seeded: Engine) -> None:
    report = make_report(seeded)
    data = render_csv(report, locale="nb").encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == ",".join(CSV_HEADER)
    assert ";" not in lines[0]
    assert '"Bedre introduksjon, for nye"' in text  # a comma in a title is quoted
    assert '"Ryddig møtestruktur, med «agenda»"' in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(row) == len(CSV_HEADER) for row in rows[1:])
    assert "Fakultet for økonomi" in {row[1] for row in rows[1:]}
    # One delivery "sent" row per unit, and one per failure reason.
    delivery = [row for row in rows[1:] if row[4] == "delivery"]
    assert len([row for row in delivery if row[8] == "sent"]) == 5


def test_html_is_one_self_contained_responsive_page(seeded: Engine) -> None:
    report = make_report(seeded)
    page = render_html(report, locale="nb")
    assert page.startswith('<!doctype html>\n<html lang="nb">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "max-width:60rem" in page
    assert "overflow-x:auto" in page
    for external in ("<script", "<link", "@import", "<img", "<iframe", "<object"):
        assert external not in page
    # References stay inside the page: only fragments ("#phases-p1…"), no address at all.
    assert re.search(r"url\(\s*['\"]?(?!#)", page) is None
    assert re.search(r"(?:src|href)\s*=\s*[\"'](?!#)", page) is None
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
    )
    assert page.count("<svg") == 3
    assert page.count('class="chart-svg"') == 3
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids must be unique across the charts"
    assert "<?xml" not in page
    assert "<!DOCTYPE svg" not in page
    # Every table scrolls sideways inside its own box.
    assert page.count("<table>") == page.count('<div class="scroll"><table>')


def test_table_details_follow_for_a_small_scope_only(seeded: Engine) -> None:
    report = make_report(seeded, "IFA")
    detailed = table_text(report)
    assert ARCHIVE_REF in detailed  # the tasks table of the unit
    assert "Vi hadde møte" in detailed  # the VO's comment
    assert "Felles lunsj hver fredag" in detailed
    summary = table_text(report, details=False)
    assert ARCHIVE_REF not in summary
    assert t("nb", "report.details_hint", limit=DETAIL_LIMIT) in summary


def test_an_empty_directory_gives_an_empty_report(engine: Engine) -> None:
    report = make_report(engine)
    assert report.units == ()
    assert report.totals.units == 0
    assert t("nb", "report.no_units") in render_html(report, locale="nb")
    assert t("nb", "report.no_units") in table_text(report)
    assert render_csv(report, locale="nb") == "\ufeff" + ",".join(CSV_HEADER) + "\r\n"
