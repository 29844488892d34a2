"""The App Home and `/ark` answers: what each person sees, in both languages, in Slack's limits."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
    TextObject,
)
from slack_sdk.models.views import View

from bot.overview import (
    ActionItemStatus,
    Membership,
    PersonHome,
    TaskState,
    TaskStatus,
    UnitStatus,
    VoPointStatus,
)
from bot.slack.home import (
    ACTION_ADD_ACTION,
    ACTION_RESUME,
    ACTION_TASK_DONE,
    ACTION_VO_NOT_YET,
    ACTION_VO_PARTLY,
    ACTION_VO_YES,
    HOME_BLOCKS_MAX,
    MESSAGE_BLOCKS_MAX,
    help_blocks,
    home_view,
    parse_unit_milestone,
    plan_blocks,
    report_blocks,
    status_blocks,
    text_fallback,
    unit_milestone_value,
)
from schedules.loader import load_plan
from schedules.plan import Plan, Text
from storage.models import ActionArea, ActionState, Role, VoAnswer

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2023, 10, 10)
IFT = "ntnu-nv-ift"
IFT_NAME = "Institutt for fysikk"


# ── building the views by hand ─────────────────────────────────────────────────────────────


def task(
    milestone_id: str,
    *,
    state: TaskState = "due",
    due_on: date | None = date(2023, 10, 13),
    unit_id: str = IFT,
    unit_name: str = IFT_NAME,
    nb: str | None = None,
    en: str | None = None,
    **extra: Any,
) -> TaskStatus:
    return TaskStatus(
        milestone_id=milestone_id,
        title=Text(nb=nb or f"Oppgave {milestone_id}", en=en or f"Task {milestone_id}"),
        unit_id=unit_id,
        unit_name=unit_name,
        phase=1,
        starts_on=date(2023, 9, 1),
        due_on=due_on,
        state=state,
        **extra,
    )


def vo_point(
    number: int,
    *,
    unit_id: str = IFT,
    answer: VoAnswer | None = None,
    overdue: bool = False,
    confirm_by: date | None = date(2023, 10, 13),
    **extra: Any,
) -> VoPointStatus:
    return VoPointStatus(
        milestone_id=f"vo-meeting-{number}",
        title=Text(
            nb=f"Møtepunkt {number} med verneombud", en=f"Meeting point {number} with the VO"
        ),
        unit_id=unit_id,
        asked_on=date(2023, 9, 1),
        confirm_by=confirm_by,
        answer=answer,
        overdue=overdue,
        **extra,
    )


def action_item(
    item_id: int, state: ActionState, *, unit_id: str = IFT, **extra: Any
) -> ActionItemStatus:
    fields: dict[str, Any] = {
        "title": f"Tiltak {item_id}",
        "owner": "Ola Hansen",
        "due_on": date(2024, 3, 1),
        "area": ActionArea.develop,
    }
    fields.update(extra)
    return ActionItemStatus(id=item_id, unit_id=unit_id, state=state, **fields)


def ift_status(**changes: Any) -> UnitStatus:
    fields: dict[str, Any] = {
        "unit_id": IFT,
        "name": IFT_NAME,
        "level": 3,
        "tasks": [
            task("choose-response-units", state="late", due_on=date(2023, 9, 15)),
            task("prepare-form"),
            task("director-letter", state="done", done_on=date(2023, 8, 20)),
        ],
        "vo_points": [vo_point(1, answer=VoAnswer.yes), vo_point(2)],
        "actions": [
            action_item(1, ActionState.on_track, title="Felles lunsj fredager"),
            action_item(2, ActionState.delayed, title="Bedre <onboarding>", note="Venter på HR"),
        ],
    }
    fields.update(changes)
    return UnitStatus(**fields)


def leader_home(locale: str = "nb", **changes: Any) -> PersonHome:
    status = ift_status()
    fields: dict[str, Any] = {
        "person_id": 1,
        "name": "Kari Nordmann",
        "locale": locale,
        "memberships": [
            Membership(IFT, IFT_NAME, Role.leader),
            Membership(IFT, IFT_NAME, Role.employee),
        ],
        # given out of order on purpose: the view puts the soonest first
        "due": [
            task("prepare-form", nb="Fyll ut skjema «Forberedelse»", en="Fill in the form"),
            task(
                "choose-response-units",
                state="late",
                due_on=date(2023, 9, 15),
                nb="Valg av svarenheter",
                en="Choose the response units",
            ),
        ],
        "done": [
            task(
                "director-letter",
                state="done_late",
                due_on=date(2023, 8, 1),
                done_on=date(2023, 8, 20),
                done_by="Kari Nordmann",
                archive_ref="2023/1234",
                nb="Lest direktørens brev",
                en="Read the director's letter",
            )
        ],
        "vo_open": [],
        "units": [status],
        "area": [],
    }
    fields.update(changes)
    return PersonHome(**fields)


def vo_home(locale: str = "nb") -> PersonHome:
    return PersonHome(
        person_id=2,
        name="Vera Vernesen",
        locale=locale,
        memberships=[Membership(IFT, IFT_NAME, Role.vo)],
        due=[],
        done=[],
        vo_open=[
            vo_point(1),
            vo_point(
                2,
                answer=VoAnswer.not_yet,
                answered_on=date(2023, 10, 2),
                overdue=True,
                confirm_by=date(2023, 10, 6),
                comment="Ikke <!channel> innkalt",
            ),
        ],
        units=[ift_status()],
        area=[],
    )


def employee_home(locale: str = "nb") -> PersonHome:
    return PersonHome(
        person_id=3,
        name="Even Ansatt",
        locale=locale,
        memberships=[Membership(IFT, IFT_NAME, Role.employee)],
        due=[],
        done=[],
        vo_open=[],
        units=[],
        area=[],
    )


def area_unit(index: int) -> UnitStatus:
    """Unit `index` of a large area; lower indexes are more urgent (more late tasks)."""
    unit_id, late = f"u{index:03d}", max(0, 5 - index // 60)
    tasks = [task(f"t{n}", state="late", unit_id=unit_id) for n in range(late)]
    tasks += [task("done-one", state="done", unit_id=unit_id)]
    tasks += [task("due-one", state="due", unit_id=unit_id)]
    return UnitStatus(
        unit_id=unit_id,
        name=f"Enhet {index:03d}",
        level=3,
        tasks=tasks,
        vo_points=[
            vo_point(1, unit_id=unit_id, answer=VoAnswer.yes),
            vo_point(2, unit_id=unit_id, answer=VoAnswer.partly),
            vo_point(3, unit_id=unit_id),
            vo_point(4, unit_id=unit_id, overdue=True),
        ],
        actions=[action_item(index, ActionState.on_track, unit_id=unit_id)],
        failed_deliveries=2 if index % 2 else 0,
    )


def coordinator_home(locale: str = "nb", units: int = 300) -> PersonHome:
    area = sorted((area_unit(index) for index in range(units)), key=lambda unit: unit.urgency)
    return PersonHome(
        person_id=4,
        name="Kari Koordinator",
        locale=locale,
        memberships=[Membership("ntnu-nv", "Fakultet for naturvitenskap", Role.coordinator)],
        due=[],
        done=[],
        vo_open=[],
        units=[],
        area=area,
    )


# ── reading what is shown ──────────────────────────────────────────────────────────────────


def texts(blocks: list[Block]) -> list[str]:
    found: list[str] = []
    for block in blocks:
        if isinstance(block, HeaderBlock | SectionBlock) and block.text is not None:
            found.append(block.text.text)
        elif isinstance(block, ContextBlock):
            found += [element.text for element in block.elements if isinstance(element, TextObject)]
    return found


def shown(blocks: list[Block]) -> str:
    return "\n".join(texts(blocks))


def button_elements(blocks: list[Block]) -> list[ButtonElement]:
    found: list[ButtonElement] = []
    for block in blocks:
        if isinstance(block, SectionBlock) and isinstance(block.accessory, ButtonElement):
            found.append(block.accessory)
        elif isinstance(block, ActionsBlock):
            found += [element for element in block.elements if isinstance(element, ButtonElement)]
    return found


def buttons(blocks: list[Block]) -> list[tuple[str, str]]:
    """(action_id, value) of every button, in order."""
    return [(str(button.action_id), str(button.value)) for button in button_elements(blocks)]


def labels(blocks: list[Block]) -> list[str]:
    return [button.text.text for button in button_elements(blocks) if button.text is not None]


def valid(view: View) -> list[Block]:
    """The view passes slack_sdk's checks (block count, text lengths) and serialises."""
    view.validate_json()
    payload = view.to_dict()
    assert payload["type"] == "home"
    assert 0 < len(payload["blocks"]) <= HOME_BLOCKS_MAX
    assert view.blocks is not None
    return list(view.blocks)


def valid_message(blocks: list[Block]) -> None:
    assert 0 < len(blocks) <= MESSAGE_BLOCKS_MAX
    for block in blocks:
        block.validate_json()
        block.to_dict()
    assert text_fallback(blocks)


# ── leaders ────────────────────────────────────────────────────────────────────────────────


def test_leader_sees_due_tasks_soonest_first_with_dates_in_words_and_late_marked() -> None:
    blocks = valid(home_view(leader_home("nb"), today=TODAY))
    text = shown(blocks)
    assert texts(blocks)[0] == "Hei, Kari Nordmann!"
    assert "Forfaller for meg" in text
    late = text.index("Valg av svarenheter")
    soon = text.index("Fyll ut skjema «Forberedelse»")
    assert late < soon
    assert "🔴 *Forsinket* – fristen var 15. september 2023" in text
    assert "Institutt for fysikk · frist *13. oktober 2023* (om 3 dager)" in text


def test_leader_sees_the_same_in_english() -> None:
    text = shown(valid(home_view(leader_home("en"), today=TODAY)))
    assert "Hi, Kari Nordmann!" in text
    assert "Due for me" in text
    assert "🔴 *Late* – the deadline was 15 September 2023" in text
    assert "due *13 October 2023* (in 3 days)" in text
    assert "Choose the response units" in text
    assert "My units" in text


def test_leader_buttons_carry_unit_and_milestone() -> None:
    blocks = valid(home_view(leader_home(), today=TODAY))
    assert buttons(blocks) == [
        (ACTION_TASK_DONE, f"{IFT}|choose-response-units"),
        (ACTION_TASK_DONE, f"{IFT}|prepare-form"),
        (ACTION_ADD_ACTION, IFT),
    ]
    assert parse_unit_milestone(f"{IFT}|prepare-form") == (IFT, "prepare-form")
    assert unit_milestone_value(IFT, "prepare-form") == f"{IFT}|prepare-form"
    with pytest.raises(ValueError, match=r"unit\|milestone"):
        parse_unit_milestone("prepare-form")


def test_leader_sees_done_tasks_roles_and_action_items_with_their_state() -> None:
    text = shown(valid(home_view(leader_home(), today=TODAY)))
    assert "Gjort" in text
    assert (
        "✅ *Lest direktørens brev* – Institutt for fysikk · 20. august 2023 (etter fristen)"
        " · Kari Nordmann · ref. 2023/1234"
    ) in text
    assert "*Institutt for fysikk* — leder, medarbeider" in text
    assert "Oppgaver: 1 gjort · 1 venter · 1 forsinket" in text
    assert "• Felles lunsj fredager — _i rute_ · frist 1. mars 2024" in text
    # what people typed is escaped: no mrkdwn control characters get through
    assert "Bedre &lt;onboarding&gt; — _forsinket_" in text
    assert "Venter på HR" in text
    blocks = valid(home_view(leader_home(), today=TODAY))
    assert labels(blocks) == ["Ferdig", "Ferdig", "Registrer tiltak"]


def test_done_shows_only_the_five_most_recent() -> None:
    done = [
        task(f"m{n}", state="done", done_on=date(2023, 9, 30) - timedelta(days=n), nb=f"Gjort {n}")
        for n in range(8)
    ]
    text = shown(valid(home_view(leader_home(done=done), today=TODAY)))
    assert [f"Gjort {n}" in text for n in range(8)] == [True] * 5 + [False] * 3


# ── VOs ────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_vo_is_asked_about_each_open_meeting_point(locale: str) -> None:
    blocks = valid(home_view(vo_home(locale), today=TODAY))
    assert buttons(blocks) == [
        (ACTION_VO_YES, f"{IFT}|vo-meeting-1"),
        (ACTION_VO_PARTLY, f"{IFT}|vo-meeting-1"),
        (ACTION_VO_NOT_YET, f"{IFT}|vo-meeting-1"),
        (ACTION_VO_YES, f"{IFT}|vo-meeting-2"),
        (ACTION_VO_PARTLY, f"{IFT}|vo-meeting-2"),
        (ACTION_VO_NOT_YET, f"{IFT}|vo-meeting-2"),
    ]
    text = shown(blocks)
    if locale == "nb":
        assert "VO: ble du involvert?" in text
        assert "Institutt for fysikk · svar gjerne innen 13. oktober 2023" in text
        assert "🔴 over fristen" in text
        assert "Du svarte «ikke ennå» 2. oktober 2023." in text
        assert "ingen godkjenning" in text
        answers = ["Ja", "Delvis", "Ikke ennå"]
    else:
        assert "VO: were you involved?" in text
        assert "Institutt for fysikk · please answer by 13 October 2023" in text
        assert "🔴 overdue" in text
        assert "You answered “not yet” on 2 October 2023." in text
        assert "not an approval" in text
        answers = ["Yes", "Partly", "Not yet"]
    assert labels(blocks) == answers * 2
    assert "&lt;!channel&gt;" in text
    assert "<!channel>" not in text


# ── employees ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("locale", "empty", "role"),
    [
        ("nb", "Ingenting venter på deg akkurat nå", "*Institutt for fysikk* — medarbeider"),
        ("en", "Nothing is waiting for you right now", "*Institutt for fysikk* — employee"),
    ],
)
def test_employee_with_nothing_due_sees_a_friendly_empty_state(
    locale: str, empty: str, role: str
) -> None:
    blocks = valid(home_view(employee_home(locale), today=TODAY))
    text = shown(blocks)
    assert empty in text
    assert role in text
    assert buttons(blocks) == []
    assert len(blocks) < 10


def test_someone_without_a_unit_is_told_so() -> None:
    home = PersonHome(1, "Ny Person", "en", [], [], [], [], [], [])
    text = shown(valid(home_view(home, today=TODAY)))
    assert "You are not registered in any unit yet" in text


# ── pausing ────────────────────────────────────────────────────────────────────────────────


def test_paused_person_sees_until_when_and_a_resume_button() -> None:
    home = employee_home("nb")
    paused = PersonHome(**{**_fields(home), "paused_until": date(2023, 10, 20)})
    blocks = valid(home_view(paused, today=TODAY))
    assert "satt på pause til og med *20. oktober 2023*" in shown(blocks)
    assert buttons(blocks) == [(ACTION_RESUME, "resume")]
    english = PersonHome(**{**_fields(paused), "locale": "en"})
    assert "Optional nudges are paused until *20 October 2023*" in shown(
        valid(home_view(english, today=TODAY))
    )
    over = PersonHome(**{**_fields(home), "paused_until": TODAY - timedelta(days=1)})
    assert buttons(valid(home_view(over, today=TODAY))) == []


def _fields(home: PersonHome) -> dict[str, Any]:
    return {name: getattr(home, name) for name in PersonHome.__slots__}


# ── coordinators ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_coordinator_with_300_units_stays_within_100_blocks(locale: str) -> None:
    home = coordinator_home(locale)
    blocks = valid(home_view(home, today=TODAY))
    assert len(blocks) <= HOME_BLOCKS_MAX
    sections = [text for text in texts(blocks) if text.startswith("*Enhet ")]
    assert len(sections) > 50
    # the most urgent first, as given
    assert sections[0].startswith(f"*{home.area[0].name}*")
    assert sections == [
        text
        for text in texts(blocks)
        if any(text.startswith(f"*{unit.name}*") for unit in home.area[: len(sections)])
    ]
    more = texts(blocks)[-1]
    hidden = 300 - len(sections)
    if locale == "nb":
        assert more == f"… og {hidden} enheter til – se `/ark report`"
        assert "Enheter i mitt område" in texts(blocks)
    else:
        assert more == f"… and {hidden} more units – see `/ark report`"
        assert "Units in my area" in texts(blocks)


def test_coordinator_unit_line_shows_tasks_vo_points_actions_and_failures() -> None:
    area = [area_unit(1), area_unit(2)]  # 1 has failed deliveries, 2 has none
    home = PersonHome(**{**_fields(coordinator_home("nb", 0)), "area": area})
    blocks = valid(home_view(home, today=TODAY))
    first, second = (text for text in texts(blocks) if text.startswith("*Enhet "))
    assert first.splitlines() == [
        "*Enhet 001* · nivå 3",
        "Oppgaver: 1 gjort · 1 venter · 5 forsinket",
        "VO per møtepunkt: 1 ✅ · 2 🟡 · 3 ⏳ · 4 🔴",
        "Tiltak: 1 i rute",
        "⚠️ 2 meldinger kom ikke fram",
    ]
    assert "kom ikke fram" not in second
    assert not any(text.startswith("… og") for text in texts(blocks))
    assert "✅ ja · 🟡 delvis · ⏳ ikke ennå eller ikke svart · 🔴 over fristen" in shown(blocks)


def test_a_home_with_everything_at_once_still_fits() -> None:
    many_due = [task(f"m{n}", due_on=TODAY + timedelta(days=n)) for n in range(40)]
    many_units = [Membership(f"u{n}", f"Enhet {n}", Role.leader) for n in range(30)]
    home = PersonHome(
        **{
            **_fields(coordinator_home("en")),
            "due": many_due,
            "vo_open": [vo_point(n) for n in range(20)],
            "memberships": many_units,
            "done": many_due[:10],
            "paused_until": TODAY,
        }
    )
    blocks = valid(home_view(home, today=TODAY))
    text = shown(blocks)
    assert "… and 25 more tasks" in text
    assert "… and 12 more questions" in text
    assert "… and 20 more units" in text
    assert "see `/ark report`" in text


def test_long_texts_are_cut_to_slack_limits() -> None:
    huge = "Ø" * 5000
    home = leader_home(name=huge, due=[task("x", nb=huge, unit_name="&" * 4000)], units=[], done=[])
    blocks = valid(home_view(home, today=TODAY))
    assert all(len(text) <= 3000 for text in texts(blocks))
    assert len(texts(blocks)[0]) <= 150


# ── /ark help, status ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_help_lists_every_subcommand_and_report_only_for_coordinators(locale: str) -> None:
    for coordinator in (False, True):
        blocks = help_blocks(locale, coordinator=coordinator)
        valid_message(blocks)
        text = shown(blocks)
        for command in ("help", "status", "plan", "tiltak", "lang nb|en", "pause ["):
            assert f"`/ark {command}" in text
        assert ("`/ark report`" in text) is coordinator
    assert "arkbot – commands" in shown(help_blocks("en", coordinator=False))
    assert "arkbot – kommandoer" in shown(help_blocks("nb", coordinator=False))


def test_status_is_a_compact_home() -> None:
    blocks = status_blocks(leader_home("en"), today=TODAY)
    valid_message(blocks)
    text = shown(blocks)
    assert "Your status" in text
    assert "*Choose the response units* – Institutt for fysikk · 🔴 *Late*" in text
    assert "due *13 October 2023* (in 3 days)" in text
    assert "*Institutt for fysikk* — leader, employee · Tasks: 1 done · 1 due · 1 late" in text
    assert buttons(blocks) == []
    fallback = text_fallback(blocks)
    assert "Your status" in fallback
    assert "Choose the response units" in fallback


def test_status_for_vo_employee_and_coordinator() -> None:
    vo = status_blocks(vo_home("nb"), today=TODAY)
    valid_message(vo)
    assert "*Møtepunkt 1 med verneombud* – Institutt for fysikk · svar gjerne innen" in shown(vo)
    assert "Forfaller for meg" not in shown(vo)
    employee = status_blocks(employee_home("en"), today=TODAY)
    valid_message(employee)
    assert "Nothing is waiting for you right now" in shown(employee)
    coordinator = status_blocks(coordinator_home("en"), today=TODAY)
    valid_message(coordinator)
    assert "300 units, most urgent first." in shown(coordinator)
    assert "… and 295 more units – see `/ark report`" in shown(coordinator)


# ── /ark plan ──────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "schedules" / "plans" / "ntnu-ark-2023-2025.yaml")


def titles(blocks: list[Block]) -> list[str]:
    return [
        text.splitlines()[0].strip("*")
        for text in texts(blocks)
        if text.startswith("*") and "\n" in text
    ]


def test_plan_shows_the_milestones_ahead_in_order(plan: Plan) -> None:
    blocks = plan_blocks(plan, locale="nb", today=date(2023, 9, 20), unit_levels={3}, limit=5)
    valid_message(blocks)
    assert titles(blocks) == [
        plan.milestone(milestone_id).title.nb
        for milestone_id in (
            "prepare-on-level2-agenda",  # its coordinator audience has no level
            "vo-meeting-1-prepare",  # 1–30 September
            "prepare-form",  # 1 September – 13 October
            "vo-school",
            "info-meeting",
        )
    ]
    text = shown(blocks)
    assert (
        "1. september 2023 – frist 13. oktober 2023 (pågår nå) · Fase 1: Motivere og forberede"
        in text
    )
    assert "21. september 2023 kl. 09:30-11:30" in text
    assert "oktober 2023 · Fase 1" in text  # a vague month stays a month
    assert "… og 16 milepæler til" in text
    assert "Dato kommer: Evalueringsmøte ledere og VO" in text
    # level-2-only and past milestones are not shown
    assert plan.milestone("choose-response-units").title.nb not in text
    assert plan.milestone("rector-meeting-heads-of-department").title.nb not in text


def test_plan_roles_narrow_the_audience(plan: Plan) -> None:
    blocks = plan_blocks(
        plan, locale="nb", today=date(2023, 9, 20), unit_levels={3}, roles={Role.leader}
    )
    valid_message(blocks)
    assert titles(blocks)[:3] == [
        plan.milestone(milestone_id).title.nb
        for milestone_id in ("prepare-form", "info-meeting", "survey")
    ]
    vo = plan_blocks(plan, locale="nb", today=date(2023, 9, 20), unit_levels={3}, roles={Role.vo})
    assert titles(vo)[:2] == [
        plan.milestone(milestone_id).title.nb
        for milestone_id in ("vo-meeting-1-prepare", "prepare-form")
    ]


def test_plan_levels_choose_the_milestones(plan: Plan) -> None:
    level2 = plan_blocks(plan, locale="en", today=date(2023, 9, 1), unit_levels={2}, limit=30)
    level3 = plan_blocks(plan, locale="en", today=date(2023, 9, 1), unit_levels={3}, limit=30)
    rector = plan.milestone("rector-meeting-heads-of-department").title.en
    choose = plan.milestone("choose-response-units").title.en
    assert rector in titles(level3)
    assert rector not in titles(level2)
    assert choose in titles(level2)  # level-2 leaders
    assert "due 15 September 2023" in shown(level2)


def test_plan_vague_timings_read_as_words(plan: Plan) -> None:
    nb = shown(plan_blocks(plan, locale="nb", today=date(2024, 8, 1), unit_levels={2}))
    en = shown(plan_blocks(plan, locale="en", today=date(2024, 8, 1), unit_levels={2}))
    assert "høsten 2024 · Fase 4: Gjennomføre" in nb
    assert "autumn 2024 · Phase 4: Carry them out" in en
    assert "midten av september 2024" in nb
    assert "mid-September 2024" in en
    assert "15. august 2024" not in nb  # no fake exact day for a season


def test_plan_in_order_and_empty_when_over(plan: Plan) -> None:
    blocks = plan_blocks(plan, locale="en", today=date(2023, 1, 1), unit_levels={1, 2, 3}, limit=40)
    valid_message(blocks)
    order = [milestone.title.en for milestone in plan.milestones if milestone.when.type != "tbd"]
    assert sorted(titles(blocks)) == sorted(order)
    assert titles(blocks)[0] == plan.milestone("director-letter").title.en
    assert (
        titles(blocks)[-1] == plan.milestone("implementation-spring").title.en
        or titles(blocks)[-1] == plan.milestone("pulse-spring").title.en
    )
    late = plan_blocks(plan, locale="en", today=date(2026, 1, 1), unit_levels={3})
    valid_message(late)
    assert "No milestones ahead for your units." in shown(late)


# ── /ark report ────────────────────────────────────────────────────────────────────────────


def test_report_totals_add_up_and_most_urgent_units_come_first() -> None:
    area = [area_unit(index) for index in range(300)][::-1]  # least urgent first on purpose
    blocks = report_blocks(area, locale="en", today=TODAY)
    valid_message(blocks)
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    late = sum(unit.late for unit in area)
    points = 4 * 300
    totals = texts(blocks)[2].splitlines()
    assert totals == [
        "*Units:* 300",
        f"*Tasks:* 300 done on time · 0 done after the deadline · {300 + late} open,"
        f" {late} of them late",
        f"*VO meeting points:* 300 confirmed · 300 partly · 300 overdue · {points} in all",
        "*Actions:* 300 on track",
        "*Messages not delivered:* 300",
    ]
    units = [text for text in texts(blocks) if text.startswith("*Enhet ")]
    assert [text.splitlines()[0] for text in units] == [
        f"*Enhet {index:03d}* · level 3" for index in range(10)
    ]
    assert texts(blocks)[-1] == "… and 290 more units"


def test_report_counts_states_in_nb() -> None:
    unit = ift_status(failed_deliveries=1)
    blocks = report_blocks([unit], locale="nb", today=TODAY)
    valid_message(blocks)
    text = shown(blocks)
    assert (
        "*Oppgaver:* 1 gjort i tide · 0 gjort etter fristen · 2 åpne, av dem 1 over fristen" in text
    )
    assert "*VO-møtepunkter:* 1 bekreftet · 0 delvis · 0 over fristen · 2 i alt" in text
    assert "*Tiltak:* 1 i rute · 1 forsinket" in text
    assert "*Meldinger som ikke kom fram:* 1" in text
    assert "Status per 10. oktober 2023" in text
    assert "Det er ingen enheter" in shown(report_blocks([], locale="nb", today=TODAY))
