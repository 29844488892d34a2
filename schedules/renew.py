"""A plan for the next cycle, and plans written back to YAML.

`renew_plan` makes the next cycle's plan from this one (``arkbot plan new``). The rule,
which keeps weekdays sensible (also in docs/plan-format.md):

1. The shift is measured on the first anchor given (normally ``survey_start``): the new date
   minus the old one, rounded to whole weeks, so that a Tuesday meeting stays a Tuesday.
   Every anchor given must already be in the plan.
2. The anchors given take their new dates; any other anchor of the plan moves by the shift.
3. Relative dates (``survey_start + 9w``) are kept as written: they follow their anchor.
4. Absolute dates move by the shift. A moved date that falls on a weekend or a Norwegian
   public holiday then moves to the previous working day when it is a deadline (``due``,
   ``confirm_by``), so that nobody gets less time than before, and to the next working day
   otherwise (a ``day``, a window's ``start`` and ``end``, a deadline's ``opens``). Should
   that put a deadline's ``opens`` after its ``due``, it opens on the due day.
5. Months (``month``, ``until``), seasons and the hints of ``tbd`` timings move by whole
   years: round(shift in days / 365.25).
6. The plan gets the new id; four-digit years in its name move by the same whole years.
   Titles, details, audiences, pulses and each row's ``source`` (the wording of the row it
   came from) are kept as they are.

`dump_plan` writes a plan as YAML in the shape of the shipped files: keys in the model's
order, dates as YYYY-MM-DD, relative dates as written (``survey_start + 9w``), Norwegian
letters as they are, and one YAML anchor for a pulse block that several milestones share.
Its output loads back (``check_plan_text``) to an equal plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any, Literal

import holidays
import yaml

from schedules.plan import (
    DateExpr,
    DayTiming,
    DeadlineTiming,
    Milestone,
    MonthTiming,
    Plan,
    SeasonTiming,
    TbdTiming,
    Text,
    Timing,
    WindowTiming,
    YearMonth,
)

Direction = Literal["previous", "next"]
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


class RenewError(ValueError):
    """The new cycle cannot be made from the anchors given."""


@dataclass
class _Shift:
    """How far a new cycle moves: whole weeks for dates, whole years for months and seasons."""

    days: int
    years: int
    _holidays: Any = field(default=None, repr=False)

    def is_working_day(self, day: date) -> bool:
        if self._holidays is None:
            self._holidays = holidays.Norway(years=range(day.year - 1, day.year + 2))
        return day.weekday() < 5 and day not in self._holidays

    def working_day(self, day: date, direction: Direction) -> date:
        step = timedelta(days=-1 if direction == "previous" else 1)
        while not self.is_working_day(day):
            day += step
        return day

    def day(self, expr: DateExpr, direction: Direction) -> DateExpr:
        if expr.anchor is not None:
            return expr  # relative: follows its anchor
        moved = expr.resolve({}) + timedelta(days=self.days)
        return DateExpr(on=self.working_day(moved, direction))

    def month(self, month: YearMonth) -> YearMonth:
        return YearMonth(year=month.year + self.years, month=month.month)

    def text(self, text: Text) -> Text:
        return Text(nb=self._years_in(text.nb), en=self._years_in(text.en))

    def _years_in(self, value: str) -> str:
        return _YEAR.sub(lambda match: str(int(match.group()) + self.years), value)

    def timing(self, when: Timing) -> Timing:
        if isinstance(when, DayTiming):
            return when.model_copy(update={"date": self.day(when.date, "next")})
        if isinstance(when, WindowTiming):
            start, end = self.day(when.start, "next"), self.day(when.end, "next")
            return when.model_copy(update={"start": start, "end": end})
        if isinstance(when, DeadlineTiming):
            due = self.day(when.due, "previous")
            opens = self.day(when.opens, "next") if when.opens is not None else None
            if (
                opens is not None
                and opens.on is not None
                and due.on is not None
                and opens.on > due.on
            ):
                opens = due
            return when.model_copy(update={"due": due, "opens": opens})
        if isinstance(when, MonthTiming):
            until = self.month(when.until) if when.until is not None else None
            return when.model_copy(update={"month": self.month(when.month), "until": until})
        if isinstance(when, SeasonTiming):
            return when.model_copy(update={"year": when.year + self.years})
        assert isinstance(when, TbdTiming)
        hint = self.month(when.hint) if when.hint is not None else None
        return when.model_copy(update={"hint": hint})

    def milestone(self, milestone: Milestone) -> Milestone:
        confirm_by = (
            self.day(milestone.confirm_by, "previous") if milestone.confirm_by is not None else None
        )
        return milestone.model_copy(
            update={"when": self.timing(milestone.when), "confirm_by": confirm_by}
        )


def renew_plan(plan: Plan, *, new_id: str, anchors: dict[str, date]) -> Plan:
    """The plan for a new cycle, by the rule in this module's docstring.

    Raises RenewError when no anchor is given or an anchor is not in the plan.
    """
    if not anchors:
        raise RenewError("give at least one anchor, for example survey_start=2025-11-03")
    unknown = sorted(name for name in anchors if name not in plan.anchors)
    if unknown:
        known = ", ".join(sorted(plan.anchors)) or "none"
        raise RenewError(
            f"the plan has no anchor named {', '.join(map(repr, unknown))} (anchors: {known})"
        )
    first = next(iter(anchors))
    weeks = round((anchors[first] - plan.anchors[first]).days / 7)
    shift = _Shift(days=weeks * 7, years=round(weeks * 7 / 365.25))
    new_anchors = {
        name: anchors.get(name, old + timedelta(days=shift.days))
        for name, old in plan.anchors.items()
    }
    renewed = plan.model_copy(
        update={
            "id": new_id,
            "name": shift.text(plan.name),
            "anchors": new_anchors,
            "milestones": [shift.milestone(milestone) for milestone in plan.milestones],
        }
    )
    # model_copy does not validate; a round through the model does (the id pattern, above all).
    return Plan.model_validate(renewed.model_dump())


# ── Writing a plan as YAML ───────────────────────────────────────────────────────────────


class _Flow(dict[str, Any]):
    """A short mapping written on one line: {type: day, date: 2023-09-21}."""


class _FlowList(list[Any]):
    """A short list written on one line: [7, 17]."""


class _Shared(dict[str, Any]):
    """A block that several milestones share; written once with a YAML anchor."""


class _PlanDumper(yaml.SafeDumper):
    _anchors_made = 0

    def ignore_aliases(self, data: Any) -> bool:
        return not isinstance(data, _Shared)

    def generate_anchor(self, node: yaml.Node) -> str:
        self._anchors_made += 1
        return "default_pulse" if self._anchors_made == 1 else f"pulse_{self._anchors_made}"

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the shipped plans do.
        super().increase_indent(flow, False)


def _flow_map(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


def _flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _block_map(dumper: yaml.SafeDumper, data: _Shared) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=False)


_PlanDumper.add_representer(_Flow, _flow_map)
_PlanDumper.add_representer(_FlowList, _flow_list)
_PlanDumper.add_representer(_Shared, _block_map)


def _plain(value: Any) -> Any:
    """Enums as their values, containers copied; dates and strings as they are."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _milestone_data(data: dict[str, Any], shared: list[_Shared]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "related" and not value:
            continue
        if key == "audience":
            value = _FlowList(_Flow(item) for item in value)
        elif key == "when":
            value = _Flow(value)
        elif key in ("window_reminders", "reminder_offsets", "related"):
            value = _FlowList(value)
        elif key == "pulse":
            value = _share(value, shared)
        out[key] = value
    return out


def _share(block: dict[str, Any], shared: list[_Shared]) -> _Shared:
    """The same object for equal blocks, so that the dumper writes an anchor and aliases."""
    for known in shared:
        if known == block:
            return known
    made = _Shared(block)
    shared.append(made)
    return made


def dump_plan(plan: Plan) -> str:
    """The plan as readable YAML that loads back to an equal plan."""
    data: dict[str, Any] = _plain(plan.model_dump(exclude_none=True))
    shared: list[_Shared] = []
    data["milestones"] = [_milestone_data(item, shared) for item in data["milestones"]]
    text = yaml.dump(
        data,
        Dumper=_PlanDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    # A blank line before each milestone, as in the shipped plans.
    return text.replace("\n  - id: ", "\n\n  - id: ")
