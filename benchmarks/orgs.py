"""Synthetic organisations for the benchmarks: a university of N people."""

from __future__ import annotations

HEADER = "unit_id,unit_name,parent_id,level,email,name,role,locale,timezone,slack_user_id\n"


def university_csv(people: int, departments: int = 100, faculties: int = 10) -> str:
    """About `people` people: leaders, VOs and coordinators first, the rest employees."""
    lines = [HEADER, "UNI,University,,1,,,,,,\n"]
    count = 0

    def person(unit: str, name: str, parent: str, level: int, role: str) -> None:
        nonlocal count
        count += 1
        locale = "en" if count % 4 == 0 else "nb"
        lines.append(
            f"{unit},{name},{parent},{level},p{count}@example.org,Person {count},{role},"
            f"{locale},,U{count:08d}\n"
        )

    for f in range(faculties):
        faculty = f"F{f:02d}"
        person(faculty, f"Faculty {f}", "UNI", 2, "leader")
        person(faculty, f"Faculty {f}", "UNI", 2, "coordinator")
    per_department = max(3, -(-(people - count) // departments))
    for d in range(departments):
        unit = f"D{d:03d}"
        parent = f"F{d % faculties:02d}"
        person(unit, f"Department {d}", parent, 3, "leader")
        person(unit, f"Department {d}", parent, 3, "vo")
        for _ in range(per_department - 2):
            if count >= people:
                break
            person(unit, f"Department {d}", parent, 3, "employee")
    return "".join(lines)


def slack_users(csv_text: str) -> dict[str, str]:
    users = {}
    for line in csv_text.splitlines()[1:]:
        cells = line.split(",")
        if cells[4]:
            users[cells[4]] = cells[9]
    return users
