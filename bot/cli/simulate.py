"""`arkbot simulate` and `arkbot demo`: the whole cycle on a virtual clock."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.cli.plan import load_or_exit
from bot.config import SHIPPED_PLAN, get_settings
from bot.i18n.catalog import format_day, t
from bot.messages import Message
from bot.simulation import SentRecord, simulate
from bot.transports.base import Recipient
from bot.transports.console import render_panel
from schedules.plan import Plan
from schedules.timing import resolve
from storage.directory import OrgImportError, parse_org_csv, read_org_file
from storage.models import TaskCompletion, Unit, VoAnswer, VoConfirmation, table_of
from storage.overrides import current_plan

SAMPLE_ORG = Path(__file__).resolve().parents[1] / "data" / "sample-org.csv"


def _read_org(path: Path) -> str:
    try:
        text = read_org_file(path)
        parse_org_csv(text)
    except OrgImportError as error:
        console = Console(stderr=True)
        for problem in error.errors:
            console.print(f"[red]{path}: {problem}[/red]", highlight=False)
        raise typer.Exit(1) from None
    except (OSError, ValueError) as error:
        Console(stderr=True).print(f"[red]{path}: {error}[/red]")
        raise typer.Exit(1) from None
    return text


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
    app.command("demo")(demo_command)


def simulate_command(
    plan_file: Annotated[
        Path, typer.Option("--plan", help="The plan file (or a shipped plan's id).")
    ],
    org: Annotated[Path, typer.Option("--org", help="The organisation CSV.")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per nudge.")] = False,
    respond: Annotated[
        int | None,
        typer.Option(
            "--respond", metavar="SEED", help="Simulated people answer, with this random seed."
        ),
    ] = None,
) -> None:
    """A dry run: every nudge that would be sent, in order, with a throw-away database.

    By default nobody answers (the worst case: every reminder and escalation goes out).
    """
    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first:
        raise typer.BadParameter(f"{end} is before --from {start}", param_hint="--to")
    plan = load_or_exit(plan_file)
    settings = get_settings()
    console = Console()

    def show(record: SentRecord) -> None:
        if as_json:
            sys.stdout.write(json.dumps(record.as_json(), ensure_ascii=False) + "\n")
        else:
            console.print(
                f"[dim]{record.at:%Y-%m-%d %H:%M %z}[/dim] [bold]{record.kind:<15}[/bold] "
                f"{record.recipient} ({record.role}, {record.unit_id}) — "
                f"{record.text.splitlines()[0]}",
                highlight=False,
                soft_wrap=True,
            )

    result = simulate(
        plan,
        _read_org(org),
        first,
        last,
        settings=settings,
        respond_seed=respond,
        on_record=show,
    )
    if not as_json:
        console.print(f"[green]{len(result.records)} nudges[/green] from {first} to {last}.")


def demo_command(
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the demo's own texts: nb or en.")
    ] = "en",
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for the simulated people's answers.")
    ] = 2023,
    show: Annotated[
        int, typer.Option("--show", help="How many example messages to show in full.")
    ] = 4,
    pace: Annotated[
        float,
        typer.Option(
            "--pace", help="Seconds to linger on each day with news (0 = as fast as possible)."
        ),
    ] = 0.0,
) -> None:
    """The whole 2023–2025 cycle for a sample faculty, on the console: no tokens, no network."""
    settings = get_settings()
    plan = load_or_exit(SHIPPED_PLAN)
    org_text = _read_org(SAMPLE_ORG)
    start, end = _cycle_bounds(plan)
    console = Console()
    if pace is None:
        pace = 0.05 if console.is_terminal else 0.0
    console.rule(t(lang, "demo.title", plan=plan.name.get(lang)))
    console.print(t(lang, "demo.intro", people=_count_people(org_text)), highlight=False)
    examples: list[tuple[Recipient, Message]] = []
    seen_kinds: set[str] = set()

    def forward(recipient: Recipient, message: Message) -> None:
        if len(examples) < show and message.kind.value not in seen_kinds:
            seen_kinds.add(message.kind.value)
            examples.append((recipient, message))

    counts: Counter[str] = Counter()
    people: set[str] = set()
    per_unit: dict[str, Counter[str]] = defaultdict(Counter)
    today: dict[tuple[str, str], list[SentRecord]] = {}
    summary: dict[str, dict[str, object]] = {}

    def on_record(record: SentRecord) -> None:
        counts[record.kind] += 1
        people.add(record.recipient)
        for unit_id in record.units or (record.unit_id,):  # a digest counts for each unit
            if unit_id:
                per_unit[unit_id][record.kind] += 1
        today.setdefault((record.milestone, record.kind), []).append(record)

    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        TextColumn("[green]{task.fields[sent]}[/green] ✉"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(
            t(lang, "demo.progress", start=format_day(start, lang), end=format_day(end, lang)),
            total=(end - start).days + 1,
            day="",
            sent=0,
        )

        def on_day(day: date) -> None:
            for (milestone_id, kind), records in today.items():
                title = plan.milestone(milestone_id).title.get(lang)
                roles = Counter(t(lang, f"role.{record.role}") for record in records)
                who = ", ".join(f"{role} ×{n}" for role, n in roles.most_common())
                progress.console.print(
                    f"[dim]{format_day(day, lang):>18}[/dim]  {_ICONS.get(kind, '•')} "
                    f"[bold]{_kind_label(lang, kind)}[/bold]: {title} [dim]→ {who}[/dim]",
                    highlight=False,
                )
            if today and pace:
                time.sleep(pace)
            today.clear()
            progress.update(task, advance=1, day=format_day(day, lang), sent=sum(counts.values()))

        result = simulate(
            plan,
            org_text,
            start,
            end,
            settings=settings,
            respond_seed=seed,
            forward=forward,
            on_record=on_record,
            on_day=on_day,
            engine_hook=lambda engine: summary.update(_unit_summary(engine, plan)),
        )
    console.rule(t(lang, "demo.examples"))
    for recipient, message in examples:
        console.print(render_panel(recipient, message))
    table = Table(title=t(lang, "demo.summary_title"))
    for key in ("col_unit", "col_tasks", "col_late", "col_vo", "col_reminders", "col_sent"):
        table.add_column(t(lang, f"demo.{key}"), justify="left" if key == "col_unit" else "right")
    for unit_id, row in sorted(summary.items(), key=lambda item: str(item[1]["name"])):
        kinds = per_unit.get(unit_id, Counter())
        asked = kinds["vo_question"]
        table.add_row(
            str(row["name"]),
            f"{row['on_time']}/{row['tasks']}",
            str(row["late"]),
            f"{row['vo_yes']}/{asked}" if asked else "–",
            str(kinds["reminder"] + kinds["task_open"]),
            str(sum(kinds.values())),
        )
    console.print(table)
    console.print(
        t(
            lang,
            "demo.totals",
            sent=result.stats.sent,
            people=len(people),
            reminders=counts["reminder"] + counts["task_open"],
            escalations=counts["escalation"],
            failed=result.stats.failed,
        ),
        highlight=False,
    )


_ICONS = {
    "task_open": "📝",
    "reminder": "⏰",
    "escalation": "🚩",
    "window_open": "📣",
    "window_reminder": "📣",
    "information": "ℹ️ ",
    "agenda": "🗂 ",
    "vo_question": "🦺",
    "checkin": "🔁",
    "pulse": "💬",
    "date_request": "📅",
    "date_changed": "📅",
}
_CYCLE_KINDS = frozenset({"date_request", "date_changed"})


def _kind_label(lang: str, kind: str) -> str:
    return t(lang, f"cycle.demo.kind.{kind}" if kind in _CYCLE_KINDS else f"demo.kind.{kind}")


def _count_people(org_csv: str) -> int:
    return len(parse_org_csv(org_csv).people)


def _cycle_bounds(plan: Plan) -> tuple[date, date]:
    spans = [span for m in plan.milestones if (span := resolve(plan, m)) is not None]
    return min(s.starts_on for s in spans), max(s.ends_on for s in spans)


def _unit_summary(engine: Engine, plan: Plan) -> dict[str, dict[str, object]]:
    """Per unit: the leader tasks that apply at its level, done on time or not; VO answers."""
    plan = current_plan(engine, plan)  # with the dates the coordinator set during the run
    tasks = [m for m in plan.milestones if m.kind == "task" and resolve(plan, m) is not None]
    units_t, done_t, vo_t = table_of(Unit), table_of(TaskCompletion), table_of(VoConfirmation)
    with engine.connect() as connection:
        units = list(connection.execute(select(units_t).where(units_t.c.level >= 2)))
        done = {
            (row.milestone_id, row.unit_id): row.done_on
            for row in connection.execute(select(done_t))
        }
        vo_yes = Counter(
            row.unit_id
            for row in connection.execute(select(vo_t))
            if row.answer == VoAnswer.yes.value
        )
    summary: dict[str, dict[str, object]] = {}
    for unit in units:
        applicable = [
            m
            for m in tasks
            if any(a.role == "leader" and a.level in (None, unit.level) for a in m.audience)
        ]
        on_time = 0
        for milestone in applicable:
            span = resolve(plan, milestone)
            done_on = done.get((milestone.id, unit.id))
            if span is not None and span.due_on and done_on is not None and done_on <= span.due_on:
                on_time += 1
        summary[unit.id] = {
            "name": unit.name,
            "tasks": len(applicable),
            "on_time": on_time,
            "late": len(applicable) - on_time,
            "vo_yes": vo_yes[unit.id],
        }
    return summary
