"""Teams identities in the directory: CSV columns, lookups and conversation references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from schedules.clock import FrozenClock
from storage.db import session_scope
from storage.directory import OrgImportError, import_org, parse_org_csv
from storage.models import AuditEntry, Person
from storage.teams import (
    conversation_of,
    forget_conversation,
    person_for_teams,
    remember_conversation,
)

NOW = datetime(2025, 9, 1, 8, 30, tzinfo=UTC)
CLOCK = FrozenClock(NOW)
KARI_AAD = "8d3c1f0e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
OLA_AAD = "11111111-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
HEADER = (
    "unit_id,unit_name,parent_id,level,email,name,role,"
    "teams_user_id,teams_aad_object_id,preferred_platform"
)
ORG = "\n".join(
    [
        HEADER,
        f"FEF,Fakultet,,2,kari@example.org,Kari Bakken,leader,,{KARI_AAD.upper()},Teams",
        "FEF,Fakultet,,2,ola@example.org,Ola Dahl,employee,29:ola,,",
        "FEF,Fakultet,,2,per@example.org,Per Berg,vo,,,slack",
    ]
)


def people(engine: Engine) -> dict[str, Person]:
    with Session(engine) as session:
        return {p.email: p for p in session.exec(select(Person))}


def test_csv_columns_are_imported(engine: Engine) -> None:
    import_org(engine, ORG, clock=CLOCK)
    found = people(engine)
    assert found["kari@example.org"].teams_aad_object_id == KARI_AAD
    assert found["kari@example.org"].preferred_platform == "teams"
    assert found["ola@example.org"].teams_user_id == "29:ola"
    assert found["ola@example.org"].preferred_platform is None
    assert found["per@example.org"].preferred_platform == "slack"


def test_absent_columns_keep_stored_values_and_present_ones_decide(engine: Engine) -> None:
    import_org(engine, ORG, clock=CLOCK)
    without = "\n".join(
        [
            "unit_id,unit_name,parent_id,level,email,name,role",
            "FEF,Fakultet,,2,kari@example.org,Kari Bakken,leader",
            "FEF,Fakultet,,2,ola@example.org,Ola Dahl,employee",
            "FEF,Fakultet,,2,per@example.org,Per Berg,vo",
        ]
    )
    import_org(engine, without, clock=CLOCK)
    kari = people(engine)["kari@example.org"]
    assert (kari.teams_aad_object_id, kari.preferred_platform) == (KARI_AAD, "teams")
    lines = without.splitlines()
    cleared = "\n".join([lines[0] + ",preferred_platform"] + [line + "," for line in lines[1:]])
    import_org(engine, cleared, clock=CLOCK)
    kari = people(engine)["kari@example.org"]
    assert (kari.teams_aad_object_id, kari.preferred_platform) == (KARI_AAD, None)


def test_bad_values_are_reported_with_line_and_column() -> None:
    text = "\n".join(
        [
            HEADER,
            "FEF,Fakultet,,2,kari@example.org,Kari Bakken,leader,,not-a-guid,teams",
            "FEF,Fakultet,,2,ola@example.org,Ola Dahl,employee,,,email",
            f"FEF,Fakultet,,2,per@example.org,Per Berg,vo,,{OLA_AAD},",
            f"FEF,Fakultet,,2,liv@example.org,Liv Lie,vo,,{OLA_AAD},",
        ]
    )
    with pytest.raises(OrgImportError) as raised:
        parse_org_csv(text)
    problems = [(e.line, e.column) for e in raised.value.errors]
    assert problems == [
        (2, "teams_aad_object_id"),
        (3, "preferred_platform"),
        (5, "teams_aad_object_id"),
    ]
    messages = [e.message for e in raised.value.errors]
    assert "not a Microsoft Entra object id" in messages[0]
    assert "use slack or teams" in messages[1]
    assert "already given to per@example.org on line 4" in messages[2]


def test_person_for_teams_by_object_id_user_id_and_email(engine: Engine) -> None:
    import_org(engine, ORG, clock=CLOCK)
    with session_scope(engine) as session:
        kari = person_for_teams(session, KARI_AAD, TENANT)
        assert kari is not None
        assert kari.email == "kari@example.org"
        ola = person_for_teams(session, OLA_AAD, TENANT, user_id="29:ola")
        assert ola is not None
        assert ola.email == "ola@example.org"
        per = person_for_teams(
            session, "22222222-2b4a-4c6d-9e8f-0a1b2c3d4e5f", TENANT, email="PER@Example.org"
        )
        assert per is not None
        assert per.email == "per@example.org"
        assert person_for_teams(session, None, None, email="nobody@example.org") is None
    found = people(engine)
    # learnt by user id and by e-mail: next time they are found by object id
    assert found["ola@example.org"].teams_aad_object_id == OLA_AAD
    assert found["ola@example.org"].teams_tenant_id == TENANT
    assert found["per@example.org"].teams_aad_object_id == "22222222-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
    with session_scope(engine) as session:
        again = person_for_teams(session, OLA_AAD, TENANT)
        assert again is not None
        assert again.email == "ola@example.org"
        assert person_for_teams(session, OLA_AAD, "another-tenant") is None


def test_inactive_people_are_not_found(engine: Engine) -> None:
    import_org(engine, ORG, clock=CLOCK)
    with session_scope(engine) as session:
        kari = session.exec(select(Person).where(col(Person.email) == "kari@example.org")).one()
        kari.active = False
        session.add(kari)
    with session_scope(engine) as session:
        assert person_for_teams(session, KARI_AAD, TENANT) is None
        assert person_for_teams(session, None, None, email="kari@example.org") is None


def test_conversation_references_upsert_audit_and_forget(engine: Engine) -> None:
    import_org(engine, ORG, clock=CLOCK)
    kari_id = people(engine)["kari@example.org"].id
    assert kari_id is not None
    with session_scope(engine) as session:
        assert conversation_of(session, kari_id) is None
        assert remember_conversation(
            session,
            kari_id,
            tenant_id=TENANT,
            conversation_id="a:1",
            service_url="https://smba.example/teams",
            now=NOW,
        )
    with session_scope(engine) as session:
        assert not remember_conversation(
            session,
            kari_id,
            tenant_id=TENANT,
            conversation_id="a:1",
            service_url="https://smba.example/teams",
            now=NOW,
        )
        assert remember_conversation(
            session,
            kari_id,
            tenant_id=TENANT,
            conversation_id="a:2",
            service_url="https://smba.example/teams",
            now=NOW + timedelta(days=1),
        )
    with session_scope(engine) as session:
        stored = conversation_of(session, kari_id)
        assert stored is not None
        assert stored.conversation_id == "a:2"
        assert stored.updated_at == NOW + timedelta(days=1)
        assert forget_conversation(session, kari_id, now=NOW)
        assert not forget_conversation(session, kari_id, now=NOW)
    with session_scope(engine) as session:
        assert conversation_of(session, kari_id) is None
        actions = [
            entry.action
            for entry in session.exec(
                select(AuditEntry).where(col(AuditEntry.action).like("teams.%"))
            )
        ]
    assert actions == ["teams.conversation", "teams.conversation", "teams.uninstall"]


def test_export_shows_and_erasure_removes_the_teams_identity(engine: Engine) -> None:
    from storage.personal_data import erase_person, export_person

    import_org(engine, ORG, clock=CLOCK)
    kari_id = people(engine)["kari@example.org"].id
    assert kari_id is not None
    with session_scope(engine) as session:
        remember_conversation(
            session,
            kari_id,
            tenant_id=TENANT,
            conversation_id="a:1",
            service_url="https://smba.example/teams",
            now=NOW,
        )
    with session_scope(engine) as session:
        data = export_person(session, "kari@example.org")
        assert data["person"]["teams_aad_object_id"] == KARI_AAD
        assert data["person"]["preferred_platform"] == "teams"
        assert data["teams_conversation"]["conversation_id"] == "a:1"
        erase_person(session, "kari@example.org", now=NOW, actor="test")
    with session_scope(engine) as session:
        assert conversation_of(session, kari_id) is None
        erased = session.get(Person, kari_id)
        assert erased is not None
        assert (erased.teams_aad_object_id, erased.preferred_platform) == (None, None)
