"""A small directory with a history, for the privacy tests.

Kåre Ødegård leads INST and is VO of INST2; Ola Hansen is VO of INST. Both have deliveries,
audit entries and pulse markers; INST has five anonymous pulse answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session

from storage.models import (
    ActionItem,
    AuditEntry,
    Delivery,
    DeliveryStatus,
    Membership,
    Person,
    PulseAnswer,
    PulseResponse,
    Role,
    TaskCompletion,
    Unit,
    VoAnswer,
    VoConfirmation,
)

KARE_EMAIL = "kare.odegard@example.org"
KARE_NAME = "Kåre Ødegård"
OLA_EMAIL = "ola.hansen@example.org"
OLA_NAME = "Ola Hansen"
KARE_SLACK = "U0KARE0001"
OLA_SLACK = "U0OLA00001"
KARE_COMMENT = "Vi møttes 12. september og gikk gjennom skjemaet."
OLA_COMMENT = "Kåre Ødegård inviterte meg i god tid."
AT = datetime(2024, 9, 12, 10, 0, tzinfo=UTC)
CYCLE = "ntnu-ark-2023-2025"


@dataclass(frozen=True)
class Seeded:
    kare_id: int
    ola_id: int


def delivery(
    person_id: int,
    key: str,
    *,
    status: DeliveryStatus = DeliveryStatus.sent,
    created_at: datetime = AT,
    nudge: str = "reminder",
    milestone_id: str = "m01",
    channel_id: str | None = None,
    message_id: str | None = None,
    error: str | None = None,
) -> Delivery:
    return Delivery(
        dedupe_key=key,
        cycle_id=CYCLE,
        milestone_id=milestone_id,
        occurrence="2024-09-12",
        person_id=person_id,
        unit_id="INST",
        role="leader",
        nudge=nudge,
        status=status,
        attempts=1,
        due_at=created_at,
        next_attempt_at=created_at,
        sent_at=created_at if status is DeliveryStatus.sent else None,
        channel_id=channel_id,
        message_id=message_id,
        error=error,
        created_at=created_at,
    )


def seed(session: Session) -> Seeded:
    session.add(Unit(id="NTNU", name="NTNU", level=1))
    session.add(Unit(id="FAK", name="Fakultet for naturvitenskap", parent_id="NTNU", level=2))
    session.add(Unit(id="INST", name="Institutt for fysikk", parent_id="FAK", level=3))
    session.add(Unit(id="INST2", name="Institutt for kjemi", parent_id="FAK", level=3))
    session.flush()
    kare = Person(
        email=KARE_EMAIL,
        name=KARE_NAME,
        timezone="Europe/Oslo",
        slack_user_id=KARE_SLACK,
        teams_user_id="kare-teams-id",
    )
    ola = Person(email=OLA_EMAIL, name=OLA_NAME, slack_user_id=OLA_SLACK)
    session.add(kare)
    session.add(ola)
    session.flush()
    assert kare.id is not None
    assert ola.id is not None
    session.add(Membership(person_id=kare.id, unit_id="INST", role=Role.leader))
    session.add(Membership(person_id=kare.id, unit_id="INST2", role=Role.vo))
    session.add(Membership(person_id=ola.id, unit_id="INST", role=Role.vo))
    session.add(
        TaskCompletion(
            cycle_id=CYCLE,
            milestone_id="m05",
            unit_id="INST",
            done_on=date(2024, 9, 12),
            done_by=kare.id,
            archive_ref="2024/4711",
            recorded_at=AT,
        )
    )
    session.add(
        VoConfirmation(
            cycle_id=CYCLE,
            milestone_id="vo1",
            unit_id="INST2",
            person_id=kare.id,
            answer=VoAnswer.yes,
            involved_on=date(2024, 9, 12),
            comment=KARE_COMMENT,
            recorded_at=AT,
        )
    )
    session.add(
        VoConfirmation(
            cycle_id=CYCLE,
            milestone_id="vo1",
            unit_id="INST",
            person_id=ola.id,
            answer=VoAnswer.partly,
            comment=OLA_COMMENT,
            recorded_at=AT,
        )
    )
    session.add(
        ActionItem(
            cycle_id=CYCLE,
            unit_id="INST",
            title="Faste avdelingsmøter",
            owner=KARE_NAME,
            created_at=AT,
            updated_at=AT,
        )
    )
    session.add(
        delivery(kare.id, "kare-sent", channel_id="D0KARECHAN", message_id="1726135200.000100")
    )
    session.add(
        delivery(
            kare.id,
            "kare-failed",
            status=DeliveryStatus.failed,
            nudge="escalation",
            milestone_id="m06",
            error="channel_not_found",
        )
    )
    session.add(delivery(ola.id, "ola-sent", channel_id="D0OLACHAN", message_id="1726135200.9"))
    session.add(
        AuditEntry(at=AT, actor=KARE_EMAIL, action="task.done", subject=f"{CYCLE}/m05/INST")
    )
    session.add(
        AuditEntry(
            at=AT,
            actor=KARE_EMAIL,
            action="person.pause",
            subject=f"person/{kare.id}",
            detail="2024-10-01T00:00:00+00:00",
        )
    )
    session.add(AuditEntry(at=AT, actor=OLA_EMAIL, action="vo.answer", subject=f"{CYCLE}/vo1"))
    session.add(
        AuditEntry(
            at=AT,
            actor="cli",
            action="action.update",
            subject=f"{CYCLE}/INST/1",
            detail=f"owner={KARE_NAME}",
        )
    )
    for number, value in enumerate(["5", "4", "4", "3", "5"]):
        session.add(
            PulseAnswer(
                id=f"answer{number:02d}",
                cycle_id=CYCLE,
                pulse_id="p1",
                round="2024-09",
                unit_id="INST",
                question_id="q1",
                value=value,
                answered_on=date(2024, 9, 12),
            )
        )
    session.add(
        PulseResponse(
            id="marker-kare", cycle_id=CYCLE, pulse_id="p1", round="2024-09", person_id=kare.id
        )
    )
    session.add(
        PulseResponse(
            id="marker-ola", cycle_id=CYCLE, pulse_id="p1", round="2024-09", person_id=ola.id
        )
    )
    session.flush()
    return Seeded(kare_id=kare.id, ola_id=ola.id)
