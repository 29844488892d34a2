"""Reading plan files: YAML in, a validated `Plan` out, or every problem with its line and field."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from schedules.plan import DateExpr, DayTiming, DeadlineTiming, Plan, TbdTiming, WindowTiming
from schedules.timing import resolve

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class PlanIssue:
    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.field}: {self.message}"


class PlanInvalid(Exception):
    def __init__(self, issues: list[PlanIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


Loc = tuple[str | int, ...]


_TIMING_TAGS = {"day", "window", "deadline", "month", "season", "tbd"}


def _is_union_tag(node: yaml.MappingNode, part: str | int) -> bool:
    """Whether `part` is the tag pydantic puts in a timing's path (the value of its `type`)."""
    return part in _TIMING_TAGS and any(
        key.value == "type" and getattr(value, "value", None) == part for key, value in node.value
    )


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the YAML node a validation path points at (or its nearest parent)."""
    node = root
    tag_skipped: yaml.Node | None = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            if _is_union_tag(node, part) and tag_skipped is not node:
                tag_skipped = node
                continue
            for key, value in node.value:
                if key.value == part:
                    node = value
                    break
            # A part that is no key (a union tag pydantic adds) keeps the current node.
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
            else:
                break
        else:
            break
    return node.start_mark.line + 1 if node is not None else None


def _field(loc: Loc, data: Any) -> str:
    """A readable field path: milestones[3] (survey).when.start."""
    out: list[str] = []
    current = data
    tag_skipped: Any = None
    for part in loc:
        is_tag = part in _TIMING_TAGS and isinstance(current, dict) and current.get("type") == part
        if is_tag and tag_skipped is not current:
            tag_skipped = current  # pydantic's union tag, not the key of the same name
            continue
        if isinstance(part, int):
            label = f"[{part}]"
            if isinstance(current, list) and 0 <= part < len(current):
                current = current[part]
                if isinstance(current, dict) and isinstance(current.get("id"), str):
                    label += f" ({current['id']})"
            out.append(label)
        elif isinstance(current, dict) and part in current:
            current = current[part]
            out.append(("." if out else "") + part)
        elif isinstance(current, dict):
            # Union tags (e.g. 'deadline') are noise for a reader; a missing key is not.
            if (
                part in {"day", "window", "deadline", "month", "season", "tbd"}
                and "type" in current
            ):
                continue
            out.append(("." if out else "") + str(part))
            current = None
        else:
            out.append(("." if out else "") + str(part))
    return "".join(out) or "(file)"


class _PlanLoader(yaml.SafeLoader):
    """SafeLoader that keeps an impossible date (2023-13-01) as text, for the model to report."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_PlanLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _parse_yaml(text: str, file: str) -> tuple[yaml.Node | None, Any]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise PlanInvalid([PlanIssue(file, line, "(yaml)", f"not valid YAML: {problem}")]) from None
    if root is None:
        raise PlanInvalid([PlanIssue(file, None, "(file)", "the plan file is empty")])
    loader = _PlanLoader(text)
    try:
        data = loader.construct_document(root)
    finally:
        loader.dispose()
    return root, data


def _semantic_issues(plan: Plan, root: yaml.Node | None, data: Any, file: str) -> list[PlanIssue]:
    issues: list[PlanIssue] = []

    def add(loc: Loc, message: str, severity: Severity = "error") -> None:
        issues.append(PlanIssue(file, _line_of(root, loc), _field(loc, data), message, severity))

    for key, loc in _duplicate_keys(root):
        # YAML keeps only the last of two equal keys, so a pasted line would win silently.
        message = f"the key {key.value!r} is given twice here"
        issues.append(PlanIssue(file, key.start_mark.line + 1, _field(loc, data), message))
    counts = Counter(milestone.id for milestone in plan.milestones)
    ids = set(counts)
    for index, milestone in enumerate(plan.milestones):
        base: Loc = ("milestones", index)
        first_issue = len(issues)
        if counts[milestone.id] > 1:
            add((*base, "id"), f"milestone id {milestone.id!r} is used more than once")
        for related_index, related in enumerate(milestone.related):
            if related not in ids:
                add((*base, "related", related_index), f"no milestone has the id {related!r}")
        for name, expr in _date_exprs(milestone):
            if expr.anchor is not None and expr.anchor not in plan.anchors:
                known = ", ".join(sorted(plan.anchors)) or "none are defined"
                add((*base, *name), f"unknown anchor {expr.anchor!r} (anchors: {known})")
        if any(issue.severity == "error" for issue in issues[first_issue:]):
            continue
        when = milestone.when
        span = resolve(plan, milestone)
        if isinstance(when, WindowTiming) and span and span.starts_on > span.ends_on:
            add(
                (*base, "when", "end"),
                f"the window ends ({span.ends_on}) before it starts ({span.starts_on})",
            )
        if isinstance(when, DeadlineTiming) and span and span.starts_on > span.ends_on:
            add(
                (*base, "when", "opens"),
                f"opens {span.starts_on}, after the deadline {span.ends_on}",
            )
        if milestone.confirm_by is not None and span is not None:
            confirm_by = milestone.confirm_by.resolve(plan.anchors)
            if confirm_by < span.starts_on:
                add(
                    (*base, "confirm_by"),
                    f"confirm_by {confirm_by} is before the meeting period starts",
                )
        if isinstance(when, TbdTiming):
            add(
                (*base, "when"),
                "the date is not known yet: no nudge is sent until it is set",
                "warning",
            )
    return issues


def _duplicate_keys(root: yaml.Node | None) -> list[tuple[yaml.ScalarNode, Loc]]:
    """Every key that repeats an earlier key of the same mapping, with its path."""
    found: list[tuple[yaml.ScalarNode, Loc]] = []
    visited: set[int] = set()

    def walk(node: yaml.Node | None, loc: Loc) -> None:
        if node is None or id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in keys:
                        found.append((key, (*loc, key.value)))
                    keys.add(key.value)
                    walk(value, (*loc, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))

    walk(root, ())
    return found


def _date_exprs(milestone: Any) -> list[tuple[Loc, DateExpr]]:
    when = milestone.when
    found: list[tuple[Loc, DateExpr]] = []
    if isinstance(when, DayTiming):
        found.append((("when", "date"), when.date))
    elif isinstance(when, WindowTiming):
        found += [(("when", "start"), when.start), (("when", "end"), when.end)]
    elif isinstance(when, DeadlineTiming):
        found.append((("when", "due"), when.due))
        if when.opens is not None:
            found.append((("when", "opens"), when.opens))
    if milestone.confirm_by is not None:
        found.append((("confirm_by",), milestone.confirm_by))
    return found


def check_plan_text(text: str, file: str = "<plan>") -> tuple[Plan | None, list[PlanIssue]]:
    """Validate a plan; returns the plan (None on errors) and every error and warning."""
    try:
        root, data = _parse_yaml(text, file)
    except PlanInvalid as invalid:
        return None, invalid.issues
    if not isinstance(data, dict):
        return None, [
            PlanIssue(file, 1, "(file)", "a plan is a mapping with id, name and milestones")
        ]
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        issues = [
            PlanIssue(
                file, _line_of(root, tuple(e["loc"])), _field(tuple(e["loc"]), data), _message(e)
            )
            for e in error.errors()
        ]
        return None, issues
    issues = _semantic_issues(plan, root, data, file)
    if any(issue.severity == "error" for issue in issues):
        return None, issues
    return plan, issues


def _message(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return "unknown field (check its spelling against docs/plan-format.md)"
    if error["type"] == "union_tag_invalid":
        return "unknown timing type; use one of day, window, deadline, month, season, tbd"
    if error["type"] == "union_tag_not_found":
        return "a timing needs `type:` (day, window, deadline, month, season or tbd)"
    return message.removeprefix("Value error, ")


def check_plan(path: str | Path) -> tuple[Plan | None, list[PlanIssue]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [PlanIssue(str(path), None, "(file)", "no such file")]
    except UnicodeDecodeError:
        return None, [PlanIssue(str(path), None, "(file)", "the file is not UTF-8 text")]
    except OSError as error:
        return None, [PlanIssue(str(path), None, "(file)", f"cannot read it: {error.strerror}")]
    return check_plan_text(text, str(path))


def load_plan(path: str | Path) -> Plan:
    """The validated plan, or PlanInvalid with every error (warnings do not stop loading)."""
    plan, issues = check_plan(path)
    if plan is None:
        raise PlanInvalid([issue for issue in issues if issue.severity == "error"])
    return plan
