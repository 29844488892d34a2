"""The tables. Every stored time is UTC; local time is computed at the edge."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Table, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Role(StrEnum):
    leader = "leader"
    vo = "vo"
    employee = "employee"
    coordinator = "coordinator"
    losam = "losam"
    leader_support = "leader_support"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    expired = "expired"
    cancelled = "cancelled"


class VoAnswer(StrEnum):
    yes = "yes"
    partly = "partly"
    not_yet = "not_yet"


class ActionState(StrEnum):
    open = "open"
    on_track = "on_track"
    delayed = "delayed"
    done = "done"
    dropped = "dropped"


class ActionArea(StrEnum):
    preserve = "preserve"
    develop = "develop"


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, for bulk statements the ORM would make slow."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found


def str_enum(enum: type[StrEnum], length: int = 32) -> SAEnum:
    """Enums stored as plain strings: adding a value later needs no ALTER TYPE."""
    return SAEnum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


def utc_column(nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Unit(SQLModel, table=True):
    __tablename__ = "units"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    parent_id: str | None = Field(default=None, foreign_key="units.id", index=True, max_length=64)
    level: int
    active: bool = True


class Person(SQLModel, table=True):
    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str = Field(max_length=200)
    locale: str = Field(default="nb", max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    slack_user_id: str | None = Field(default=None, index=True, max_length=32)
    teams_user_id: str | None = Field(default=None, index=True, max_length=128)
    active: bool = True
    # Optional nudges are held back until then; deadline reminders still go.
    paused_until: datetime | None = Field(default=None, sa_column=utc_column())
    # The person's Microsoft Entra object id (Teams' aadObjectId) and their tenant.
    teams_aad_object_id: str | None = Field(default=None, index=True, max_length=64)
    teams_tenant_id: str | None = Field(default=None, max_length=64)
    # "slack", "teams" or None (the deployment's default platform).
    preferred_platform: str | None = Field(default=None, max_length=16)


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", "role", name="uq_membership"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    role: Role = Field(sa_type=str_enum(Role, 32))
    active: bool = True


class TaskCompletion(SQLModel, table=True):
    """A leader's "Done" on a task milestone for one unit: the documentation of completion."""

    __tablename__ = "task_completions"
    __table_args__ = (UniqueConstraint("cycle_id", "milestone_id", "unit_id", name="uq_task_done"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: str = Field(max_length=64)
    milestone_id: str = Field(max_length=64)
    unit_id: str = Field(foreign_key="units.id", max_length=64)
    done_on: date
    done_by: int | None = Field(default=None, foreign_key="people.id")
    archive_ref: str | None = Field(default=None, max_length=100)
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))


class VoConfirmation(SQLModel, table=True):
    """A VO's answer to "were you involved?": documentation of involvement, never an approval."""

    __tablename__ = "vo_confirmations"
    __table_args__ = (
        UniqueConstraint(
            "cycle_id", "milestone_id", "unit_id", "person_id", name="uq_vo_confirmation"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: str = Field(max_length=64)
    milestone_id: str = Field(max_length=64)
    unit_id: str = Field(foreign_key="units.id", max_length=64)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    answer: VoAnswer = Field(sa_type=str_enum(VoAnswer, 16))
    involved_on: date | None = None
    comment: str | None = Field(default=None, max_length=2000)
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))


class ActionItem(SQLModel, table=True):
    """One "tiltak" of a unit's action plan."""

    __tablename__ = "action_items"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: str = Field(max_length=64)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    title: str = Field(max_length=500)
    owner: str | None = Field(default=None, max_length=200)
    due_on: date | None = None
    area: ActionArea = Field(default=ActionArea.develop, sa_type=str_enum(ActionArea, 16))
    state: ActionState = Field(default=ActionState.open, sa_type=str_enum(ActionState, 16))
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class Delivery(SQLModel, table=True):
    """One nudge to one person: the record of what is due, what was sent and what went wrong."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_delivery_dedupe"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_person_sent", "person_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=255)
    cycle_id: str = Field(max_length=64)
    milestone_id: str = Field(max_length=64)
    occurrence: str = Field(max_length=64)
    person_id: int = Field(foreign_key="people.id")
    unit_id: str | None = Field(default=None, max_length=64)
    role: str = Field(max_length=32)
    nudge: str = Field(max_length=32)
    optional: bool = False
    subject_id: int | None = None
    workspace: str = Field(default="default", max_length=64)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending, sa_type=str_enum(DeliveryStatus, 16)
    )
    attempts: int = 0
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    next_attempt_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=utc_column())
    lease_until: datetime | None = Field(default=None, sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    platform: str | None = Field(default=None, max_length=16)
    channel_id: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    actor: str = Field(max_length=254)
    action: str = Field(max_length=64)
    subject: str = Field(max_length=255)
    detail: str | None = Field(default=None, max_length=2000)


class PulseAnswer(SQLModel, table=True):
    """One anonymous answer to one pulse question.

    No person, no time of day, and a random id rather than a sequence: nothing here can be
    joined back to who answered or to when their delivery went out.
    """

    __tablename__ = "pulse_answers"
    # Without a rowid, SQLite stores rows in the order of their random ids, not of arrival.
    __table_args__ = (
        # Covers the aggregation's GROUP BY, so results are read from the index alone.
        Index(
            "ix_pulse_answers_round",
            "cycle_id",
            "pulse_id",
            "round",
            "unit_id",
            "question_id",
            "value",
        ),
        {"sqlite_with_rowid": False},
    )

    id: str = Field(primary_key=True, max_length=32)
    cycle_id: str = Field(max_length=64)
    pulse_id: str = Field(max_length=64)
    round: str = Field(max_length=16)
    unit_id: str = Field(max_length=64)
    question_id: str = Field(max_length=64)
    value: str = Field(max_length=16)
    answered_on: date


class PulseResponse(SQLModel, table=True):
    """Only *that* a person answered a pulse round, so they are not asked again."""

    __tablename__ = "pulse_responses"
    __table_args__ = (
        UniqueConstraint("cycle_id", "pulse_id", "round", "person_id", name="uq_pulse_response"),
        {"sqlite_with_rowid": False},
    )

    id: str = Field(primary_key=True, max_length=32)
    cycle_id: str = Field(max_length=64)
    pulse_id: str = Field(max_length=64)
    round: str = Field(max_length=16)
    person_id: int = Field(foreign_key="people.id", index=True)


class TeamsConversation(SQLModel, table=True):
    """Where to reach a person in Teams: the 1:1 conversation the bot has with them."""

    __tablename__ = "teams_conversations"

    person_id: int = Field(foreign_key="people.id", primary_key=True)
    tenant_id: str | None = Field(default=None, max_length=64)
    conversation_id: str = Field(max_length=255)
    service_url: str = Field(max_length=500)
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class PulseRoundGroup(SQLModel, table=True):
    """A pulse round's groups, frozen at its first answer: the unit tree and how many of the
    pulse's audience each unit held, and the instant the round has closed for all of them.

    The suppression of small groups is decided on these rows, not on today's directory, so a
    later organisation import (a unit split, people moved) cannot reveal a small group by
    comparing results before and after it. One row per unit; `closes_at` (UTC) is the same on
    every row of a round: the end of its last day in the latest time zone of its audience.
    """

    __tablename__ = "pulse_round_groups"

    cycle_id: str = Field(primary_key=True, max_length=64)
    pulse_id: str = Field(primary_key=True, max_length=64)
    round: str = Field(primary_key=True, max_length=16)
    unit_id: str = Field(primary_key=True, max_length=64)
    parent_id: str | None = Field(default=None, max_length=64)
    audience: int = 0
    closes_at: datetime = Field(sa_column=utc_column(nullable=False))


class WorkspaceState(StrEnum):
    active = "active"
    uninstalled = "uninstalled"
    tokens_revoked = "tokens_revoked"


class ChatWorkspace(SQLModel, table=True):
    """A chat workspace (a Slack team) and whether arkbot may still send to it.

    `id` is the key deliveries carry (`Delivery.workspace`, "default" for the one workspace a
    bot token serves). Slack's `app_uninstalled` and `tokens_revoked` events set `state`;
    while it is not `active` the sender fails deliveries to the workspace with a reason
    (`workspace_uninstalled`, `workspace_tokens_revoked`). No row means active.
    """

    __tablename__ = "chat_workspaces"

    id: str = Field(primary_key=True, max_length=64)  # the deliveries' workspace key
    platform: str = Field(default="slack", max_length=16)
    team_id: str | None = Field(default=None, max_length=64)  # Slack's id of the workspace
    state: WorkspaceState = Field(
        default=WorkspaceState.active, sa_type=str_enum(WorkspaceState, 16)
    )
    changed_at: datetime = Field(sa_column=utc_column(nullable=False))


class MilestoneOverride(SQLModel, table=True):
    """A milestone's dates set in the database, overriding the plan file's timing.

    One row per (cycle, milestone); `revision` counts the changes. Every change is also in
    the audit log (who, when, old → new). See `storage.overrides`.
    """

    __tablename__ = "milestone_overrides"
    __table_args__ = (UniqueConstraint("cycle_id", "milestone_id", name="uq_milestone_override"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: str = Field(max_length=64)
    milestone_id: str = Field(max_length=64)
    starts_on: date
    ends_on: date
    revision: int = 1
    set_by: str = Field(max_length=254)
    set_at: datetime = Field(sa_column=utc_column(nullable=False))


class RateBucket(SQLModel, table=True):
    """A platform's rate budget (key `slack:default`, `teams:<tenant>`…), shared by instances.

    Every sender of every instance takes its tokens from this row, so all of them together
    stay under the platform's limit without a coordinator process.
    """

    __tablename__ = "rate_buckets"

    key: str = Field(primary_key=True, max_length=128)
    tokens: float
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
    # A 429 pauses the platform for every instance until then.
    paused_until: datetime | None = Field(default=None, sa_column=utc_column())
