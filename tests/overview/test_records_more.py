"""The Slack app's further domain actions: snooze, pause, language, editing actions, and who
hears "you said, we did". Each is audited, and doing it twice is harmless."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from schedules.clock import FrozenClock
from storage.deliveries import insert_new
from storage.directory import import_org
from storage.models import ActionArea, AuditEntry, Delivery, DeliveryStatus, Person
from storage.queries import person_by_email
from storage.records import (
    add_action_item,
    employees_to_notify,
    pause_person,
    set_locale,
    snooze_delivery,
    update_action_item,
)
from tests.engine.harness import ORG_CSV

NOW = datetime(2024, 3, 25, 10, 0, tzinfo=UTC)
OSLO = ZoneInfo("Europe/Oslo")
# "Tomorrow" at 09:00 in Oslo: Tuesday 26 March 2024, 08:00 UTC.
TOMORROW = datetime(2024, 3, 26, 9, 0, tzinfo=OSLO)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    import_org(engine, ORG_CSV, clock=FrozenClock(NOW), actor="test")
    with Session(engine) as session:
        yield session


def pid(session: Session, email: str) -> int:
    person = person_by_email(session, email, include_inactive=True)
    assert person is not None
    assert person.id is not None
    return person.id


def audits(session: Session, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    if action is not None:
        query = query.where(col(AuditEntry.action) == action)
    return list(session.exec(query))


def delivery_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Delivery)).one()


def sent_reminder(engine: Engine, person_id: int) -> int:
    """A deadline reminder as the planner writes it, already sent; returns its id."""
    row = {
        "dedupe_key": f"test-cycle|prep|r3:IFA|p{person_id}",
        "cycle_id": "test-cycle",
        "milestone_id": "prep",
        "occurrence": "r3:IFA",
        "person_id": person_id,
        "unit_id": "IFA",
        "role": "leader",
        "nudge": "reminder",
        "optional": False,
        "subject_id": None,
        "workspace": "T0001",
        "status": DeliveryStatus.sent.value,
        "attempts": 1,
        "due_at": NOW - timedelta(hours=2),
        "next_attempt_at": NOW - timedelta(hours=2),
        "expires_at": datetime(2024, 4, 1, tzinfo=UTC),
        "sent_at": NOW - timedelta(hours=2),
        "created_at": NOW - timedelta(days=1),
    }
    assert insert_new(engine, [row]) == 1
    with Session(engine) as session:
        found = session.exec(select(Delivery).where(Delivery.dedupe_key == row["dedupe_key"]))
        delivery_id = found.one().id
    assert delivery_id is not None
    return delivery_id


# ---------------------------------------------------------------------------- snooze


def test_snooze_twice_makes_one_new_delivery(engine: Engine, session: Session) -> None:
    anne = pid(session, "leder.a@example.org")
    original_id = sent_reminder(engine, anne)
    copy_id = snooze_delivery(
        session, delivery_id=original_id, person_id=anne, until=TOMORROW, now=NOW, actor="U0ANNE"
    )
    session.commit()
    again = snooze_delivery(
        session, delivery_id=original_id, person_id=anne, until=TOMORROW, now=NOW, actor="U0ANNE"
    )
    session.commit()
    assert copy_id is not None
    assert again is None
    copy = session.get(Delivery, copy_id)
    assert copy is not None
    assert delivery_count(session) == 2
    assert copy.occurrence == "r3:IFA:snooze:2024-03-26"
    assert copy.dedupe_key == f"test-cycle|prep|r3:IFA:snooze:2024-03-26|p{anne}"
    assert (copy.cycle_id, copy.milestone_id, copy.unit_id, copy.role, copy.nudge) == (
        "test-cycle",
        "prep",
        "IFA",
        "leader",
        "reminder",
    )
    assert (copy.workspace, copy.optional, copy.subject_id) == ("T0001", False, None)
    assert (copy.status, copy.attempts, copy.sent_at) == (DeliveryStatus.pending, 0, None)
    assert copy.due_at == copy.next_attempt_at == datetime(2024, 3, 26, 8, 0, tzinfo=UTC)
    assert copy.expires_at == datetime(2024, 4, 1, tzinfo=UTC)
    assert copy.created_at == NOW
    original = session.get(Delivery, original_id)
    assert original is not None
    assert original.status is DeliveryStatus.sent
    entries = audits(session, "delivery.snooze")
    assert [(e.actor, e.subject) for e in entries] == [("U0ANNE", f"delivery/{original_id}")]


def test_snoozing_a_snoozed_reminder_does_not_nest(engine: Engine, session: Session) -> None:
    anne = pid(session, "leder.a@example.org")
    first = snooze_delivery(
        session,
        delivery_id=sent_reminder(engine, anne),
        person_id=anne,
        until=TOMORROW,
        now=NOW,
        actor="anne",
    )
    assert first is not None
    second_id = snooze_delivery(
        session,
        delivery_id=first,
        person_id=anne,
        until=TOMORROW + timedelta(days=1),
        now=NOW + timedelta(days=1),
        actor="anne",
    )
    second = session.get(Delivery, second_id) if second_id is not None else None
    assert second is not None
    assert second.occurrence == "r3:IFA:snooze:2024-03-27"


def test_snooze_day_is_the_persons_local_day(engine: Engine, session: Session) -> None:
    per = pid(session, "ansatt3@example.org")  # America/New_York
    until = datetime(2024, 3, 26, 2, 0, tzinfo=UTC)  # still 25 March in New York
    copy_id = snooze_delivery(
        session,
        delivery_id=sent_reminder(engine, per),
        person_id=per,
        until=until,
        now=NOW,
        actor="per",
    )
    copy = session.get(Delivery, copy_id) if copy_id is not None else None
    assert copy is not None
    assert copy.occurrence.endswith(":snooze:2024-03-25")


def test_snoozing_someone_elses_message_is_refused(engine: Engine, session: Session) -> None:
    anne, ola = pid(session, "leder.a@example.org"), pid(session, "ansatt1@example.org")
    original_id = sent_reminder(engine, anne)
    before = len(audits(session))
    with pytest.raises(ValueError, match="not sent to"):
        snooze_delivery(
            session, delivery_id=original_id, person_id=ola, until=TOMORROW, now=NOW, actor="ola"
        )
    session.commit()
    assert delivery_count(session) == 1
    assert len(audits(session)) == before
    with pytest.raises(ValueError, match="no delivery"):
        snooze_delivery(
            session, delivery_id=987_654, person_id=ola, until=TOMORROW, now=NOW, actor="ola"
        )
    naive = datetime(2024, 3, 26, 9, 0)  # noqa: DTZ001 (the point of the test)
    with pytest.raises(ValueError, match="timezone-aware"):
        snooze_delivery(
            session, delivery_id=original_id, person_id=anne, until=naive, now=NOW, actor="a"
        )
    assert delivery_count(session) == 1


# ---------------------------------------------------------------------------- pause, locale


def test_pause_and_resume(session: Session) -> None:
    ola = pid(session, "ansatt1@example.org")
    until = datetime(2024, 4, 1, 22, tzinfo=UTC)
    person = pause_person(session, person_id=ola, until=until, now=NOW, actor="ola")
    pause_person(session, person_id=ola, until=until, now=NOW, actor="ola")  # again: no change
    session.commit()
    assert person.paused_until == until
    stored = session.get(Person, ola)
    assert stored is not None
    assert stored.paused_until == until
    assert [(e.action, e.subject, e.detail) for e in audits(session, "person.pause")] == [
        ("person.pause", f"person/{ola}", until.isoformat())
    ]
    pause_person(session, person_id=ola, until=None, now=NOW, actor="ola")
    pause_person(session, person_id=ola, until=None, now=NOW, actor="ola")  # again: no change
    session.commit()
    session.refresh(stored)
    assert stored.paused_until is None
    assert len(audits(session, "person.resume")) == 1


def test_pause_must_end_in_the_future(session: Session) -> None:
    ola = pid(session, "ansatt1@example.org")
    with pytest.raises(ValueError, match="future"):
        pause_person(session, person_id=ola, until=NOW, now=NOW, actor="ola")
    with pytest.raises(ValueError, match="no person"):
        pause_person(session, person_id=987_654, until=None, now=NOW, actor="x")
    assert audits(session, "person.pause") == []


def test_resuming_after_the_pause_ran_out_writes_nothing(session: Session) -> None:
    ola = pid(session, "ansatt1@example.org")
    pause_person(session, person_id=ola, until=NOW + timedelta(days=1), now=NOW, actor="ola")
    later = NOW + timedelta(days=2)
    pause_person(session, person_id=ola, until=None, now=later, actor="ola")
    assert audits(session, "person.resume") == []


def test_set_locale(session: Session) -> None:
    ola = pid(session, "ansatt1@example.org")
    person = set_locale(session, person_id=ola, locale=" EN ", now=NOW, actor="ola")
    set_locale(session, person_id=ola, locale="en", now=NOW, actor="ola")  # again: no change
    session.commit()
    assert person.locale == "en"
    assert [(e.subject, e.detail) for e in audits(session, "person.locale")] == [
        (f"person/{ola}", "en")
    ]


def test_set_locale_refuses_other_languages(session: Session) -> None:
    ola = pid(session, "ansatt1@example.org")
    with pytest.raises(ValueError, match="unknown locale"):
        set_locale(session, person_id=ola, locale="de", now=NOW, actor="ola")
    session.rollback()
    stored = session.get(Person, ola)
    assert stored is not None
    assert stored.locale == "nb"
    assert audits(session, "person.locale") == []


# ---------------------------------------------------------------------------- action items


def test_update_action_item_is_audited(session: Session) -> None:
    item = add_action_item(
        session,
        cycle_id="test-cycle",
        unit_id="IFA",
        title="Felles lunsj",
        now=NOW,
        actor="anne",
        owner="Anne",
    )
    later = NOW + timedelta(days=1)
    update_action_item(
        session,
        item,
        title="  Felles lunsj hver fredag ",
        owner="",
        due_on=date(2024, 6, 1),
        area=ActionArea.preserve,
        now=later,
        actor="anne",
    )
    session.commit()
    session.refresh(item)
    assert (item.title, item.owner, item.due_on, item.area) == (
        "Felles lunsj hver fredag",
        None,
        date(2024, 6, 1),
        ActionArea.preserve,
    )
    assert item.updated_at == later
    entries = audits(session, "action.update")
    assert [(e.actor, e.subject) for e in entries] == [("anne", f"test-cycle/IFA/{item.id}")]
    assert entries[0].detail is not None
    assert "title=Felles lunsj hver fredag" in entries[0].detail
    assert "owner=None" in entries[0].detail


def test_update_action_item_twice_is_harmless(session: Session) -> None:
    item = add_action_item(
        session, cycle_id="test-cycle", unit_id="IFA", title="Lunsj", now=NOW, actor="anne"
    )
    update_action_item(session, item, owner="Ola", now=NOW, actor="anne")
    update_action_item(session, item, owner="Ola", now=NOW + timedelta(hours=1), actor="anne")
    session.commit()
    assert item.updated_at == NOW
    assert len(audits(session, "action.update")) == 1
    with pytest.raises(ValueError, match="title"):
        update_action_item(session, item, title="   ", now=NOW, actor="anne")


# ---------------------------------------------------------------------------- you said, we did


def test_employees_to_notify(engine: Engine, session: Session) -> None:
    assert [p.email for p in employees_to_notify(session, "IFA")] == [
        "ansatt2@example.org",  # Emma Employee
        "ansatt1@example.org",  # Ola Ansatt
    ]
    assert [p.email for p in employees_to_notify(session, "FAK")] == []
    # Ola leaves IFA.
    leaving = "".join(line for line in ORG_CSV.splitlines(keepends=True) if "ansatt1@" not in line)
    import_org(engine, leaving, clock=FrozenClock(NOW), actor="test")
    session.expire_all()
    assert [p.email for p in employees_to_notify(session, "IFA")] == ["ansatt2@example.org"]
