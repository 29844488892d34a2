"""Export, erasure and delivery retention, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, String, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from storage.db import session_scope
from storage.models import (
    ActionItem,
    AuditEntry,
    Delivery,
    DeliveryStatus,
    Membership,
    Person,
    PulseAnswer,
    PulseResponse,
    TaskCompletion,
    VoAnswer,
    VoConfirmation,
    table_of,
)
from storage.personal_data import (
    EXPORT_FORMAT,
    erase_person,
    export_person,
    is_pseudonym,
    months_before,
    purge_deliveries,
)
from tests.privacy.seed import (
    KARE_COMMENT,
    KARE_EMAIL,
    KARE_NAME,
    KARE_SLACK,
    OLA_COMMENT,
    OLA_EMAIL,
    OLA_NAME,
    Seeded,
    delivery,
    seed,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
NOBODY = re.escape("nobody@example.org")


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    with session_scope(engine) as session:
        return seed(session)


def pulse_answers(session: Session) -> list[tuple[str, str, str, str]]:
    rows = session.exec(sqlmodel_select(PulseAnswer).order_by(col(PulseAnswer.id))).all()
    return [(a.id, a.unit_id, a.question_id, a.value) for a in rows]


def strings_everywhere(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value) for every non-empty string value in every table of the database."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    found: list[tuple[str, str, str]] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String):
                    continue
                for (value,) in connection.execute(select(column).where(column.is_not(None))):
                    found.append((table.name, column.name, str(value)))
    return found


# --------------------------------------------------------------------------- export


def test_export_holds_the_persons_data(engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as session:
        data = export_person(session, "  Kare.Odegard@EXAMPLE.org ")

    assert data["format"] == EXPORT_FORMAT
    assert data["person"] == {
        "id": seeded.kare_id,
        "email": KARE_EMAIL,
        "name": KARE_NAME,
        "locale": "nb",
        "timezone": "Europe/Oslo",
        "slack_user_id": KARE_SLACK,
        "teams_user_id": "kare-teams-id",
        "teams_aad_object_id": None,
        "teams_tenant_id": None,
        "preferred_platform": None,
        "active": True,
        "paused_until": None,
    }
    assert data["memberships"] == [
        {"unit_id": "INST", "unit_name": "Institutt for fysikk", "role": "leader", "active": True},
        {"unit_id": "INST2", "unit_name": "Institutt for kjemi", "role": "vo", "active": True},
    ]
    assert [
        (c["milestone_id"], c["done_on"], c["archive_ref"]) for c in data["task_completions"]
    ] == [("m05", "2024-09-12", "2024/4711")]
    assert data["task_completions"][0]["recorded_at"] == "2024-09-12T10:00:00+00:00"
    assert [(v["unit_id"], v["answer"], v["comment"]) for v in data["vo_confirmations"]] == [
        ("INST2", "yes", KARE_COMMENT)
    ]
    assert [
        (d["milestone_id"], d["kind"], d["status"], d["error"]) for d in data["deliveries"]
    ] == [
        ("m01", "reminder", "sent", None),
        ("m06", "escalation", "failed", "channel_not_found"),
    ]
    assert data["deliveries"][0]["channel_id"] == "D0KARECHAN"
    assert data["deliveries"][0]["sent_at"] == "2024-09-12T10:00:00+00:00"
    assert [e["action"] for e in data["audit_entries_as_actor"]] == ["task.done", "person.pause"]
    assert [e["action"] for e in data["audit_entries_about"]] == ["person.pause"]
    assert data["pulse_rounds_answered"] == [
        {"cycle_id": "ntnu-ark-2023-2025", "pulse_id": "p1", "round": "2024-09"}
    ]
    # Others' free text that names Kåre: the action's owner, Ola's comment, an audit detail.
    assert sorted((m["table"], m["column"]) for m in data["mentions"]) == [
        ("action_items", "owner"),
        ("audit_log", "detail"),
        ("vo_confirmations", "comment"),
    ]


def test_export_holds_nothing_of_others_and_no_answers(engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as session:
        data = export_person(session, KARE_EMAIL)
    text = json.dumps(data, ensure_ascii=False)
    for other in (OLA_EMAIL, OLA_NAME, "D0OLACHAN", "1726135200.9", "marker-ola", "partly"):
        assert other not in text
    # Pulse answers cannot be linked to anyone: none of their ids or values are exported.
    assert isinstance(data["pulse_answers"], str)
    assert "answer0" not in text
    assert "marker-kare" not in text  # the marker's id says nothing; only the round is listed


def test_export_of_an_unknown_address_is_a_lookup_error(engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as session, pytest.raises(LookupError, match=NOBODY):
        export_person(session, "nobody@example.org")


# --------------------------------------------------------------------------- erasure


def test_erase_removes_personal_data_and_keeps_history(engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as session:
        answers_before = pulse_answers(session)
    with session_scope(engine) as session:
        report = erase_person(session, KARE_EMAIL, now=NOW, actor="dpo@example.org")

    assert report.person_id == seeded.kare_id
    assert is_pseudonym(report.pseudonym)
    assert (
        report.memberships_deleted,
        report.deliveries_deleted,
        report.pulse_markers_deleted,
        report.vo_comments_cleared,
        report.vo_confirmations_detached,
        report.task_completions_detached,
        report.audit_entries_rewritten,
        report.mentions_replaced,
    ) == (2, 2, 1, 1, 1, 1, 2, 3)

    with Session(engine) as session:
        person = session.get(Person, seeded.kare_id)
        assert person is not None
        assert person.email == report.pseudonym
        assert person.name.startswith("erased-")
        assert (person.slack_user_id, person.teams_user_id, person.timezone) == (None, None, None)
        assert person.active is False

        # Only Ola's own data is left in the per-person tables.
        members = session.exec(sqlmodel_select(Membership)).all()
        assert [m.person_id for m in members] == [seeded.ola_id]
        deliveries = session.exec(sqlmodel_select(Delivery)).all()
        assert [d.dedupe_key for d in deliveries] == ["ola-sent"]
        markers = session.exec(sqlmodel_select(PulseResponse)).all()
        assert [m.person_id for m in markers] == [seeded.ola_id]

        # Anonymous answers are untouched, so aggregates are unchanged.
        assert pulse_answers(session) == answers_before

        # The units' history stays, without the person.
        completion = session.exec(sqlmodel_select(TaskCompletion)).one()
        assert (completion.milestone_id, completion.unit_id, completion.done_by) == (
            "m05",
            "INST",
            None,
        )
        assert completion.archive_ref == "2024/4711"
        confirmations = {c.unit_id: c for c in session.exec(sqlmodel_select(VoConfirmation)).all()}
        assert confirmations["INST2"].person_id is None
        assert confirmations["INST2"].comment is None
        assert confirmations["INST2"].answer is VoAnswer.yes
        # Ola's comment named Kåre: the name is replaced, Ola's answer is kept.
        assert confirmations["INST"].person_id == seeded.ola_id
        assert confirmations["INST"].comment == OLA_COMMENT.replace(KARE_NAME, report.pseudonym)
        item = session.exec(sqlmodel_select(ActionItem)).one()
        assert item.owner == report.pseudonym
        assert item.title == "Faste avdelingsmøter"

        # Kåre's actions are still in the log, under the pseudonym; Ola's are unchanged.
        actors = session.exec(
            sqlmodel_select(AuditEntry.actor).where(col(AuditEntry.action) != "person.erased")
        ).all()
        assert sorted(actors) == sorted(["cli", OLA_EMAIL, report.pseudonym, report.pseudonym])

        erased = session.exec(
            sqlmodel_select(AuditEntry).where(col(AuditEntry.action) == "person.erased")
        ).one()
        assert erased.actor == "dpo@example.org"
        assert erased.subject == f"person/{seeded.kare_id}"
        assert erased.at == NOW
        assert json.loads(erased.detail or "{}")["deliveries_deleted"] == 2
        for text in (erased.actor, erased.subject, erased.detail or ""):
            assert KARE_EMAIL not in text
            assert KARE_NAME not in text


def test_erased_address_and_name_are_gone_from_every_table(engine: Engine, seeded: Seeded) -> None:
    before = strings_everywhere(engine)
    assert any(KARE_EMAIL in value for _t, _c, value in before)
    assert any(KARE_NAME in value for _t, _c, value in before)

    with session_scope(engine) as session:
        erase_person(session, KARE_EMAIL, now=NOW, actor="dpo@example.org")

    after = strings_everywhere(engine)
    for secret in (KARE_EMAIL, KARE_NAME, KARE_SLACK, "kare-teams-id", "D0KARECHAN", KARE_COMMENT):
        leaks = [(t, c) for t, c, value in after if secret.casefold() in value.casefold()]
        assert leaks == [], f"{secret!r} still stored in {leaks}"
    # Ola is not affected.
    assert any(value == OLA_EMAIL for _t, _c, value in after)
    assert any(value == OLA_NAME for _t, _c, value in after)


def test_erasing_twice_is_a_clear_lookup_error(engine: Engine, seeded: Seeded) -> None:
    with session_scope(engine) as session:
        report = erase_person(session, KARE_EMAIL, now=NOW, actor="dpo@example.org")
    with session_scope(engine) as session, pytest.raises(LookupError, match="already erased"):
        erase_person(session, KARE_EMAIL, now=NOW, actor="dpo@example.org")
    with Session(engine) as session:
        erasures = session.exec(
            sqlmodel_select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.action) == "person.erased")
        ).one()
        assert erasures == 1
        assert session.get(Person, report.person_id) is not None


def test_unknown_address_cannot_be_erased(engine: Engine, seeded: Seeded) -> None:
    with session_scope(engine) as session, pytest.raises(LookupError, match=NOBODY):
        erase_person(session, "nobody@example.org", now=NOW, actor="cli")
    with Session(engine) as session:
        assert session.exec(sqlmodel_select(func.count()).select_from(Membership)).one() == 3


def test_a_person_erasing_themselves_is_audited_under_the_pseudonym(
    engine: Engine, seeded: Seeded
) -> None:
    with session_scope(engine) as session:
        report = erase_person(session, KARE_EMAIL, now=NOW, actor=KARE_EMAIL.upper())
    with Session(engine) as session:
        erased = session.exec(
            sqlmodel_select(AuditEntry).where(col(AuditEntry.action) == "person.erased")
        ).one()
    assert erased.actor == report.pseudonym


def test_erasure_needs_an_aware_time(engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="timezone-aware"):
        erase_person(session, KARE_EMAIL, now=NOW.replace(tzinfo=None), actor="cli")


# --------------------------------------------------------------------------- retention


def test_purge_deletes_only_old_finished_deliveries(engine: Engine, seeded: Seeded) -> None:
    old = datetime(2024, 1, 10, 8, 0, tzinfo=UTC)
    cutoff = datetime(2024, 12, 15, 12, 0, tzinfo=UTC)  # 18 months before NOW
    with session_scope(engine) as session:
        session.execute(table_of(Delivery).delete())
        for status in DeliveryStatus:
            session.add(
                delivery(seeded.ola_id, f"old-{status.value}", status=status, created_at=old)
            )
        session.add(delivery(seeded.ola_id, "at-cutoff", created_at=cutoff))
        session.add(delivery(seeded.ola_id, "recent", created_at=datetime(2026, 5, 1, tzinfo=UTC)))

    with session_scope(engine) as session:
        deleted = purge_deliveries(session, older_than_months=18, now=NOW, actor="cron")

    assert deleted == 4
    with Session(engine) as session:
        left = session.exec(sqlmodel_select(Delivery.dedupe_key)).all()
        entry = session.exec(
            sqlmodel_select(AuditEntry).where(col(AuditEntry.action) == "deliveries.purged")
        ).one()
    assert sorted(left) == ["at-cutoff", "old-pending", "old-sending", "recent"]
    assert entry.actor == "cron"
    assert json.loads(entry.detail or "{}") == {
        "deleted": 4,
        "older_than_months": 18,
        "created_before": "2024-12-15T12:00:00+00:00",
    }


def test_purge_refuses_a_retention_below_one_month(engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="at least 1"):
        purge_deliveries(session, older_than_months=0, now=NOW)
    with Session(engine) as session:
        assert session.exec(sqlmodel_select(func.count()).select_from(Delivery)).one() == 3


@pytest.mark.parametrize(
    ("at", "months", "expected"),
    [
        (datetime(2025, 3, 31, 9, tzinfo=UTC), 1, datetime(2025, 2, 28, 9, tzinfo=UTC)),
        (datetime(2025, 3, 31, 9, tzinfo=UTC), 13, datetime(2024, 2, 29, 9, tzinfo=UTC)),
        (datetime(2026, 6, 15, 12, tzinfo=UTC), 18, datetime(2024, 12, 15, 12, tzinfo=UTC)),
        (datetime(2026, 1, 1, tzinfo=UTC), 12, datetime(2025, 1, 1, tzinfo=UTC)),
    ],
)
def test_months_before_counts_calendar_months(
    at: datetime, months: int, expected: datetime
) -> None:
    assert months_before(at, months) == expected
