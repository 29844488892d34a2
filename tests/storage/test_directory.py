"""Importing the organisation and asking the directory questions, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from schedules.clock import FrozenClock
from storage.directory import (
    ImportReport,
    OrgFileError,
    OrgImportError,
    import_org,
    parse_org_csv,
    read_org_file,
)
from storage.models import AuditEntry, Membership, Person, Role, Unit
from storage.queries import (
    UnknownUnitError,
    active_members,
    coordinators_for,
    person_by_email,
    person_by_slack_id,
    unit_ancestors,
    unit_by_id,
    unit_descendants,
)
from tests.statements import statements

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample-org.csv"
CLOCK = FrozenClock(datetime(2025, 9, 1, 8, 30, tzinfo=UTC))


def sample() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def without(text: str, *fragments: str) -> str:
    """The file without the rows containing any of the fragments."""
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not any(fragment in line for fragment in fragments)
    )


def count(session: Session, model: type[Unit] | type[Person] | type[Membership]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


# --------------------------------------------------------------------------- importing


def test_sample_org_imports(engine: Engine) -> None:
    report = import_org(engine, sample(), clock=CLOCK, actor="kari@example.org")
    assert report == ImportReport(
        units_added=6,
        people_added=34,
        memberships_added=38,
        units_in_file=6,
        people_in_file=34,
        memberships_in_file=38,
    )
    with Session(engine) as session:
        fef = session.get(Unit, "FEF")
        assert fef is not None
        assert (fef.name, fef.parent_id, fef.level) == ("Fakultet for eksempelfag", "EKS", 2)
        assert [u.level for u in session.exec(select(Unit).order_by(col(Unit.id)))] == [
            1,
            2,
            3,
            3,
            3,
            3,
        ]
        daniel = person_by_email(session, "daniel.kim@example.org")
        assert daniel is not None
        assert (daniel.locale, daniel.timezone) == ("en", "America/New_York")
        locales = session.exec(select(Person.locale, func.count()).group_by(Person.locale)).all()
        assert dict(locales) == {"en": 9, "nb": 25}
        torbjorn = person_by_email(session, "torbjorn.vik@example.org")
        assert torbjorn is not None
        roles = session.exec(
            select(Membership.unit_id, Membership.role)
            .where(Membership.person_id == torbjorn.id)
            .order_by(col(Membership.unit_id), col(Membership.role))
        ).all()
        assert [(unit, Role(role)) for unit, role in roles] == [
            ("FEF-IFJ", Role.employee),
            ("FEF-IFJ", Role.vo),
            ("FEF-IHA", Role.vo),
        ]
        audit = session.exec(select(AuditEntry)).one()
    assert audit.at == CLOCK.now()
    assert (audit.actor, audit.action) == ("kari@example.org", "org.import")
    assert audit.subject == "6 units, 34 people, 38 memberships"
    assert audit.detail is not None
    assert json.loads(audit.detail)["people_added"] == 34


def test_reimporting_the_same_file_changes_nothing(engine: Engine) -> None:
    import_org(engine, sample(), clock=CLOCK)
    again = import_org(engine, sample(), clock=CLOCK)
    assert again == ImportReport(units_in_file=6, people_in_file=34, memberships_in_file=38)
    assert not again.changed
    with Session(engine) as session:
        assert count(session, Person) == 34
        assert count(session, Membership) == 38
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == 2


def test_reimport_updates_deactivates_and_reactivates(engine: Engine) -> None:
    import_org(engine, sample(), clock=CLOCK)
    changed = without(
        sample(),
        "FEF-ISP,",  # the language department closes: 6 people, 7 memberships
        "guro.myhre@",  # Guro leaves
    )
    changed = changed.replace("Institutt for havfag", "Institutt for hav- og kystfag")
    changed = changed.replace("Knut Aune", "Knut Aune Lie")
    changed += (
        "FEF-IHA,Institutt for hav- og kystfag,FEF,3,nora.berg@example.org,Nora Berg,employee,nb,\n"
    )
    report = import_org(engine, changed, clock=CLOCK)
    assert report.as_dict() | {"dry_run": False} == {
        "units_added": 0,
        "units_updated": 1,
        "units_reactivated": 0,
        "units_deactivated": 1,
        "people_added": 1,
        "people_updated": 1,
        "people_reactivated": 0,
        "people_deactivated": 7,  # Guro and the six who only worked in FEF-ISP
        "memberships_added": 1,
        "memberships_reactivated": 0,
        "memberships_deactivated": 8,
        "units_in_file": 5,
        "people_in_file": 28,
        "memberships_in_file": 31,
        "dry_run": False,
    }
    with Session(engine) as session:
        # Nothing is deleted: history stays.
        assert count(session, Unit) == 6
        assert count(session, Person) == 35
        assert count(session, Membership) == 39
        isp = session.get(Unit, "FEF-ISP")
        assert isp is not None
        assert not isp.active
        guro = person_by_email(session, "guro.myhre@example.org", include_inactive=True)
        assert guro is not None
        assert not guro.active
        assert person_by_email(session, "guro.myhre@example.org") is None
        knut = person_by_email(session, "knut.aune@example.org")
        assert knut is not None
        assert knut.name == "Knut Aune Lie"
        assert unit_by_id(session, "FEF-IHA") is not None
        assert session.get(Unit, "FEF-IHA") == Unit(
            id="FEF-IHA", name="Institutt for hav- og kystfag", parent_id="FEF", level=3
        )

    back = import_org(engine, sample(), clock=CLOCK)
    assert (back.units_reactivated, back.units_updated, back.units_deactivated) == (1, 1, 0)
    assert (back.people_reactivated, back.people_updated, back.people_deactivated) == (7, 1, 1)
    assert (back.memberships_reactivated, back.memberships_added) == (8, 0)
    assert back.memberships_deactivated == 1  # Nora's
    with Session(engine) as session:
        assert count(session, Person) == 35
        assert len(active_members(session)) == 38
        guro = person_by_email(session, "guro.myhre@example.org")
        assert guro is not None
        assert guro.active


def test_people_are_matched_by_email_in_any_case(engine: Engine) -> None:
    text = (
        "unit_id,unit_name,parent_id,level,email,name,role\n"
        "FEF,F,,2,Kari.Bakken@Example.ORG,Kari,leader\n"
    )
    import_org(engine, text, clock=CLOCK)
    report = import_org(
        engine, text.replace("Kari.Bakken@Example.ORG", "kari.bakken@example.org"), clock=CLOCK
    )
    assert not report.changed
    with Session(engine) as session:
        assert [p.email for p in session.exec(select(Person))] == ["kari.bakken@example.org"]
        assert person_by_email(session, "  KARI.BAKKEN@example.org ") is not None


def test_optional_columns_decide_only_when_present(engine: Engine) -> None:
    head = "unit_id,unit_name,parent_id,level,email,name,role"
    full = (
        f"{head},locale,timezone,slack_user_id,teams_user_id\n"
        "FEF,F,,2,kari@example.org,Kari,leader,en,America/New_York,U0KARI001,29:kari\n"
    )
    import_org(engine, full, clock=CLOCK)

    # Columns absent: everything stays.
    report = import_org(engine, f"{head}\nFEF,F,,2,kari@example.org,Kari,leader\n", clock=CLOCK)
    assert not report.changed
    # Columns present but empty: locale and time zone fall back; chat ids are never erased.
    report = import_org(
        engine,
        f"{head},locale,timezone,slack_user_id,teams_user_id\nFEF,F,,2,kari@example.org,Kari,leader,,,,\n",
        clock=CLOCK,
    )
    assert report.people_updated == 1
    with Session(engine) as session:
        kari = person_by_email(session, "kari@example.org")
        assert kari is not None
        assert (kari.locale, kari.timezone, kari.slack_user_id, kari.teams_user_id) == (
            "nb",
            None,
            "U0KARI001",
            "29:kari",
        )
        assert person_by_slack_id(session, "U0KARI001") == kari


def test_a_chat_id_kept_from_the_directory_may_not_go_to_someone_else(engine: Engine) -> None:
    head = "unit_id,unit_name,parent_id,level,email,name,role,slack_user_id"
    import_org(engine, f"{head}\nFEF,F,,2,kari@example.org,Kari,leader,U0KARI001\n", clock=CLOCK)
    before = _people(engine)
    with pytest.raises(OrgImportError) as raised:
        import_org(
            engine,
            f"{head}\nFEF,F,,2,kari@example.org,Kari,leader,\nFEF,F,,2,ola@example.org,Ola,vo,U0KARI001\n",
            clock=CLOCK,
        )
    [error] = raised.value.errors
    assert (error.line, error.column) == (3, "slack_user_id")
    assert error.message.startswith(
        "slack_user_id 'U0KARI001' belongs to kari@example.org in the directory"
    )
    assert _people(engine) == before


def _people(engine: Engine) -> list[tuple[str, str | None, bool]]:
    with Session(engine) as session:
        return [
            (p.email, p.slack_user_id, p.active)
            for p in session.exec(select(Person).order_by(col(Person.email)))
        ]


class ExplodingClock:
    """Fails when the import asks for the time, which it does last (for the audit entry)."""

    def now(self) -> datetime:
        raise RuntimeError("clock failed")


def test_import_is_one_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="clock failed"):
        import_org(engine, sample(), clock=ExplodingClock())
    with Session(engine) as session:
        assert (count(session, Unit), count(session, Person), count(session, Membership)) == (
            0,
            0,
            0,
        )

    import_org(engine, sample(), clock=CLOCK)
    with pytest.raises(RuntimeError, match="clock failed"):
        import_org(engine, without(sample(), "FEF-IDA"), clock=ExplodingClock())
    with Session(engine) as session:
        assert len(active_members(session)) == 38
        assert len(unit_descendants(session, "FEF")) == 4


def test_dry_run_reports_and_rolls_back(engine: Engine) -> None:
    report = import_org(engine, sample(), clock=CLOCK, dry_run=True)
    assert report.dry_run
    assert report.people_added == 34
    with Session(engine) as session:
        assert count(session, Person) == 0
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == 0


def test_import_runs_a_fixed_number_of_statements(engine: Engine) -> None:
    rows = ["unit_id,unit_name,parent_id,level,email,name,role", "EKS,E,,1,,,"]
    for department in range(20):
        rows.append(
            f"D{department},Dept {department},EKS,2,leader{department}@example.org,L,leader"
        )
        rows += [
            f"D{department},Dept {department},EKS,2,p{department}-{i}@example.org,P {i},employee"
            for i in range(25)
        ]
    text = "\n".join(rows)
    with statements(engine) as first:
        report = import_org(engine, text, clock=CLOCK)
    assert report.people_added == 520
    with statements(engine) as second:
        report = import_org(engine, without(text, "-3@", "-4@"), clock=CLOCK)
    assert report.people_deactivated == 40
    # Reads, bulk writes and the audit entry: no statement per row.
    assert len(first) <= 15, first
    assert len(second) <= 15, second


# --------------------------------------------------------------------------- queries


@pytest.fixture
def org(engine: Engine) -> Iterator[Session]:
    import_org(engine, sample(), clock=CLOCK)
    with Session(engine) as session:
        yield session


def test_active_members_filters(org: Session) -> None:
    everyone = active_members(org)
    assert len(everyone) == 38
    assert all(p.active and m.active and u.active for p, m, u in everyone)
    leaders = active_members(org, role=Role.leader)
    assert [(u.id, p.name) for p, _, u in leaders] == [
        ("FEF", "Eirik Strand"),
        ("FEF-IDA", "Hilde Ødegård"),
        ("FEF-IFJ", "Ingrid Haugen"),
        ("FEF-IHA", "Lars Eriksen"),
        ("FEF-ISP", "Jon Kristiansen"),
    ]
    assert [p.name for p, _, _ in active_members(org, role=Role.leader, level=3)][:1] == [
        "Hilde Ødegård"
    ]
    vos = active_members(org, unit_id="FEF-IHA", role=Role.vo)
    assert [p.email for p, _, _ in vos] == ["torbjorn.vik@example.org"]
    assert len(active_members(org, unit_id="FEF-IHA")) == 9
    assert active_members(org, unit_id="EKS") == []
    assert active_members(org, level=2, role=Role.losam)[0][0].name == "Håkon Berg"


def test_active_members_leave_out_inactive_people_units_and_memberships(engine: Engine) -> None:
    import_org(engine, sample(), clock=CLOCK)
    import_org(
        engine,
        without(sample(), "FEF-ISP,", "guro.myhre@", "magnus.lie@example.org,Magnus Lie,vo"),
        clock=CLOCK,
    )
    with Session(engine) as session:
        members = active_members(session)
        assert len(members) == 38 - 7 - 1 - 1
        assert "FEF-ISP" not in {u.id for _, _, u in members}
        assert "guro.myhre@example.org" not in {p.email for p, _, _ in members}
        assert active_members(session, unit_id="FEF-IDA", role=Role.vo) == []
        assert len(active_members(session, unit_id="FEF-IDA", role=Role.employee)) == 8


def test_active_members_is_one_query(engine: Engine, org: Session) -> None:
    with statements(engine) as seen:
        members = active_members(org)
        names = {p.name for p, _, u in members} | {u.name for _, _, u in members}
    assert len(seen) == 1
    assert "Daniel Kim" in names


def test_unit_tree(org: Session) -> None:
    assert [u.id for u in unit_ancestors(org, "FEF-IDA")] == ["FEF", "EKS"]
    assert unit_ancestors(org, "EKS") == []
    assert [u.id for u in unit_descendants(org, "EKS")] == [
        "FEF",
        "FEF-IDA",
        "FEF-IFJ",
        "FEF-IHA",
        "FEF-ISP",
    ]
    assert unit_descendants(org, "FEF-IHA") == []
    with pytest.raises(UnknownUnitError, match="unknown unit 'NOPE'"):
        unit_ancestors(org, "NOPE")
    with pytest.raises(UnknownUnitError):
        unit_descendants(org, "NOPE")


def test_unit_descendants_leave_out_inactive_units_unless_asked(engine: Engine) -> None:
    import_org(engine, sample(), clock=CLOCK)
    import_org(engine, without(sample(), "FEF-ISP,"), clock=CLOCK)
    with Session(engine) as session:
        assert "FEF-ISP" not in [u.id for u in unit_descendants(session, "FEF")]
        everything = unit_descendants(session, "FEF", include_inactive=True)
        assert [u.id for u in everything][-1] == "FEF-ISP"


def test_coordinators_come_from_the_nearest_unit_that_has_them(org: Session) -> None:
    assert [p.name for p in coordinators_for(org, "FEF-IHA")] == ["Ragnhild Sæther"]
    assert [p.name for p in coordinators_for(org, "FEF")] == ["Ragnhild Sæther"]
    assert coordinators_for(org, "EKS") == []
    with pytest.raises(UnknownUnitError):
        coordinators_for(org, "NOPE")


def test_a_unit_coordinator_wins_over_the_faculty_one(engine: Engine) -> None:
    text = sample() + (
        "FEF-IHA,Institutt for havfag,FEF,3,astrid.moen@example.org,Astrid Moen,koordinator,nb,\n"
        "EKS,Eksempeluniversitetet,,1,sentral@example.org,Sentral Koordinator,coordinator,,\n"
    )
    import_org(engine, text, clock=CLOCK)
    with Session(engine) as session:
        assert [p.name for p in coordinators_for(session, "FEF-IHA")] == ["Astrid Moen"]
        assert [p.name for p in coordinators_for(session, "FEF-IDA")] == ["Ragnhild Sæther"]
        assert [p.name for p in coordinators_for(session, "EKS")] == ["Sentral Koordinator"]
    # When the faculty coordinator leaves, the institution's is next in line.
    import_org(engine, without(text, "ragnhild.saether@"), clock=CLOCK)
    with Session(engine) as session:
        assert [p.name for p in coordinators_for(session, "FEF-IDA")] == ["Sentral Koordinator"]


def test_person_lookups(engine: Engine) -> None:
    head = "unit_id,unit_name,parent_id,level,email,name,role,slack_user_id"
    import_org(
        engine,
        f"{head}\nFEF,F,,2,kari@example.org,Kari,leader,U0KARI001\nFEF,F,,2,ola@example.org,Ola,vo,W0OLA0001\n",
        clock=CLOCK,
    )
    with Session(engine) as session:
        kari = person_by_slack_id(session, "U0KARI001")
        assert kari is not None
        assert kari.email == "kari@example.org"
        assert person_by_slack_id(session, "U0NOBODY1") is None
        assert person_by_email(session, "nobody@example.org") is None
    import_org(engine, f"{head}\nFEF,F,,2,ola@example.org,Ola,vo,W0OLA0001\n", clock=CLOCK)
    with Session(engine) as session:
        assert person_by_slack_id(session, "U0KARI001") is None
        gone = person_by_slack_id(session, "U0KARI001", include_inactive=True)
        assert gone is not None
        assert not gone.active


# --------------------------------------------------------------------------- parsing


def test_header_is_forgiving_about_case_order_spaces_bom_and_semicolons() -> None:
    text = (
        "\ufeff ROLE ; Name;EMAIL;level;parent_id;Unit_Name;unit_id;Locale\r\n"
        "Leder;Kari Bakken;Kari@Example.org;2;;Fakultet, for eksempelfag;FEF;EN\r\n"
        "verneombud;Ola  Dahl;ola@example.org;2;;Fakultet, for eksempelfag;FEF;\r\n"
        "Lederstøtte;Ola Dahl;ola@example.org;2;;Fakultet, for eksempelfag;FEF;\r\n"
        "medarbeider;Per;per@example.org;2;;Fakultet, for eksempelfag;FEF;\r\n"
        "Koordinator;Per;per@example.org;2;;Fakultet, for eksempelfag;FEF;\r\n"
    )
    org = parse_org_csv(text)
    assert list(org.units) == ["FEF"]
    assert org.units["FEF"].name == "Fakultet, for eksempelfag"
    assert org.people["kari@example.org"].locale == "en"
    assert org.people["ola@example.org"].name == "Ola Dahl"
    assert [(m.email, m.role) for m in org.memberships] == [
        ("kari@example.org", Role.leader),
        ("ola@example.org", Role.vo),
        ("ola@example.org", Role.leader_support),
        ("per@example.org", Role.employee),
        ("per@example.org", Role.coordinator),
    ]
    assert "locale" in org.columns
    assert "timezone" not in org.columns


def test_units_come_parents_first_whatever_the_row_order() -> None:
    text = (
        "unit_id,unit_name,parent_id,level,email,name,role\n"
        "C,c,B,3,,,\n"
        "B,b,A,2,,,\n"
        "A,a,,1,,,\n"
        "D,d,A,2,,,\n"
    )
    assert list(parse_org_csv(text).units) == ["A", "B", "D", "C"]


def test_values_a_row_leaves_empty_do_not_contradict_others() -> None:
    text = (
        "unit_id,unit_name,parent_id,level,email,name,role,locale,timezone\n"
        "A,a,,1,kari@example.org,Kari,leader,,\n"
        "A,a,,1,kari@example.org,Kari,vo,en,Europe/Oslo\n"
        "A,a,,1,kari@example.org,Kari,employee,,\n"
    )
    person = parse_org_csv(text).people["kari@example.org"]
    assert (person.locale, person.timezone) == ("en", "Europe/Oslo")


def test_read_org_file(tmp_path: Path) -> None:
    good = tmp_path / "org.csv"
    good.write_bytes("\ufeffunit_id,unit_name\nA,Språk\n".encode())
    assert read_org_file(good) == "unit_id,unit_name\nA,Språk\n"

    with pytest.raises(OrgFileError, match="no such file"):
        read_org_file(tmp_path / "missing.csv")
    with pytest.raises(OrgFileError, match="is a folder"):
        read_org_file(tmp_path)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("unit_id,unit_name\nA,ok\nB,Spr\u00e5k\n".encode("latin-1"))
    with pytest.raises(OrgFileError, match=r"is not UTF-8 text \(line 3: byte 0xe5\)"):
        read_org_file(latin1)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("unit_id\n".encode("utf-16"))
    with pytest.raises(OrgFileError, match="is UTF-16 text; save it as 'CSV UTF-8'"):
        read_org_file(utf16)
