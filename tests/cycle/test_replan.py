"""A moved deadline re-plans what is pending: nothing sent twice, nothing lost."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

from sqlalchemy.engine import Engine

from bot.sender import Sender, SenderConfig
from schedules.planner import Planner
from storage.db import session_scope
from storage.models import DeliveryStatus
from storage.overrides import set_milestone_date
from tests.engine.harness import World, build_world, make_plan, oslo

TASK = """
  - id: form
    phase: 1
    kind: task
    title: {nb: Fyll ut skjema, en: Fill in the form}
    audience: [{role: leader, level: 3}, {role: vo}]
    when: {type: deadline, due: 2024-05-21, opens: 2024-04-22}
"""


def _move(world: World, due: date, when: date) -> None:
    with session_scope(world.engine) as session:
        set_milestone_date(
            session, world.plan, "form", due, now=oslo(when, 10), actor="koord@example.org"
        )


def _sent(world: World) -> list[tuple[str, str, str | None, str, date]]:
    """(person, occurrence without unit, unit, nudge, local day) of every sent row."""
    found = []
    for delivery in world.deliveries():
        if delivery.status is DeliveryStatus.sent and delivery.sent_at is not None:
            found.append(
                (
                    str(delivery.person_id),
                    delivery.occurrence.split(":")[0],
                    delivery.unit_id,
                    delivery.nudge,
                    world.calendar.local_date(delivery.sent_at),
                )
            )
    return found


def test_a_moved_deadline_replans_the_pending_reminders(engine: Engine) -> None:
    world = build_world(engine, make_plan(TASK), oslo(date(2024, 4, 20)))
    world.run_days(date(2024, 4, 20), date(2024, 5, 13))
    # r3 (Tue 14 May) is planned and pending when the deadline moves by a day.
    _move(world, date(2024, 5, 22), date(2024, 5, 13))
    cancelled = [d for d in world.deliveries() if d.error == "date moved"]
    assert cancelled
    assert {d.occurrence.split(":")[0] for d in cancelled} == {"r3"}
    assert all(d.status is DeliveryStatus.cancelled for d in cancelled)
    world.run_days(date(2024, 5, 13), date(2024, 6, 10))

    sent = _sent(world)
    # Nothing twice: one row per (person, unit, occurrence).
    counts = Counter((person, occurrence, unit) for person, occurrence, unit, _, _ in sent)
    assert max(counts.values()) == 1
    leader_a = [(o, day) for p, o, u, n, day in sent if u == "IFA" and n != "escalation"]
    leader_a = [(o, day) for o, day in leader_a if not o.startswith("moved")]
    leader_a = sorted(set(leader_a), key=lambda pair: pair[1])
    # Open and r14 went before the move and are not repeated; r3 and r0 follow the new date.
    assert leader_a == [
        ("open", date(2024, 4, 22)),
        ("r14", date(2024, 4, 25)),
        ("r3", date(2024, 5, 15)),
        ("r0@2024-05-22", date(2024, 5, 22)),
    ]
    moved = [(p, u, day) for p, o, u, n, day in sent if n == "date_changed"]
    # Leader A, leader B and the VO (of both units) hear of the move once per unit, at once.
    assert len(moved) == 4
    assert {day for _, _, day in moved} == {date(2024, 5, 13)}
    escalations = [(o, day) for p, o, u, n, day in sent if n == "escalation"]
    assert {o for o, _ in escalations} == {"esc@2024-05-22"}
    # The VO of both units got one message per nudge, not one per unit.
    vo = world.sent_to("vo.a@example.org")
    assert vo
    assert all(len(m.sections) == 2 for m in vo)


def test_a_deadline_moved_after_it_passed_gets_its_deadline_day_reminder_again(
    engine: Engine,
) -> None:
    world = build_world(engine, make_plan(TASK), oslo(date(2024, 4, 20)))
    world.run_days(date(2024, 4, 20), date(2024, 5, 22))
    _move(world, date(2024, 5, 28), date(2024, 5, 22))
    world.run_days(date(2024, 5, 22), date(2024, 6, 10))
    sent = _sent(world)
    leader_a = sorted(
        {(o, day) for p, o, u, n, day in sent if u == "IFA" and n in ("reminder", "task_open")},
        key=lambda pair: pair[1],
    )
    assert leader_a == [
        ("open", date(2024, 4, 22)),
        ("r14", date(2024, 4, 25)),
        ("r3", date(2024, 5, 14)),
        ("r0", date(2024, 5, 21)),
        ("r0@2024-05-28", date(2024, 5, 28)),
    ]
    escalations = sorted({o for p, o, u, n, day in sent if n == "escalation"})
    # The old deadline's escalation (due Fri 24 May) was never planned: only the new one goes.
    assert escalations == ["esc@2024-05-28"]


def test_two_planners_and_two_senders_after_a_move_send_nothing_twice(engine: Engine) -> None:
    world = build_world(engine, make_plan(TASK), oslo(date(2024, 4, 20)))
    second_planner = Planner(engine, world.plan, world.calendar, world.clock)
    second_sender = Sender(
        engine,
        world.plan,
        world.transport,
        world.calendar,
        world.clock,
        config=SenderConfig(concurrency=2, batch_size=3),
    )
    try:
        world.run_days(date(2024, 4, 20), date(2024, 5, 13))
        _move(world, date(2024, 5, 24), date(2024, 5, 13))
        day = date(2024, 5, 13)
        while day <= date(2024, 6, 10):
            for hour in (0, 9, 12, 16):
                world.at(oslo(day, hour))

                def run(planner: Planner, sender: Sender) -> None:
                    planner.run()
                    while sender.run_once().claimed:
                        pass

                threads = [
                    threading.Thread(target=run, args=(world.planner, world.sender)),
                    threading.Thread(target=run, args=(second_planner, second_sender)),
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            day = date.fromordinal(day.toordinal() + 1)
    finally:
        second_sender.close()
    sent = _sent(world)
    counts = Counter((person, occurrence, unit) for person, occurrence, unit, _, _ in sent)
    assert max(counts.values()) == 1
    occurrences = {o for p, o, u, n, day in sent if u == "IFB" and n == "reminder"}
    assert occurrences == {"r14", "r3", "r0@2024-05-24"}
