"""`arkbot simulate` and `arkbot demo`: the whole cycle on a virtual clock."""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.cli.plan import load_or_exit
from bot.config import SHIPPED_PLAN, get_settings
from bot.i18n.catalog import format_day, t
from bot.messages import Message
from bot.runtime import calendar_from, rules_from, sender_config_from
from bot.simulation import SentRecord, simulate
from bot.transports.base import Recipient
from schedules.plan import Plan
from schedules.timing import resolve
from storage.directory import OrgImportError, parse_org_csv, read_org_file
from storage.models import TaskCompletion, Unit, VoAnswer, VoConfirmation, table_of

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
        calendar=calendar_from(settings),
        rules=rules_from(settings),
        config=sender_config_from(settings),
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
    ] = 6,
) -> None:
    """The whole 2023–2025 cycle for a sample faculty, on the console: no tokens, no network."""
    settings = get_settings()
    plan = load_or_exit(SHIPPED_PLAN)
    org_text = _read_org(SAMPLE_ORG)
    start, end = _cycle_bounds(plan)
    console = Console()
    console.rule(t(lang, "demo.title", org=plan.name.get(lang)))
    examples: list[tuple[Recipient, Message]] = []
    seen_kinds: set[str] = set()

    def forward(recipient: Recipient, message: Message) -> None:
        key = message.kind.value + message.locale
        if len(examples) < show and key not in seen_kinds:
            seen_kinds.add(key)
            examples.append((recipient, message))

    counts: Counter[str] = Counter()
    per_unit: dict[str, Counter[str]] = defaultdict(Counter)
    summary: dict[str, object] = {}

    def on_record(record: SentRecord) -> None:
        counts[record.kind] += 1
        counts["people:" + record.recipient] = 1
        if record.unit_id:
            per_unit[record.unit_id][record.kind] += 1

    total_days = (end - start).days + 1
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        TextColumn("{task.fields[sent]} msgs"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(
            t(lang, "demo.progress", start=format_day(start, lang), end=format_day(end, lang)),
            total=total_days,
            day="",
            sent=0,
        )

        def on_day(day: date) -> None:
            progress.update(
                task,
                advance=1,
                day=format_day(day, lang),
                sent=sum(value for key, value in counts.items() if not key.startswith("people:")),
            )

        result = simulate(
            plan,
            org_text,
            start,
            end,
            calendar=calendar_from(settings),
            rules=rules_from(settings),
            config=sender_config_from(settings),
            respond_seed=seed,
            forward=forward,
            on_record=on_record,
            on_day=on_day,
            engine_hook=lambda engine: summary.update(_unit_summary(engine, plan)),
        )
    for recipient, message in examples:
        body = f"[bold]{message.headline}[/bold]\n{message.body}"
        if message.context:
            body += f"\n[dim]{message.context}[/dim]"
        if message.buttons:
            body += "\n" + "  ".join(
                f"[reverse] {button.label} [/reverse]" for button in message.buttons
            )
        console.print(
            Panel(
                body, title=f"→ {recipient.name} <{recipient.email}>", title_align="left", width=88
            )
        )
    table = Table(title=t(lang, "demo.summary_title"))
    for key in ("col_unit", "col_tasks", "col_late", "col_vo", "col_reminders", "col_sent"):
        table.add_column(t(lang, f"demo.{key}"), justify="left" if key == "col_unit" else "right")
    for unit_id, row in sorted(summary.items()):
        assert isinstance(row, dict)
        kinds = per_unit.get(unit_id, Counter())
        table.add_row(
            str(row["name"]),
            f"{row['on_time']}/{row['tasks']}",
            str(row["late"]),
            f"{row['vo_yes']}/{row['vo_asked']}",
            str(kinds["reminder"] + kinds["task_open"]),
            str(sum(kinds.values())),
        )
    console.print(table)
    people = sum(1 for key in counts if key.startswith("people:"))
    console.print(
        t(
            lang,
            "demo.totals",
            sent=result.stats.sent,
            people=people,
            reminders=counts["reminder"] + counts["task_open"],
            escalations=counts["escalation"],
            failed=result.stats.failed,
        )
    )


def _cycle_bounds(plan: Plan) -> tuple[date, date]:
    spans = [span for m in plan.milestones if (span := resolve(plan, m)) is not None]
    return min(s.starts_on for s in spans), max(s.ends_on for s in spans)


def _unit_summary(engine: Engine, plan: Plan) -> dict[str, dict[str, object]]:
    """Per unit with a leader: tasks done on time / late, VO involvement confirmed."""
    tasks = {m.id: resolve(plan, m) for m in plan.milestones if m.kind == "task"}
    vo_points = [m.id for m in plan.milestones if m.kind == "vo_meeting" and resolve(plan, m)]
    units_t = table_of(Unit)
    done_t = table_of(TaskCompletion)
    vo_t = table_of(VoConfirmation)
    with engine.connect() as connection:
        units = {
            row.id: row for row in connection.execute(select(units_t).where(units_t.c.level >= 2))
        }
        done = list(connection.execute(select(done_t)))
        vo = list(connection.execute(select(vo_t)))
    summary: dict[str, dict[str, object]] = {}
    for unit_id, unit in units.items():
        unit_done = [row for row in done if row.unit_id == unit_id]
        on_time = sum(
            1
            for row in unit_done
            if (span := tasks.get(row.milestone_id)) and span.due_on and row.done_on <= span.due_on
        )
        known_tasks = sum(1 for span in tasks.values() if span is not None)
        unit_vo = [row for row in vo if row.unit_id == unit_id]
        summary[unit_id] = {
            "name": unit.name,
            "tasks": known_tasks,
            "on_time": on_time,
            "late": known_tasks - on_time,
            "vo_yes": sum(1 for row in unit_vo if row.answer == VoAnswer.yes.value),
            "vo_asked": len(vo_points),
        }
    return summary
