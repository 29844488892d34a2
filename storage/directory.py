"""The organisation directory: importing units, people and their roles from a CSV file.

The file has one row per membership::

    unit_id,unit_name,parent_id,level,email,name,role[,locale,timezone,slack_user_id,teams_user_id,
                                                      teams_aad_object_id,preferred_platform]

- Column names are case-insensitive, may come in any order and may carry surrounding
  spaces. The file is UTF-8 with or without a byte-order mark. A header that uses ``;``
  makes ``;`` the delimiter (Norwegian Excel exports do that).
- A person who is VO for two units appears on two rows. A row whose ``email``, ``name`` and
  ``role`` are all empty only declares its unit (so the level-1 institution can exist
  without members). Every row describes its unit completely (name, parent, level); the rows
  of one unit must agree. A unit without a parent may be at any level, so one faculty can
  be imported on its own; a child must be exactly one level below its parent.
- Roles: ``leader``, ``vo``, ``employee``, ``coordinator``, ``losam``, ``leader_support``.
  As a courtesy the Norwegian words ``leder``, ``verneombud``, ``medarbeider``,
  ``koordinator`` and ``lederstøtte`` are accepted too (case-insensitive).
- Locales are ``nb`` (Norwegian bokmål) and ``en``. Time zones are IANA names
  (``Europe/Oslo``); an empty time zone means the institution's default.
- Values a person's rows leave empty do not contradict values given on another row.

Importing is all or nothing: the whole file is parsed and validated first, and a file with
any bad row changes nothing; `OrgImportError` then lists every problem with its physical
line (the header is line 1) and column. A valid file makes the directory match it in one
transaction: people are matched by e-mail (case-insensitive, stored in lower case), units
by id. People, units and memberships missing from the file are deactivated, never deleted,
so history stays; those that come back are reactivated.

What a re-import does to values the file does not give:

- ``locale`` and ``timezone``: when the column is in the file, it decides (empty = ``nb`` /
  the default time zone); when the column is absent, the stored value stays.
- ``slack_user_id``, ``teams_user_id`` and ``teams_aad_object_id`` (the person's Microsoft
  Entra object id, a GUID): a given value is stored; an empty or absent one keeps the stored
  value, since the bot also learns these ids from the chat platform.
- ``preferred_platform`` (``slack`` or ``teams``): when the column is in the file, it decides
  (empty = no preference, the deployment's default platform); when absent, the stored value
  stays.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection, Engine

from schedules.clock import Clock
from storage.models import AuditEntry, Membership, Person, Role, Unit, table_of

REQUIRED_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "unit_name",
    "parent_id",
    "level",
    "email",
    "name",
    "role",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "locale",
    "timezone",
    "slack_user_id",
    "teams_user_id",
    "teams_aad_object_id",
    "preferred_platform",
)
KNOWN_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

LOCALES: tuple[str, ...] = ("nb", "en")
DEFAULT_LOCALE = "nb"
MIN_LEVEL, MAX_LEVEL = 1, 5
LEVEL_NAMES = "1 = institution, 2 = faculty or area, 3 = department"

ROLE_ALIASES: dict[str, Role] = {
    **{role.value: role for role in Role},
    "leder": Role.leader,
    "verneombud": Role.vo,
    "medarbeider": Role.employee,
    "koordinator": Role.coordinator,
    "lederstøtte": Role.leader_support,
}

UNIT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
EMAIL = re.compile(rf"[^@\s,;:<>()\[\]\"\\]+@{_LABEL}(?:\.{_LABEL})+")
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{6,31}")
TEAMS_USER_ID = re.compile(r"\S{1,128}")
AAD_OBJECT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLATFORMS: tuple[str, ...] = ("slack", "teams")

MAX_NAME = 200
MAX_EMAIL = 254

# Serialises concurrent imports on PostgreSQL ("arkbot-org" as a number).
_PG_LOCK_KEY = 0x61726B_6F7267


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an org file: the physical line (header = 1), the column, what is wrong."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


class OrgImportError(Exception):
    """The org file was rejected; `errors` holds every problem found, in line order."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        super().__init__(f"{count} in the org file:\n" + "\n".join(str(e) for e in errors))


class OrgFileError(Exception):
    """The org file could not be read at all (missing, a folder, not UTF-8 text)."""


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: str
    name: str
    parent_id: str | None
    level: int
    line: int


@dataclass(frozen=True, slots=True)
class PersonRow:
    email: str
    name: str
    locale: str | None
    timezone: str | None
    slack_user_id: str | None
    teams_user_id: str | None
    line: int
    slack_line: int | None = None
    teams_line: int | None = None
    teams_aad_object_id: str | None = None
    preferred_platform: str | None = None
    aad_line: int | None = None


@dataclass(frozen=True, slots=True)
class MembershipRow:
    email: str
    unit_id: str
    role: Role
    line: int


@dataclass(frozen=True, slots=True)
class OrgFile:
    """A validated org file. `units` is ordered parents before children."""

    units: dict[str, UnitRow]
    people: dict[str, PersonRow]
    memberships: list[MembershipRow]
    columns: frozenset[str]


@dataclass(slots=True)
class ImportReport:
    """What an import changed. A unit or person coming back counts as reactivated only."""

    units_added: int = 0
    units_updated: int = 0
    units_reactivated: int = 0
    units_deactivated: int = 0
    people_added: int = 0
    people_updated: int = 0
    people_reactivated: int = 0
    people_deactivated: int = 0
    memberships_added: int = 0
    memberships_reactivated: int = 0
    memberships_deactivated: int = 0
    units_in_file: int = 0
    people_in_file: int = 0
    memberships_in_file: int = 0
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        counts = asdict(self)
        return any(
            value
            for key, value in counts.items()
            if not key.endswith("_in_file") and key != "dry_run"
        )

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


# --------------------------------------------------------------------------- reading


def read_org_file(path: str | Path) -> str:
    """The text of an org file (UTF-8, a byte-order mark is dropped), or a clear `OrgFileError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise OrgFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise OrgFileError(f"{path}: is a folder, not a CSV file") from None
    except OSError as error:
        raise OrgFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise OrgFileError(
            f"{path}: is UTF-16 text; save it as 'CSV UTF-8' "
            "(in Excel: CSV UTF-8 (comma delimited))"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise OrgFileError(
            f"{path}: is not UTF-8 text (line {line}: byte 0x{data[error.start]:02x}); "
            "save it as 'CSV UTF-8' (in Excel: CSV UTF-8 (comma delimited))"
        ) from None


# --------------------------------------------------------------------------- parsing


@dataclass(slots=True)
class _PersonDraft:
    email: str
    name: str
    line: int
    locale: str | None = None
    timezone: str | None = None
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    teams_aad_object_id: str | None = None
    preferred_platform: str | None = None
    lines: dict[str, int] = field(default_factory=dict)

    def freeze(self) -> PersonRow:
        return PersonRow(
            email=self.email,
            name=self.name,
            locale=self.locale,
            timezone=self.timezone,
            slack_user_id=self.slack_user_id,
            teams_user_id=self.teams_user_id,
            line=self.line,
            slack_line=self.lines.get("slack_user_id"),
            teams_line=self.lines.get("teams_user_id"),
            teams_aad_object_id=self.teams_aad_object_id,
            preferred_platform=self.preferred_platform,
            aad_line=self.lines.get("teams_aad_object_id"),
        )


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) per CSV record, blank lines included as empty lists."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise OrgImportError(
                [RowError(previous + 1, None, f"cannot read this line as CSV ({error})")]
            ) from None
        yield previous + 1, fields
        previous = reader.line_num


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _spaces(value: str) -> str:
    return " ".join(value.split())


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def _check_timezone(value: str) -> str | None:
    """None when `value` is a known IANA time zone, else the reason it is not."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        hint = _zones_by_lower_name().get(value.lower())
        if hint is not None:
            return f"unknown time zone '{value}' (did you mean '{hint}'?)"
        return f"unknown time zone '{value}' (use an IANA name such as Europe/Oslo)"
    return None


def _parse_header(line: int, cells: list[str], errors: list[RowError]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    if not set(names) & set(REQUIRED_COLUMNS):
        errors.append(
            RowError(
                line,
                None,
                "the first line must be the header: "
                + ",".join(REQUIRED_COLUMNS)
                + " (optional: "
                + ",".join(OPTIONAL_COLUMNS)
                + ")",
            )
        )
        return names
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            errors.append(RowError(line, None, f"column {position} of the header has no name"))
        elif name in seen:
            errors.append(RowError(line, name, f"column '{name}' appears twice in the header"))
        elif name not in KNOWN_COLUMNS:
            errors.append(
                RowError(
                    line,
                    name,
                    f"unknown column '{name}' (known columns: {', '.join(KNOWN_COLUMNS)})",
                )
            )
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            errors.append(RowError(line, name, f"missing required column '{name}'"))
    return names


def parse_org_csv(text: str) -> OrgFile:
    """Parse and validate a whole org file; raise `OrgImportError` listing every problem.

    Accepts the Norwegian role names (leder, verneombud, medarbeider, koordinator,
    lederstøtte) besides the English ones; see the module docstring for the format.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise OrgImportError(
            [
                RowError(
                    1, None, "the file is empty; it needs a header: " + ",".join(REQUIRED_COLUMNS)
                )
            ]
        )
    first_line = next(line for line in text.splitlines() if line.strip())
    errors: list[RowError] = []
    records = _rows(text, _delimiter(first_line))
    # A file can begin with blank lines; the header is the first record with a value.
    found = next(((line, cells) for line, cells in records if any(c.strip() for c in cells)), None)
    if found is None:
        raise OrgImportError([RowError(1, None, "the file has no header, only empty fields")])
    header_line, header_cells = found
    header = _parse_header(header_line, header_cells, errors)
    if errors:
        raise OrgImportError(errors)
    parser = _Parser(header, errors)
    for line, fields in records:
        parser.row(line, fields)
    if parser.data_rows == 0:
        errors.append(RowError(header_line, None, "the file has a header but no rows"))
    parser.check_tree()
    if errors:
        errors.sort(key=lambda error: error.line)
        raise OrgImportError(errors)
    return parser.result()


class _Parser:
    def __init__(self, header: list[str], errors: list[RowError]) -> None:
        self.header = header
        self.columns = frozenset(header)
        self.errors = errors
        self.data_rows = 0
        self.units: dict[str, UnitRow] = {}
        self.people: dict[str, _PersonDraft] = {}
        self.memberships: dict[tuple[str, str, Role], MembershipRow] = {}
        self.slack_owner: dict[str, tuple[str, int]] = {}
        self.teams_owner: dict[str, tuple[str, int]] = {}
        self.aad_owner: dict[str, tuple[str, int]] = {}

    def error(self, line: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(line, column, message))

    # -- one row ----------------------------------------------------------------------

    def row(self, line: int, fields: list[str]) -> None:
        if not any(value.strip() for value in fields):
            return  # blank lines and Excel's ";;;;;;" rows
        self.data_rows += 1
        if len(fields) != len(self.header):
            hint = (
                " (is a value containing the delimiter missing its quotes?)"
                if len(fields) > len(self.header)
                else ""
            )
            self.error(
                line,
                None,
                f"expected {len(self.header)} fields like the header, found {len(fields)}{hint}",
            )
            return
        values = {name: value.strip() for name, value in zip(self.header, fields, strict=True)}
        broken = False
        for name, value in values.items():
            if "\n" in value or "\r" in value:
                self.error(line, name, f"{name} contains a line break")
                broken = True
        if broken:
            return
        unit_id = self.unit(line, values)
        self.member(line, values, unit_id)

    def unit(self, line: int, values: dict[str, str]) -> str | None:
        """Check the unit columns; the unit id when it is usable, else None."""
        ok = True
        unit_id = values["unit_id"]
        if not unit_id:
            self.error(line, "unit_id", "unit_id is empty")
            ok = False
        elif not UNIT_ID.fullmatch(unit_id):
            self.error(line, "unit_id", _bad_unit_id("unit id", unit_id))
            ok = False
        name = _spaces(values["unit_name"])
        if not name:
            self.error(line, "unit_name", "unit_name is empty")
            ok = False
        elif len(name) > MAX_NAME:
            self.error(line, "unit_name", f"unit_name is longer than {MAX_NAME} characters")
            ok = False
        parent_id = values["parent_id"] or None
        if parent_id is not None and not UNIT_ID.fullmatch(parent_id):
            self.error(line, "parent_id", _bad_unit_id("parent id", parent_id))
            ok = False
        elif parent_id is not None and parent_id == unit_id:
            self.error(line, "parent_id", f"unit '{unit_id}' cannot be its own parent")
            ok = False
        level = _level(values["level"])
        if isinstance(level, str):
            self.error(line, "level", level)
            ok = False
        if not ok or not isinstance(level, int):
            return unit_id if unit_id and UNIT_ID.fullmatch(unit_id) else None
        known = self.units.get(unit_id)
        if known is None:
            self.units[unit_id] = UnitRow(unit_id, name, parent_id, level, line)
            return unit_id
        if known.name != name:
            self.error(
                line,
                "unit_name",
                f"unit '{unit_id}' is named '{name}' here but '{known.name}' on line {known.line}",
            )
        if known.parent_id != parent_id:
            self.error(
                line,
                "parent_id",
                f"unit '{unit_id}' has parent {_quoted(parent_id)} here "
                f"but {_quoted(known.parent_id)} on line {known.line}",
            )
        if known.level != level:
            self.error(
                line,
                "level",
                f"unit '{unit_id}' is at level {level} here but {known.level} on line {known.line}",
            )
        return unit_id

    def member(self, line: int, values: dict[str, str], unit_id: str | None) -> None:
        email = values["email"].lower()
        name = _spaces(values["name"])
        role_text = values["role"]
        optional = {column: values.get(column, "") for column in OPTIONAL_COLUMNS}
        if not (email or name or role_text):
            for column, value in optional.items():
                if value:
                    self.error(
                        line,
                        column,
                        f"{column} is given but the row has no person "
                        "(email, name and role are empty)",
                    )
            return

        ok = True
        if not email:
            self.error(
                line,
                "email",
                "email is empty (leave email, name and role all empty "
                "to declare a unit without members)",
            )
            ok = False
        elif len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
            self.error(line, "email", f"malformed email '{values['email']}'")
            ok = False
        if not name:
            self.error(line, "name", "name is empty")
            ok = False
        elif len(name) > MAX_NAME:
            self.error(line, "name", f"name is longer than {MAX_NAME} characters")
            ok = False
        role = ROLE_ALIASES.get(role_text.lower().replace("-", "_").replace(" ", "_"))
        if not role_text:
            self.error(line, "role", "role is empty (use one of " + ", ".join(Role) + ")")
        elif role is None:
            self.error(line, "role", f"unknown role '{role_text}' (use one of {', '.join(Role)})")

        locale = optional["locale"].lower() or None
        if locale is not None and locale not in LOCALES:
            hint = (
                "; use 'nb' for Norwegian"
                if locale in {"no", "nn", "nob", "nno", "nb-no", "nb_no", "nn-no", "nn_no"}
                else ""
            )
            self.error(
                line,
                "locale",
                f"unknown locale '{optional['locale']}' (arkbot speaks nb and en{hint})",
            )
            ok = False
        timezone = optional["timezone"] or None
        if timezone is not None:
            problem = _check_timezone(timezone)
            if problem is not None:
                self.error(line, "timezone", problem)
                ok = False
        slack = optional["slack_user_id"] or None
        if slack is not None and not SLACK_USER_ID.fullmatch(slack):
            self.error(
                line,
                "slack_user_id",
                f"slack_user_id '{slack}' does not look like a Slack user id "
                "(U… or W… followed by capital letters and digits, e.g. U012AB3CD)",
            )
            ok = False
        teams = optional["teams_user_id"] or None
        if teams is not None and not TEAMS_USER_ID.fullmatch(teams):
            self.error(
                line,
                "teams_user_id",
                "teams_user_id must be at most 128 characters without spaces",
            )
            ok = False
        aad = optional["teams_aad_object_id"].lower() or None
        if aad is not None and not AAD_OBJECT_ID.fullmatch(aad):
            self.error(
                line,
                "teams_aad_object_id",
                f"teams_aad_object_id '{optional['teams_aad_object_id']}' is not a Microsoft "
                "Entra object id (a GUID such as 8d3c1f0e-2b4a-4c6d-9e8f-0a1b2c3d4e5f)",
            )
            ok = False
        platform = optional["preferred_platform"].lower() or None
        if platform is not None and platform not in PLATFORMS:
            self.error(
                line,
                "preferred_platform",
                f"unknown preferred_platform '{optional['preferred_platform']}' "
                "(use slack or teams, or leave it empty)",
            )
            ok = False
        if not ok:
            return
        if aad is not None and not self._claim(
            self.aad_owner, "teams_aad_object_id", aad, email, line
        ):
            return
        if slack is not None and not self._claim(
            self.slack_owner, "slack_user_id", slack, email, line
        ):
            return
        if teams is not None and not self._claim(
            self.teams_owner, "teams_user_id", teams, email, line
        ):
            return
        self._merge_person(
            line,
            email,
            name,
            {
                "locale": locale,
                "timezone": timezone,
                "slack_user_id": slack,
                "teams_user_id": teams,
                "teams_aad_object_id": aad,
                "preferred_platform": platform,
            },
        )
        if unit_id is None or role is None:
            return
        key = (email, unit_id, role)
        earlier = self.memberships.get(key)
        if earlier is not None:
            self.error(
                line,
                None,
                f"duplicate row: {email} is already {role.value} of unit '{unit_id}' "
                f"on line {earlier.line}",
            )
            return
        self.memberships[key] = MembershipRow(email, unit_id, role, line)

    def _claim(
        self, owners: dict[str, tuple[str, int]], column: str, value: str, email: str, line: int
    ) -> bool:
        owner = owners.setdefault(value, (email, line))
        if owner[0] != email:
            self.error(
                line,
                column,
                f"{column} '{value}' is already given to {owner[0]} on line {owner[1]}",
            )
            return False
        return True

    def _merge_person(
        self, line: int, email: str, name: str, details: dict[str, str | None]
    ) -> None:
        draft = self.people.get(email)
        if draft is None:
            draft = _PersonDraft(email=email, name=name, line=line)
            self.people[email] = draft
        elif draft.name != name:
            self.error(
                line,
                "name",
                f"{email} is named '{name}' here but '{draft.name}' on line {draft.line}",
            )
        for column, value in details.items():
            if value is None:
                continue
            known = getattr(draft, column)
            if known is None:
                setattr(draft, column, value)
                draft.lines[column] = line
            elif known != value:
                label = column.replace("_", " ")
                self.error(
                    line,
                    column,
                    f"{email} has {label} '{value}' here "
                    f"but '{known}' on line {draft.lines[column]}",
                )

    # -- the whole tree ---------------------------------------------------------------

    def check_tree(self) -> None:
        for unit in self.units.values():
            if unit.parent_id is not None and unit.parent_id not in self.units:
                self.error(
                    unit.line,
                    "parent_id",
                    f"unknown parent '{unit.parent_id}': no row defines unit '{unit.parent_id}'",
                )
        in_cycle = self._check_cycles()
        for unit in self.units.values():
            parent = self.units.get(unit.parent_id) if unit.parent_id else None
            if parent is None or unit.id in in_cycle:
                continue
            if unit.level != parent.level + 1:
                self.error(
                    unit.line,
                    "level",
                    f"unit '{unit.id}' is at level {unit.level} but its parent '{parent.id}' is "
                    f"at level {parent.level}; a child must be one level below its parent "
                    f"(level {parent.level + 1}; {LEVEL_NAMES})",
                )

    def _check_cycles(self) -> set[str]:
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        in_cycle: set[str] = set()
        for start in self.units:
            path: list[str] = []
            current: str | None = start
            while current is not None and current in self.units and state.get(current) is None:
                state[current] = 1
                path.append(current)
                parent = self.units[current].parent_id
                current = parent if parent != current else None
            if current is not None and state.get(current) == 1:
                cycle = path[path.index(current) :]
                in_cycle.update(cycle)
                first = min(cycle, key=lambda unit_id: self.units[unit_id].line)
                loop = cycle[cycle.index(first) :] + cycle[: cycle.index(first)] + [first]
                self.error(
                    self.units[first].line,
                    "parent_id",
                    "units form a cycle: " + " → ".join(loop),
                )
            for unit_id in path:
                state[unit_id] = 2
        return in_cycle

    def result(self) -> OrgFile:
        return OrgFile(
            units={unit.id: unit for unit in _parents_first(self.units)},
            people={email: draft.freeze() for email, draft in self.people.items()},
            memberships=list(self.memberships.values()),
            columns=self.columns,
        )


def _bad_unit_id(label: str, value: str) -> str:
    return (
        f"invalid {label} '{value}': use letters, digits, '.', '_' and '-', "
        "starting with a letter or digit, at most 64 characters"
    )


def _level(value: str) -> int | str:
    """The level, or the reason it is not one."""
    if not value:
        return f"level is empty ({LEVEL_NAMES})"
    try:
        level = int(value)
    except ValueError:
        return f"level '{value}' is not a whole number ({LEVEL_NAMES})"
    if not MIN_LEVEL <= level <= MAX_LEVEL:
        return f"level {level} is outside {MIN_LEVEL}–{MAX_LEVEL} ({LEVEL_NAMES})"
    return level


def _quoted(value: str | None) -> str:
    return "(none)" if value is None else f"'{value}'"


def _parents_first(units: dict[str, UnitRow]) -> list[UnitRow]:
    depth: dict[str, int] = {}

    def depth_of(unit_id: str) -> int:
        chain: list[str] = []
        current: str | None = unit_id
        while current is not None and current not in depth and current in units:
            chain.append(current)
            current = units[current].parent_id
        base = depth.get(current, -1) if current is not None else -1
        for offset, member in enumerate(reversed(chain), start=1):
            depth[member] = base + offset
        return depth[unit_id]

    return sorted(units.values(), key=lambda unit: (depth_of(unit.id), unit.line))


# --------------------------------------------------------------------------- importing


UNITS = table_of(Unit)
PEOPLE = table_of(Person)
MEMBERSHIPS = table_of(Membership)
AUDIT = table_of(AuditEntry)
PERSON_FIELDS = (
    "email",
    "name",
    "locale",
    "timezone",
    "slack_user_id",
    "teams_user_id",
    "teams_aad_object_id",
    "preferred_platform",
)
CHAT_ID_COLUMNS = ("slack_user_id", "teams_user_id", "teams_aad_object_id")


def import_org(
    engine: Engine,
    text: str,
    *,
    clock: Clock,
    actor: str = "cli",
    dry_run: bool = False,
) -> ImportReport:
    """Make the directory match an org file, in one transaction; see the module docstring.

    Raises `OrgImportError` (and changes nothing) when the file has any problem. With
    `dry_run` the changes are computed and reported, then rolled back. One audit entry
    summarises each import.
    """
    org = parse_org_csv(text)
    with engine.connect() as connection, connection.begin() as transaction:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
            )
        report = _Importer(connection, org).run()
        report.dry_run = dry_run
        _audit(connection, report, clock=clock, actor=actor)
        if dry_run:
            transaction.rollback()
    return report


def _audit(connection: Connection, report: ImportReport, *, clock: Clock, actor: str) -> None:
    connection.execute(
        insert(AUDIT),
        {
            "at": clock.now(),
            "actor": actor[:254],
            "action": "org.import",
            "subject": (
                f"{report.units_in_file} units, {report.people_in_file} people, "
                f"{report.memberships_in_file} memberships"
            ),
            "detail": json.dumps(report.as_dict(), sort_keys=True),
        },
    )


def _executemany(connection: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(statement, rows)


class _Importer:
    def __init__(self, connection: Connection, org: OrgFile) -> None:
        self.connection = connection
        self.org = org
        self.report = ImportReport(
            units_in_file=len(org.units),
            people_in_file=len(org.people),
            memberships_in_file=len(org.memberships),
        )

    def run(self) -> ImportReport:
        self.units()
        person_ids = self.people()
        self.memberships(person_ids)
        return self.report

    def units(self) -> None:
        existing = {
            row.id: row
            for row in self.connection.execute(
                select(UNITS.c.id, UNITS.c.name, UNITS.c.parent_id, UNITS.c.level, UNITS.c.active)
            )
        }
        added: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for unit in self.org.units.values():
            values = {"name": unit.name, "parent_id": unit.parent_id, "level": unit.level}
            row = existing.get(unit.id)
            if row is None:
                added.append({"id": unit.id, **values, "active": True})
                continue
            if not row.active:
                self.report.units_reactivated += 1
            elif (row.name, row.parent_id, row.level) != (unit.name, unit.parent_id, unit.level):
                self.report.units_updated += 1
            else:
                continue
            changed.append({"b_id": unit.id, **values, "active": True})
        gone = [
            {"b_id": unit_id, "active": False}
            for unit_id, row in existing.items()
            if row.active and unit_id not in self.org.units
        ]
        self.report.units_added = len(added)
        self.report.units_deactivated = len(gone)
        # Parents come first in `added`, so each row's parent exists when it is inserted.
        _executemany(self.connection, insert(UNITS), added)
        by_id = UNITS.c.id == bindparam("b_id")
        _executemany(
            self.connection,
            update(UNITS)
            .where(by_id)
            .values(
                name=bindparam("name"),
                parent_id=bindparam("parent_id"),
                level=bindparam("level"),
                active=bindparam("active"),
            ),
            changed,
        )
        _executemany(
            self.connection, update(UNITS).where(by_id).values(active=bindparam("active")), gone
        )

    def people(self) -> dict[str, int]:
        columns = self.org.columns
        existing: dict[str, Any] = {}
        for stored in self.connection.execute(
            select(
                PEOPLE.c.id,
                PEOPLE.c.email,
                PEOPLE.c.name,
                PEOPLE.c.locale,
                PEOPLE.c.timezone,
                PEOPLE.c.slack_user_id,
                PEOPLE.c.teams_user_id,
                PEOPLE.c.teams_aad_object_id,
                PEOPLE.c.preferred_platform,
                PEOPLE.c.active,
            ).order_by(PEOPLE.c.id)
        ):
            existing.setdefault(stored.email.lower(), stored)

        wanted: dict[str, dict[str, Any]] = {}
        for email, person in self.org.people.items():
            row = existing.get(email)
            values: dict[str, Any] = {"email": email, "name": person.name}
            if "locale" in columns:
                values["locale"] = person.locale or DEFAULT_LOCALE
            else:
                values["locale"] = row.locale if row is not None else DEFAULT_LOCALE
            if "timezone" in columns or row is None:
                values["timezone"] = person.timezone
            else:
                values["timezone"] = row.timezone
            for column in CHAT_ID_COLUMNS:
                given = getattr(person, column)
                values[column] = given if given is not None or row is None else getattr(row, column)
            if "preferred_platform" in columns or row is None:
                values["preferred_platform"] = person.preferred_platform
            else:
                values["preferred_platform"] = row.preferred_platform
            wanted[email] = values
        self._check_chat_ids(existing, wanted)

        added: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for email, values in wanted.items():
            row = existing.get(email)
            if row is None:
                added.append({**values, "active": True, "paused_until": None})
                continue
            before = {key: getattr(row, key) for key in values}
            if not row.active:
                self.report.people_reactivated += 1
            elif before != values:
                self.report.people_updated += 1
            else:
                continue
            changed.append({"b_id": row.id, **values, "active": True})
        gone = [
            {"b_id": row.id, "active": False}
            for email, row in existing.items()
            if row.active and email not in wanted
        ]
        self.report.people_added = len(added)
        self.report.people_deactivated = len(gone)
        _executemany(self.connection, insert(PEOPLE), added)
        by_id = PEOPLE.c.id == bindparam("b_id")
        _executemany(
            self.connection,
            update(PEOPLE)
            .where(by_id)
            .values({key: bindparam(key) for key in (*PERSON_FIELDS, "active")}),
            changed,
        )
        _executemany(
            self.connection, update(PEOPLE).where(by_id).values(active=bindparam("active")), gone
        )
        if not added:
            return {email: row.id for email, row in existing.items()}
        return {
            row.email.lower(): row.id
            for row in self.connection.execute(
                select(PEOPLE.c.id, PEOPLE.c.email).order_by(PEOPLE.c.id.desc())
            )
        }

    def _check_chat_ids(self, existing: dict[str, Any], wanted: dict[str, dict[str, Any]]) -> None:
        """A chat id kept from the directory must not clash with one the file gives someone else."""
        errors: list[RowError] = []
        for column in CHAT_ID_COLUMNS:
            owners: dict[str, str] = {}
            for email, values in wanted.items():
                value = values[column]
                if value is None:
                    continue
                other = owners.setdefault(value, email)
                if other == email:
                    continue
                # At most one of the two came from the file (the parser rejects in-file clashes).
                from_file, kept = (
                    (email, other) if getattr(self.org.people[email], column) else (other, email)
                )
                person = self.org.people[from_file]
                lines = {
                    "slack_user_id": person.slack_line,
                    "teams_user_id": person.teams_line,
                    "teams_aad_object_id": person.aad_line,
                }
                line = lines[column] or person.line
                errors.append(
                    RowError(
                        line,
                        column,
                        f"{column} '{value}' belongs to {kept} in the directory; "
                        f"give {kept} its new {column} in this file too",
                    )
                )
        if errors:
            raise OrgImportError(sorted(errors, key=lambda error: error.line))

    def memberships(self, person_ids: dict[str, int]) -> None:
        existing = {
            (row.person_id, row.unit_id, Role(row.role)): row
            for row in self.connection.execute(
                select(
                    MEMBERSHIPS.c.id,
                    MEMBERSHIPS.c.person_id,
                    MEMBERSHIPS.c.unit_id,
                    MEMBERSHIPS.c.role,
                    MEMBERSHIPS.c.active,
                )
            )
        }
        wanted = {
            (person_ids[membership.email], membership.unit_id, membership.role)
            for membership in self.org.memberships
        }
        added = [
            {"person_id": person_id, "unit_id": unit_id, "role": role, "active": True}
            for person_id, unit_id, role in wanted
            if (person_id, unit_id, role) not in existing
        ]
        back = [
            {"b_id": row.id, "active": True}
            for key, row in existing.items()
            if key in wanted and not row.active
        ]
        gone = [
            {"b_id": row.id, "active": False}
            for key, row in existing.items()
            if key not in wanted and row.active
        ]
        self.report.memberships_added = len(added)
        self.report.memberships_reactivated = len(back)
        self.report.memberships_deactivated = len(gone)
        added.sort(key=lambda row: (row["unit_id"], row["person_id"], row["role"]))
        _executemany(self.connection, insert(MEMBERSHIPS), added)
        toggle = (
            update(MEMBERSHIPS)
            .where(MEMBERSHIPS.c.id == bindparam("b_id"))
            .values(active=bindparam("active"))
        )
        _executemany(self.connection, toggle, back + gone)
