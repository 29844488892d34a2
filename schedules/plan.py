"""The progress plan as typed data.

A plan file names its cycle, its anchors (named dates such as the survey's first day) and its
milestones. Every milestone has a phase, a title in nb and en, an audience, a kind of nudge and
a timing. Timings may be exact (a day, a window, a deadline) or vague (a month, part of a
month, a season) or not known yet; vague ones stay vague here and are resolved by the single
rule in `schedules.timing`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from storage.models import Role

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_EXPR = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(?:([+-])\s*(\d+)\s*([dw]))?\s*$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A user-facing text in both languages the bot speaks."""

    nb: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.nb


class MilestoneKind(StrEnum):
    information = "information"
    task = "task"
    window = "window"
    agenda = "agenda"
    checkin = "checkin"
    vo_meeting = "vo_meeting"
    pulse = "pulse"


class DateExpr(Strict):
    """A date written either as a calendar date or relative to a named anchor."""

    anchor: str | None = None
    on: date | None = None
    offset_days: int = 0

    @classmethod
    def parse(cls, value: object) -> DateExpr:
        if isinstance(value, DateExpr):
            return value
        if isinstance(value, date):
            return cls(on=value)
        if isinstance(value, str):
            try:
                return cls(on=date.fromisoformat(value.strip()))
            except ValueError:
                pass
            match = _EXPR.match(value)
            if match:
                anchor, sign, amount, unit = match.groups()
                days = int(amount or 0) * (7 if unit == "w" else 1)
                return cls(anchor=anchor, offset_days=-days if sign == "-" else days)
        raise ValueError(
            f"{value!r} is not a date: write YYYY-MM-DD or an anchor with an offset, "
            "such as 'survey_start + 9w' or 'survey_start - 3d'"
        )

    def resolve(self, anchors: dict[str, date]) -> date:
        if self.on is not None:
            return self.on + timedelta(days=self.offset_days)
        assert self.anchor is not None
        return anchors[self.anchor] + timedelta(days=self.offset_days)

    def render(self) -> str | date:
        if self.on is not None:
            return self.on
        if not self.offset_days:
            return str(self.anchor)
        sign = "-" if self.offset_days < 0 else "+"
        days = abs(self.offset_days)
        amount = f"{days // 7}w" if days % 7 == 0 else f"{days}d"
        return f"{self.anchor} {sign} {amount}"


class YearMonth(Strict):
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)

    @classmethod
    def parse(cls, value: object) -> YearMonth:
        if isinstance(value, YearMonth):
            return value
        if isinstance(value, str):
            match = _YEAR_MONTH.match(value.strip())
            if match and 1 <= int(match.group(2)) <= 12:
                return cls(year=int(match.group(1)), month=int(match.group(2)))
        raise ValueError(f"{value!r} is not a month: write YYYY-MM, for example 2023-10")

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


PlanDate = Annotated[
    DateExpr, BeforeValidator(DateExpr.parse), PlainSerializer(lambda value: value.render())
]
Month = Annotated[YearMonth, BeforeValidator(YearMonth.parse), PlainSerializer(str)]


class _Timing(Strict):
    pass


class DayTiming(_Timing):
    """One day, optionally with a time of day as the seed gives it ("09:30-11:30")."""

    type: Literal["day"]
    date: PlanDate
    time: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}(-\d{2}:\d{2})?$")


class WindowTiming(_Timing):
    """A period to take part in, both ends inclusive ("6.–27. november")."""

    type: Literal["window"]
    start: PlanDate
    end: PlanDate


class DeadlineTiming(_Timing):
    """A deadline ("Frist 13. oktober"), optionally with the day the work opens."""

    type: Literal["deadline"]
    due: PlanDate
    opens: PlanDate | None = None


class MonthTiming(_Timing):
    """A month ("Oktober"), a run of months ("Feb. – april") or part of one ("Medio sept.")."""

    type: Literal["month"]
    month: Month
    until: Month | None = None
    part: Literal["early", "mid", "late"] | None = None

    @model_validator(mode="after")
    def _order(self) -> MonthTiming:
        if self.until is not None:
            if (self.until.year, self.until.month) < (self.month.year, self.month.month):
                raise ValueError(f"until {self.until} is before month {self.month}")
            if self.part is not None:
                raise ValueError("part applies to a single month, not to a run of months")
        return self


class SeasonTiming(_Timing):
    """A season ("Høst", "Vår"); its bounds come from the plan's `seasons`."""

    type: Literal["season"]
    season: Literal["spring", "autumn"]
    year: int = Field(ge=2000, le=2100)


class TbdTiming(_Timing):
    """Not known yet ("Dato kommer"): produces no nudge and a warning from `plan check`."""

    type: Literal["tbd"]
    hint: Month | None = None


Timing = Annotated[
    DayTiming | WindowTiming | DeadlineTiming | MonthTiming | SeasonTiming | TbdTiming,
    Field(discriminator="type"),
]


class Audience(Strict):
    role: Role
    level: int | None = Field(default=None, ge=1, le=5)


class PulseQuestion(Strict):
    id: str = Field(pattern=ID_PATTERN)
    text: Text
    scale: Literal["1-5", "yes_no_unsure"]


class PulseSpec(Strict):
    questions: list[PulseQuestion] = Field(min_length=1, max_length=5)
    cadence_days: int = Field(default=42, ge=7, le=365)
    open_days: int = Field(default=7, ge=1, le=60)


class Milestone(Strict):
    id: str = Field(pattern=ID_PATTERN)
    phase: int = Field(ge=1, le=5)
    kind: MilestoneKind
    title: Text
    details: Text | None = None
    audience: list[Audience] = Field(min_length=1)
    when: Timing
    # Tasks: working days before the deadline at which reminders go (default from settings).
    reminder_offsets: list[int] | None = None
    # Windows: days after the opening day for the (at most two) reminders.
    window_reminders: list[int] | None = Field(default=None, max_length=2)
    # VO meeting points: the day by which the VO should have been involved.
    confirm_by: PlanDate | None = None
    related: list[str] = Field(default_factory=list)
    # Reminders offer a calendar file (.ics) inviting the unit to a meeting (the follow-up).
    calendar_invite: bool = False
    pulse: PulseSpec | None = None
    source: str | None = Field(default=None, description="The seed's own wording of the row")

    @field_validator("reminder_offsets", "window_reminders")
    @classmethod
    def _non_negative(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(offset < 0 for offset in value):
            raise ValueError("offsets are counted in days and cannot be negative")
        return value

    @model_validator(mode="after")
    def _kind_fits(self) -> Milestone:
        if self.kind is MilestoneKind.pulse and self.pulse is None:
            raise ValueError("a pulse milestone needs a `pulse:` block with its questions")
        if self.kind is not MilestoneKind.pulse and self.pulse is not None:
            raise ValueError("only a milestone of kind pulse may have a `pulse:` block")
        if self.kind is MilestoneKind.task and self.when.type in ("window", "season"):
            raise ValueError(
                "a task needs a deadline, a day or a month (whose last day is its deadline)"
            )
        if self.window_reminders is not None and self.kind is not MilestoneKind.window:
            raise ValueError("window_reminders only apply to a window milestone")
        if self.calendar_invite and self.kind is not MilestoneKind.task:
            raise ValueError("calendar_invite only applies to a task milestone")
        if self.reminder_offsets is not None and self.kind is not MilestoneKind.task:
            raise ValueError("reminder_offsets only apply to a task milestone")
        return self


class SeasonBounds(Strict):
    start: str = Field(pattern=_MONTH_DAY.pattern)
    end: str = Field(pattern=_MONTH_DAY.pattern)

    @field_validator("start", "end")
    @classmethod
    def _day_of_year(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        try:
            date(2023, month, day)  # not a leap year: 02-29 would fail three years in four
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the year (MM-DD)") from None
        return value

    def resolve(self, year: int) -> tuple[date, date]:
        start_month, start_day = (int(part) for part in self.start.split("-"))
        end_month, end_day = (int(part) for part in self.end.split("-"))
        return date(year, start_month, start_day), date(year, end_month, end_day)


def _default_seasons() -> dict[Literal["spring", "autumn"], SeasonBounds]:
    return {
        "spring": SeasonBounds(start="01-15", end="06-15"),
        "autumn": SeasonBounds(start="08-15", end="12-15"),
    }


class Plan(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    timezone: str = "Europe/Oslo"
    anchors: dict[str, date] = Field(default_factory=dict)
    seasons: dict[Literal["spring", "autumn"], SeasonBounds] = Field(
        default_factory=_default_seasons
    )
    milestones: list[Milestone] = Field(min_length=1)

    @field_validator("anchors")
    @classmethod
    def _anchor_names(cls, value: dict[str, date]) -> dict[str, date]:
        for name in value:
            if not re.match(r"^[a-z_][a-z0-9_]*$", name):
                raise ValueError(f"anchor name {name!r} must be lower_snake_case")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    def milestone(self, milestone_id: str) -> Milestone:
        for milestone in self.milestones:
            if milestone.id == milestone_id:
                return milestone
        raise KeyError(milestone_id)
