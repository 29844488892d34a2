"""Digests: one message per person instead of one per unit, rendered on every transport."""

from __future__ import annotations

from datetime import date

from rich.console import Console
from sqlalchemy.engine import Engine

from bot.messages import ActionId, Button, Message, MessageKind, Section
from bot.sender import SenderConfig
from bot.slack.blocks import render_blocks, render_payload
from bot.transports.base import Recipient
from bot.transports.console import render_panel
from storage.models import DeliveryStatus
from tests.engine.harness import build_world, make_plan, oslo

FIVE_UNITS = """unit_id,unit_name,parent_id,level,email,name,role,locale,timezone
UNI,Universitetet,,1,,,,,
FAK,Fakultetet,UNI,2,koord@example.org,Kari Koordinator,coordinator,en,
""" + "".join(
    f"I{n},Institutt {n},FAK,3,leder{n}@example.org,Leder {n},leader,nb,\n"
    f"I{n},Institutt {n},FAK,3,vo@example.org,Vera VO,vo,nb,\n"
    for n in range(1, 6)
)

# One VO for 25 units: more than one message holds.
VO_OF_25 = FIVE_UNITS.split("I1,")[0] + "".join(
    f"I{n:02},Institutt {n:02},FAK,3,vo@example.org,Vera VO,vo,nb,\n" for n in range(1, 26)
)

PLAN = """
  - id: form
    phase: 1
    kind: task
    title: {nb: Fyll ut skjema, en: Fill in the form}
    audience: [{role: leader, level: 3}]
    when: {type: deadline, due: 2024-05-21, opens: 2024-04-22}
  - id: other-form
    phase: 1
    kind: task
    title: {nb: Fyll ut et annet skjema, en: Fill in another form}
    audience: [{role: leader, level: 3}]
    when: {type: deadline, due: 2024-05-21}
  - id: agenda
    phase: 1
    kind: agenda
    title: {nb: Sett saken på agendaen, en: Put it on the agenda}
    audience: [{role: vo}]
    when: {type: day, date: 2024-05-06}
  - id: news
    phase: 1
    kind: information
    title: {nb: Nyhet, en: News}
    audience: [{role: vo}]
    when: {type: day, date: 2024-05-06}
"""


def test_a_batch_cut_in_two_still_gives_one_digest(engine: Engine) -> None:
    world = build_world(
        engine,
        make_plan(PLAN),
        oslo(date(2024, 4, 20)),
        org_csv=FIVE_UNITS,
        config=SenderConfig(concurrency=2, batch_size=2),
    )
    world.run_days(date(2024, 4, 20), date(2024, 5, 31))
    escalations = [d for d in world.deliveries() if d.nudge == "escalation"]
    assert len(escalations) == 10  # five units, two milestones
    assert {d.status for d in escalations} == {DeliveryStatus.sent}
    (digest,) = world.sent_to("koord@example.org")
    assert digest.headline == "Deadlines passed: 10 units"
    assert "*Fill in the form* (the deadline was 21 May 2024):" in digest.body
    assert "• Institutt 3 — leader: Leder 3" in digest.body
    # One message: every row carries its channel and message id.
    assert len({(d.channel_id, d.message_id) for d in escalations}) == 1


def test_the_cap_counts_a_digest_as_one_nudge(sqlite_engine: Engine) -> None:
    world = build_world(sqlite_engine, make_plan(PLAN), oslo(date(2024, 5, 6)), org_csv=FIVE_UNITS)
    world.run_days(date(2024, 5, 6), date(2024, 5, 6))
    vo = world.sent_to("vo@example.org")
    # The agenda item for five units went as one message; the news (also optional) waits
    # for tomorrow, as the cap of one optional nudge a day says.
    assert [m.headline for m in vo] == ["På agendaen: Sett saken på agendaen"]
    assert [s.text for s in vo[0].sections] == [f"*Institutt {n}*" for n in range(1, 6)]
    agenda = [d for d in world.deliveries() if d.milestone_id == "agenda"]
    assert {d.status for d in agenda} == {DeliveryStatus.sent}
    world.run_days(date(2024, 5, 7), date(2024, 5, 7))
    assert [m.headline for m in world.sent_to("vo@example.org")][1:] == ["Nyhet"]


def test_more_units_than_a_message_holds_go_as_several_messages(engine: Engine) -> None:
    world = build_world(engine, make_plan(PLAN), oslo(date(2024, 5, 6)), org_csv=VO_OF_25)
    world.run_days(date(2024, 5, 6), date(2024, 5, 6))
    first, second = world.sent_to("vo@example.org")
    # In the order of the units' names; every unit has its part (its row) in one of them.
    assert [s.text for s in first.sections] == [f"*Institutt {n:02}*" for n in range(1, 21)]
    assert [s.text for s in second.sections] == [f"*Institutt {n:02}*" for n in range(21, 26)]
    assert first.body.startswith("Det samme gjelder 20 enheter.")
    assert second.body.startswith("Det samme gjelder 5 enheter.")
    assert all(len(render_blocks(message)) <= 50 for message in (first, second))
    agenda = [d for d in world.deliveries() if d.milestone_id == "agenda"]
    assert {d.status for d in agenda} == {DeliveryStatus.sent}
    by_message: dict[str | None, set[int]] = {}
    for row in agenda:
        by_message.setdefault(row.message_id, set()).add(row.id or 0)
    parts = {s.delivery_id for m in (first, second) for s in m.sections}
    assert sorted(len(ids) for ids in by_message.values()) == [5, 20]
    assert parts == {row.id for row in agenda}


def test_a_digest_sent_as_several_messages_counts_once_for_the_cap(engine: Engine) -> None:
    news = """
  - id: news2
    phase: 1
    kind: information
    title: {nb: Nyhet to, en: News two}
    audience: [{role: vo}]
    when: {type: day, date: 2024-05-08}
"""
    world = build_world(engine, make_plan(PLAN + news), oslo(date(2024, 5, 6)), org_csv=VO_OF_25)
    world.run_days(date(2024, 5, 6), date(2024, 5, 8))
    # Monday the agenda (two messages, one nudge), Tuesday the news (one a day), Wednesday
    # the second news: three optional nudges, the week's allowance.
    headlines = [m.headline for m in world.sent_to("vo@example.org")]
    assert headlines == [
        "På agendaen: Sett saken på agendaen",
        "På agendaen: Sett saken på agendaen",
        "Nyhet",
        "Nyhet to",
    ]


def _digest() -> Message:
    return Message(
        kind=MessageKind.vo_question,
        locale="en",
        headline="Were you involved? Meeting point 1",
        body="This concerns 2 units. Answer for each unit below.",
        context="Phase 1",
        delivery_id=7,
        sections=[
            Section(
                text=f"*Unit {n}* <!channel>",
                delivery_id=n,
                buttons=[
                    Button(action=ActionId.vo_yes, label="Yes", value=str(n), style="primary"),
                    Button(action=ActionId.vo_not_yet, label="Not yet", value=str(n)),
                ],
            )
            for n in (7, 8)
        ],
    )


def test_slack_renders_each_unit_with_its_own_buttons() -> None:
    message = _digest()
    blocks = [block.to_dict() for block in render_blocks(message)]
    actions = [block for block in blocks if block["type"] == "actions"]
    assert [block["block_id"] for block in actions] == ["delivery:7", "delivery:8"]
    assert [[e["value"] for e in block["elements"]] for block in actions] == [
        ["7", "7"],
        ["8", "8"],
    ]
    assert all("<!channel>" not in str(block) for block in blocks)
    payload = render_payload(message)
    assert "Unit 8" in payload["text"]
    assert payload["blocks"] == blocks


def test_the_console_shows_each_unit_and_its_buttons() -> None:
    console = Console(record=True, width=100)
    recipient = Recipient(person_id=1, email="vo@example.org", name="Vera VO", locale="en")
    console.print(render_panel(recipient, _digest()))
    text = console.export_text()
    assert "Unit 7" in text
    assert "Unit 8" in text
    assert text.count("[ Yes ]") == 2
