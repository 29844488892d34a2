"""Where things stand: what a person has due and done, and every unit's status.

Read-only views over the directory, the plan and what people recorded; the App Home, `/ark
status`, `/ark report` and (later) the coordinator's reports render these. Everything here is
computed for a given local `today`; nothing asks the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from schedules.plan import Text
from storage.models import ActionArea, ActionState, Role, VoAnswer

TaskState = Literal["done", "done_late", "due", "late", "upcoming", "unknown"]


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """A task milestone for one unit."""

    milestone_id: str
    title: Text
    unit_id: str
    unit_name: str
    phase: int
    starts_on: date | None
    due_on: date | None
    # done, done_late (after the deadline), due (open, deadline ahead), late (open, deadline
    # passed), upcoming (not open yet), unknown (date not set)
    state: TaskState
    done_on: date | None = None
    done_by: str | None = None  # the name of who marked it done
    archive_ref: str | None = None


@dataclass(frozen=True, slots=True)
class VoPointStatus:
    """One leader–VO meeting point for one unit: has the VO confirmed involvement?"""

    milestone_id: str
    title: Text
    unit_id: str
    asked_on: date | None  # the day the question goes (or went) out; None when not known
    confirm_by: date | None
    answer: VoAnswer | None = None
    answered_on: date | None = None
    comment: str | None = None
    # No "yes" or "partly" and the confirm-by day (or, without one, the asking day + 14) passed.
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class ActionItemStatus:
    id: int
    unit_id: str
    title: str
    owner: str | None
    due_on: date | None
    area: ActionArea
    state: ActionState
    note: str | None = None


@dataclass(frozen=True, slots=True)
class UnitStatus:
    unit_id: str
    name: str
    level: int
    tasks: list[TaskStatus] = field(default_factory=list)
    vo_points: list[VoPointStatus] = field(default_factory=list)
    actions: list[ActionItemStatus] = field(default_factory=list)
    failed_deliveries: int = 0

    @property
    def done(self) -> int:
        return sum(1 for task in self.tasks if task.state in ("done", "done_late"))

    @property
    def due(self) -> int:
        return sum(1 for task in self.tasks if task.state == "due")

    @property
    def late(self) -> int:
        return sum(1 for task in self.tasks if task.state == "late")

    @property
    def urgency(self) -> tuple[int, int, int, str]:
        """Sort key, most urgent first: late tasks, overdue VO points, tasks due, then name."""
        overdue_vo = sum(1 for point in self.vo_points if point.overdue)
        return (-self.late, -overdue_vo, -self.due, self.name)


@dataclass(frozen=True, slots=True)
class Membership:
    unit_id: str
    unit_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class PersonHome:
    """What one person sees on their App Home."""

    person_id: int
    name: str
    locale: str
    memberships: list[Membership]
    due: list[TaskStatus]  # tasks of units they lead, not done, date known, soonest first
    done: list[TaskStatus]  # tasks they (or their unit) marked done, newest first
    vo_open: list[VoPointStatus]  # meeting points where they are the VO and have not said yes
    units: list[UnitStatus]  # units they lead or are VO for
    area: list[UnitStatus]  # coordinators: every unit of their area, most urgent first; else []
    paused_until: date | None = None
