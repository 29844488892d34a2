"""Malformed org files: every problem is reported with its line and column, and nothing changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from schedules.clock import FrozenClock
from storage.directory import OrgImportError, RowError, import_org, parse_org_csv
from storage.models import AuditEntry, Membership, Person, Unit

HEADER = "unit_id,unit_name,parent_id,level,email,name,role"
ROOT = "EKS,Eksempeluniversitetet,,1,,,"
FACULTY = "FEF,Fakultet for eksempelfag,EKS,2,kari@example.org,Kari Bakken,leader"

GOOD = "\n".join(
    [
        HEADER + ",locale,timezone,slack_user_id",
        "EKS,Eksempeluniversitetet,,1,,,,,,",
        "FEF,Fakultet for eksempelfag,EKS,2,kari@example.org,Kari Bakken,leader,nb,,U0KARI001",
        "FEF,Fakultet for eksempelfag,EKS,2,ola@example.org,Ola Dahl,coordinator,en,,",
        "FEF-IHA,Institutt for havfag,FEF,3,amara@example.org,Amara Okafor,employee,en,"
        "America/New_York,",
        "FEF-IHA,Institutt for havfag,FEF,3,ola@example.org,Ola Dahl,vo,en,,",
    ]
)


def csv(*lines: str) -> str:
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    # (line, column, a distinctive part of the message), in line order.
    expected: list[tuple[int, str | None, str]]


CASES = [
    Case("empty-file", "", [(1, None, "the file is empty; it needs a header: unit_id,")]),
    Case("blank-lines-only", "\n  \n\n", [(1, None, "the file is empty")]),
    Case("header-only", csv(HEADER), [(1, None, "the file has a header but no rows")]),
    Case(
        "header-and-blank-rows",
        csv(HEADER, "", ",,,,,,"),
        [(1, None, "the file has a header but no rows")],
    ),
    Case(
        "not-a-header",
        csv(FACULTY, FACULTY),
        [(1, None, "the first line must be the header: unit_id,unit_name,parent_id")],
    ),
    Case(
        "missing-column",
        csv("unit_id,unit_name,parent_id,level,email,name", "EKS,E,,1,,"),
        [(1, "role", "missing required column 'role'")],
    ),
    Case(
        "unknown-column",
        csv(HEADER + ",phone", ROOT + ","),
        [(1, "phone", "unknown column 'phone' (known columns: unit_id, unit_name, parent_id")],
    ),
    Case(
        "duplicate-column",
        csv(HEADER + ",Email", ROOT + ","),
        [(1, "email", "column 'email' appears twice in the header")],
    ),
    Case(
        "unnamed-column",
        csv(HEADER + ",", ROOT + ","),
        [(1, None, "column 8 of the header has no name")],
    ),
    Case(
        "unknown-role",
        csv(HEADER, ROOT, "FEF,F,EKS,2,kari@example.org,Kari Bakken,boss"),
        [
            (
                3,
                "role",
                "unknown role 'boss' (use one of leader, vo, employee, coordinator, losam, "
                "leader_support)",
            )
        ],
    ),
    Case(
        "empty-role",
        csv(HEADER, ROOT, "FEF,F,EKS,2,kari@example.org,Kari Bakken,"),
        [(3, "role", "role is empty (use one of leader, vo")],
    ),
    Case(
        "empty-unit-id",
        csv(HEADER, ROOT, ",F,EKS,2,kari@example.org,Kari Bakken,leader"),
        [(3, "unit_id", "unit_id is empty")],
    ),
    Case(
        "bad-unit-id",
        csv(HEADER, ROOT, "FEF/IHA,F,EKS,2,kari@example.org,Kari Bakken,leader"),
        [(3, "unit_id", "invalid unit id 'FEF/IHA': use letters, digits, '.', '_' and '-'")],
    ),
    Case(
        "unit-id-too-long",
        csv(HEADER, ROOT, "U" + "x" * 64 + ",F,EKS,2,kari@example.org,Kari Bakken,leader"),
        [(3, "unit_id", "at most 64 characters")],
    ),
    Case(
        "unit-id-starts-with-dash",
        csv(HEADER, ROOT, "-FEF,F,EKS,2,kari@example.org,Kari Bakken,leader"),
        [(3, "unit_id", "invalid unit id '-FEF'")],
    ),
    Case(
        "empty-unit-name",
        csv(HEADER, ROOT, "FEF,,EKS,2,kari@example.org,Kari Bakken,leader"),
        [(3, "unit_name", "unit_name is empty")],
    ),
    Case(
        "unknown-parent",
        csv(HEADER, ROOT, "FEF,F,EKX,2,kari@example.org,Kari Bakken,leader"),
        [(3, "parent_id", "unknown parent 'EKX': no row defines unit 'EKX'")],
    ),
    Case(
        "two-parents",
        csv(
            HEADER,
            ROOT,
            "OTHER,Other,,1,,,",
            FACULTY,
            "FEF,Fakultet for eksempelfag,OTHER,2,ola@example.org,Ola Dahl,vo",
        ),
        [(5, "parent_id", "unit 'FEF' has parent 'OTHER' here but 'EKS' on line 4")],
    ),
    Case(
        "two-names",
        csv(HEADER, ROOT, FACULTY, "FEF,Fakultet for eksempel,EKS,2,ola@example.org,Ola Dahl,vo"),
        [
            (
                4,
                "unit_name",
                "unit 'FEF' is named 'Fakultet for eksempel' here but 'Fakultet for eksempelfag' "
                "on line 3",
            )
        ],
    ),
    Case(
        "two-levels",
        csv(HEADER, ROOT, FACULTY, "FEF,Fakultet for eksempelfag,EKS,3,ola@example.org,Ola,vo"),
        [(4, "level", "unit 'FEF' is at level 3 here but 2 on line 3")],
    ),
    Case(
        "level-not-a-number",
        csv(HEADER, ROOT, "FEF,F,EKS,two,kari@example.org,Kari Bakken,leader"),
        [(3, "level", "level 'two' is not a whole number (1 = institution")],
    ),
    Case(
        "level-too-high",
        csv(HEADER, "EKS,E,,6,,,"),
        [(2, "level", "level 6 is outside 1–5")],
    ),
    Case(
        "level-zero",
        csv(HEADER, "EKS,E,,0,,,"),
        [(2, "level", "level 0 is outside 1–5")],
    ),
    Case(
        "child-not-one-level-below",
        csv(HEADER, ROOT, FACULTY, "IHA,Havfag,FEF,4,ola@example.org,Ola Dahl,leader"),
        [
            (
                4,
                "level",
                "unit 'IHA' is at level 4 but its parent 'FEF' is at level 2; a child must be one "
                "level below its parent (level 3;",
            )
        ],
    ),
    Case(
        "self-parent",
        csv(HEADER, ROOT, "FEF,F,FEF,2,kari@example.org,Kari Bakken,leader"),
        [(3, "parent_id", "unit 'FEF' cannot be its own parent")],
    ),
    Case(
        "cycle",
        csv(
            HEADER,
            "A,Unit A,B,2,kari@example.org,Kari Bakken,leader",
            "B,Unit B,C,3,ola@example.org,Ola Dahl,leader",
            "C,Unit C,A,4,,,",
        ),
        [(2, "parent_id", "units form a cycle: A → B → C → A")],
    ),
    Case(
        "malformed-email",
        csv(HEADER, ROOT, "FEF,F,EKS,2,kari.example.org,Kari Bakken,leader"),
        [(3, "email", "malformed email 'kari.example.org'")],
    ),
    Case(
        "email-without-domain-dot",
        csv(HEADER, ROOT, "FEF,F,EKS,2,kari@example,Kari Bakken,leader"),
        [(3, "email", "malformed email 'kari@example'")],
    ),
    Case(
        "email-with-space",
        csv(HEADER, ROOT, "FEF,F,EKS,2,kari bakken@example.org,Kari Bakken,leader"),
        [(3, "email", "malformed email 'kari bakken@example.org'")],
    ),
    Case(
        "person-without-email",
        csv(HEADER, ROOT, "FEF,F,EKS,2,,Kari Bakken,leader"),
        [(3, "email", "email is empty (leave email, name and role all empty")],
    ),
    Case(
        "person-without-name",
        csv(HEADER, ROOT, "FEF,F,EKS,2,kari@example.org,,leader"),
        [(3, "name", "name is empty")],
    ),
    Case(
        "person-with-two-names",
        csv(HEADER, ROOT, FACULTY, "FEF,Fakultet for eksempelfag,EKS,2,KARI@example.org,Kari B,vo"),
        [(4, "name", "kari@example.org is named 'Kari B' here but 'Kari Bakken' on line 3")],
    ),
    Case(
        "person-with-two-locales",
        csv(
            HEADER + ",locale",
            ROOT + ",",
            FACULTY + ",nb",
            "FEF,Fakultet for eksempelfag,EKS,2,kari@example.org,Kari Bakken,vo,en",
        ),
        [(4, "locale", "kari@example.org has locale 'en' here but 'nb' on line 3")],
    ),
    Case(
        "person-with-two-time-zones",
        csv(
            "timezone," + HEADER,
            "," + ROOT,
            "Europe/Oslo," + FACULTY,
            "America/New_York,FEF,Fakultet for eksempelfag,EKS,2,kari@example.org,Kari Bakken,vo",
        ),
        [
            (
                4,
                "timezone",
                "kari@example.org has timezone 'America/New_York' here but 'Europe/Oslo' on line 3",
            )
        ],
    ),
    Case(
        "person-with-two-slack-ids",
        csv(
            HEADER + ",slack_user_id",
            ROOT + ",",
            FACULTY + ",U0KARI001",
            "FEF,Fakultet for eksempelfag,EKS,2,kari@example.org,Kari Bakken,vo,U0KARI002",
        ),
        [
            (
                4,
                "slack_user_id",
                "kari@example.org has slack user id 'U0KARI002' here but 'U0KARI001' on line 3",
            )
        ],
    ),
    Case(
        "slack-id-for-two-people",
        csv(
            HEADER + ",slack_user_id",
            ROOT + ",",
            FACULTY + ",U0KARI001",
            "FEF,Fakultet for eksempelfag,EKS,2,ola@example.org,Ola Dahl,vo,U0KARI001",
        ),
        [
            (
                4,
                "slack_user_id",
                "slack_user_id 'U0KARI001' is already given to kari@example.org on line 3",
            )
        ],
    ),
    Case(
        "malformed-slack-id",
        csv(HEADER + ",slack_user_id", ROOT + ",", FACULTY + ",kari"),
        [(3, "slack_user_id", "slack_user_id 'kari' does not look like a Slack user id (U… or W…")],
    ),
    Case(
        "lower-case-slack-id",
        csv(HEADER + ",slack_user_id", ROOT + ",", FACULTY + ",u012ab3cd"),
        [(3, "slack_user_id", "slack_user_id 'u012ab3cd' does not look like a Slack user id")],
    ),
    Case(
        "unknown-locale",
        csv(HEADER + ",locale", ROOT + ",", FACULTY + ",de"),
        [(3, "locale", "unknown locale 'de' (arkbot speaks nb and en)")],
    ),
    Case(
        "nynorsk-locale",
        csv(HEADER + ",locale", ROOT + ",", FACULTY + ",nn"),
        [(3, "locale", "unknown locale 'nn' (arkbot speaks nb and en; use 'nb' for Norwegian)")],
    ),
    Case(
        "unknown-time-zone",
        csv(HEADER + ",timezone", ROOT + ",", FACULTY + ",Mars/Olympus_Mons"),
        [(3, "timezone", "unknown time zone 'Mars/Olympus_Mons' (use an IANA name")],
    ),
    Case(
        "time-zone-in-wrong-case",
        csv(HEADER + ",timezone", ROOT + ",", FACULTY + ",europe/oslo"),
        [(3, "timezone", "unknown time zone 'europe/oslo' (did you mean 'Europe/Oslo'?)")],
    ),
    Case(
        "duplicate-membership",
        csv(HEADER, ROOT, FACULTY, "", FACULTY.replace("leader", "Leder").replace("kari", "Kari")),
        [(5, None, "duplicate row: kari@example.org is already leader of unit 'FEF' on line 3")],
    ),
    Case(
        "too-many-fields",
        csv(HEADER, ROOT, "FEF,Fakultet, eksempelfag,EKS,2,kari@example.org,Kari Bakken,leader"),
        [
            (
                3,
                None,
                "expected 7 fields like the header, found 8 "
                "(is a value containing the delimiter missing its quotes?)",
            )
        ],
    ),
    Case(
        "too-few-fields",
        csv(HEADER, ROOT, "FEF,F,EKS,2,kari@example.org,leader"),
        [(3, None, "expected 7 fields like the header, found 6")],
    ),
    Case(
        "details-on-a-unit-only-row",
        csv(HEADER + ",locale", ROOT + ",en"),
        [
            (
                2,
                "locale",
                "locale is given but the row has no person (email, name and role are empty)",
            )
        ],
    ),
    Case(
        "line-break-in-a-name",
        csv(
            HEADER,
            ROOT,
            'FEF,F,EKS,2,kari@example.org,"Kari',
            'Bakken",leader',
            "FEF,F,EKS,2,ola@example.org,Ola Dahl,sjef",
        ),
        # The quoted value spans lines 3–4, so the next row is physical line 5.
        [(3, "name", "name contains a line break"), (5, "role", "unknown role 'sjef'")],
    ),
    Case(
        "broken-quotes",
        csv(HEADER, ROOT, 'FEF,"Fakultet" for eksempelfag,EKS,2,kari@example.org,Kari,leader'),
        [(3, None, "cannot read this line as CSV")],
    ),
    Case(
        "semicolons-with-a-bad-row",
        csv(
            HEADER.replace(",", ";"),
            ROOT.replace(",", ";"),
            "FEF;Fakultet, for eksempelfag;EKS;2;kari@example.org;Bakken, Kari;sjef",
        ),
        [(3, "role", "unknown role 'sjef'")],
    ),
    Case(
        "several-bad-rows",
        csv(
            HEADER + ",locale",
            ROOT + ",",
            FACULTY + ",nb",
            "FEF-IHA,Institutt for havfag,FEF,3,ola@example,Ola Dahl,employee,nb",
            "",
            "FEF-IHA,Institutt for havfag,FEF,3,per@example.org,Per Moen,boss,nb",
            "FEF-IDA,Institutt for datafag,FEF,3,liv@example.org,Liv Lie,employee,sv",
            "FEF-ISP,Institutt for språkfag,FEF,9,jon@example.org,Jon Aune,leader,en",
            "FEF-IDA,Institutt for datafag,FEF,3,liv@example.org,Liv Lie,employee,sv",
        ),
        [
            (4, "email", "malformed email 'ola@example'"),
            (6, "role", "unknown role 'boss'"),
            (7, "locale", "unknown locale 'sv'"),
            (8, "level", "level 9 is outside 1–5"),
            (9, "locale", "unknown locale 'sv'"),
        ],
    ),
]


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything an import may touch, in a comparable form."""
    with Session(engine) as session:
        units = [
            (u.id, u.name, u.parent_id, u.level, u.active)
            for u in session.exec(select(Unit).order_by(col(Unit.id)))
        ]
        people = [
            (
                p.id,
                p.email,
                p.name,
                p.locale,
                p.timezone,
                p.slack_user_id,
                p.teams_user_id,
                p.active,
            )
            for p in session.exec(select(Person).order_by(col(Person.id)))
        ]
        memberships = [
            (m.id, m.person_id, m.unit_id, m.role.value, m.active)
            for m in session.exec(select(Membership).order_by(col(Membership.id)))
        ]
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return {"units": units, "people": people, "memberships": memberships, "audits": audits}


def check(errors: list[RowError], expected: list[tuple[int, str | None, str]]) -> None:
    got = [(error.line, error.column) for error in errors]
    assert got == [(line, column) for line, column, _ in expected], [str(e) for e in errors]
    for error, (_, _, message) in zip(errors, expected, strict=True):
        assert message in error.message, str(error)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_file_is_rejected_with_lines_and_columns(case: Case) -> None:
    with pytest.raises(OrgImportError) as raised:
        parse_org_csv(case.text)
    check(raised.value.errors, case.expected)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_file_changes_nothing(engine: Engine, case: Case) -> None:
    clock = FrozenClock(datetime(2025, 9, 1, 8, tzinfo=UTC))
    import_org(engine, GOOD, clock=clock)
    before = snapshot(engine)
    assert len(before["people"]) == 3
    with pytest.raises(OrgImportError) as raised:
        import_org(engine, case.text, clock=clock, actor="test")
    check(raised.value.errors, case.expected)
    assert snapshot(engine) == before


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25
    assert len({case.id for case in CASES}) == len(CASES)


def test_row_error_reads_like_a_sentence() -> None:
    error = RowError(7, "role", "unknown role 'boss' (use one of leader, vo)")
    assert str(error) == "line 7, role: unknown role 'boss' (use one of leader, vo)"
    assert str(RowError(3, None, "expected 7 fields")) == "line 3: expected 7 fields"


def test_error_message_lists_every_problem() -> None:
    text = csv(HEADER, ROOT, "FEF,F,EKS,2,kari@example,Kari,boss", "X,Y,EKS,7,,,")
    with pytest.raises(OrgImportError) as raised:
        parse_org_csv(text)
    assert str(raised.value).splitlines() == [
        "3 problems in the org file:",
        "line 3, email: malformed email 'kari@example'",
        "line 3, role: unknown role 'boss' (use one of leader, vo, employee, coordinator, "
        "losam, leader_support)",
        "line 4, level: level 7 is outside 1–5 (1 = institution, 2 = faculty or area, "
        "3 = department)",
    ]
