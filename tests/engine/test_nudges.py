"""What goes out when: working days, the send window, reminders, escalation, caps, pauses."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Engine

from schedules.calendar import WorkCalendar
from storage.db import session_scope
from storage.directory import import_org
from storage.models import DeliveryStatus
from storage.records import mark_task_done
from tests.engine.harness import ORG_CSV, World, build_world, make_plan, oslo

TASK = """
  - id: form
    phase: 1
    kind: task
    title: {nb: Fyll ut skjema, en: Fill in the form}
    audience: [{role: leader, level: 3}]
    when: {type: deadline, due: 2024-05-21, opens: 2024-04-22}
"""


def test_task_reminders_go_on_working_days_before_the_deadline(sqlite_engine: Engine) -> None:
    world = build_world(sqlite_engine, make_plan(TASK), oslo(date(2024, 4, 20)))
    world.run_days(date(2024, 4, 20), date(2024, 5, 31))
    sent = [
        d
        for d in world.deliveries()
        if d.status is DeliveryStatus.sent and d.unit_id == "IFA" and d.role == "leader"
    ]
    calendar = WorkCalendar()
    days = [(calendar.local_date(d.sent_at), d.occurrence.split(":")[0]) for d in sent if d.sent_at]
    # 14 working days before Tue 21 May 2024 crosses 1 May, Ascension (9 May) and 17 May;
    # the task opened on 22 April, before the first reminder, so it was announced then.
    assert days == [
        (date(2024, 4, 22), "open"),
        (date(2024, 4, 25), "r14"),
        (date(2024, 5, 14), "r3"),
        (date(2024, 5, 21), "r0"),
    ]
    for delivery in sent:
        assert delivery.sent_at is not None
        assert calendar.in_send_window(delivery.sent_at)
        assert calendar.is_working_day(calendar.local_date(delivery.sent_at))


def test_reminders_stop_once_the_task_is_done(engine: Engine) -> None:
    world = build_world(engine, make_plan(TASK), oslo(date(2024, 4, 20)))
    world.run_days(date(2024, 4, 20), date(2024, 5, 13))
    assert len(world.sent_to("leder.a@example.org")) == 2  # the opening notice and r14
    world.at(oslo(date(2024, 5, 14), 0)).tick()  # r3 is now planned for 09:00
    with session_scope(engine) as session:
        mark_task_done(
            session,
            cycle_id="test-cycle",
            milestone_id="form",
            unit_id="IFA",
            done_on=date(2024, 5, 14),
            now=world.clock.now(),
            actor="leder.a@example.org",
        )
    world.run_days(date(2024, 5, 14), date(2024, 6, 10))
    assert len(world.sent_to("leder.a@example.org")) == 2
    cancelled = [d for d in world.deliveries() if d.status is DeliveryStatus.cancelled]
    assert [(d.unit_id, d.occurrence, d.error) for d in cancelled] == [
        ("IFA", "r3:IFA", "task marked done")
    ]
    # Unit B did not finish: its leader got every reminder and the coordinator heard of it.
    assert len(world.sent_to("leder.b@example.org")) == 4
    escalations = world.sent_to("koord@example.org")
    assert len(escalations) == 1
    assert "Institutt B" in escalations[0].body


def test_escalation_goes_to_the_coordinator_after_a_missed_deadline(engine: Engine) -> None:
    world = build_world(engine, make_plan(TASK), oslo(date(2024, 5, 20)))
    world.run_days(date(2024, 5, 20), date(2024, 5, 31))
    escalations = [d for d in world.deliveries() if d.nudge == "escalation"]
    assert sorted(d.unit_id or "" for d in escalations) == ["IFA", "IFB"]
    calendar = WorkCalendar()
    for delivery in escalations:
        assert delivery.status is DeliveryStatus.sent
        assert delivery.sent_at is not None
        # Three working days after Tue 21 May 2024.
        assert calendar.local_date(delivery.sent_at) == date(2024, 5, 24)
    # One digest for both late units (bot/digest.py), both rows recorded with its message.
    (digest,) = world.sent_to("koord@example.org")
    assert "Institutt A" in digest.body
    assert "Institutt B" in digest.body
    assert len({d.message_id for d in escalations}) == 1


INFO_ON_HOLIDAY = """
  - id: news
    phase: 2
    kind: information
    title: {nb: Resultater, en: Results}
    audience: [{role: employee}]
    when: {type: day, date: 2024-05-17}
"""


def test_no_nudge_on_a_holiday_weekend_or_outside_the_window(sqlite_engine: Engine) -> None:
    world = build_world(sqlite_engine, make_plan(INFO_ON_HOLIDAY), oslo(date(2024, 5, 16)))
    calendar = WorkCalendar()
    # Hour by hour over 17 May (Friday, national day), the weekend and Whit Monday (20 May).
    moment = oslo(date(2024, 5, 16))
    while moment < oslo(date(2024, 5, 22)):
        world.at(moment).tick()
        moment += timedelta(minutes=30)
    sent = [d for d in world.deliveries() if d.sent_at is not None]
    assert len(sent) == 3
    for delivery in sent:
        assert delivery.sent_at is not None
        zone = (
            "America/New_York"
            if delivery.person_id == _person_id(world, "ansatt3@example.org")
            else None
        )
        assert calendar.local_date(delivery.sent_at, zone) == date(2024, 5, 21)
        assert delivery.sent_at == calendar.send_time(date(2024, 5, 21), zone)


def _person_id(world: World, email: str) -> int:
    return next(r.person_id for r, _ in world.transport.sent if r.email == email)


THREE_INFOS_AND_A_TASK = """
  - id: info-a
    phase: 1
    kind: information
    title: {nb: Info A, en: Info A}
    audience: [{role: employee}]
    when: {type: day, date: 2024-09-02}
  - id: info-b
    phase: 1
    kind: information
    title: {nb: Info B, en: Info B}
    audience: [{role: employee}, {role: leader}]
    when: {type: day, date: 2024-09-02}
  - id: info-c
    phase: 1
    kind: information
    title: {nb: Info C, en: Info C}
    audience: [{role: employee}, {role: leader}]
    when: {type: window, start: 2024-09-02, end: 2024-09-30}
  - id: info-d
    phase: 1
    kind: information
    title: {nb: Info D, en: Info D}
    audience: [{role: employee}, {role: leader}]
    when: {type: window, start: 2024-09-03, end: 2024-09-30}
  - id: task
    phase: 1
    kind: task
    title: {nb: Oppgave, en: Task}
    audience: [{role: leader, level: 3}]
    when: {type: deadline, due: 2024-09-02}
"""


def test_frequency_cap_holds_optional_nudges_but_never_deadline_reminders(engine: Engine) -> None:
    world = build_world(engine, make_plan(THREE_INFOS_AND_A_TASK), oslo(date(2024, 8, 30)))
    world.run_days(date(2024, 8, 30), date(2024, 9, 20))
    calendar = WorkCalendar()
    leader = _person_id(world, "leder.a@example.org")
    employee = _person_id(world, "ansatt1@example.org")
    by_person: dict[int, list[tuple[date, str]]] = {}
    for delivery in world.deliveries():
        if delivery.sent_at is not None:
            day = calendar.local_date(delivery.sent_at)
            by_person.setdefault(delivery.person_id, []).append((day, delivery.milestone_id))
    # The employee gets one optional nudge a day, at most three a week: A, B, C; D next week.
    assert sorted(by_person[employee]) == [
        (date(2024, 9, 2), "info-a"),
        (date(2024, 9, 3), "info-b"),
        (date(2024, 9, 4), "info-c"),
        (date(2024, 9, 9), "info-d"),
    ]
    # The leader's deadline reminder goes on the day it is due even though B came that day too.
    leader_days = sorted(by_person[leader])
    assert (date(2024, 9, 2), "task") in leader_days
    assert leader_days.count((date(2024, 9, 2), "task")) == 1
    optional_per_day: dict[date, int] = {}
    for day, milestone in leader_days:
        if milestone != "task":
            optional_per_day[day] = optional_per_day.get(day, 0) + 1
    assert max(optional_per_day.values()) == 1


SURVEY_AND_PULSE = """
  - id: survey
    phase: 2
    kind: window
    title: {nb: Spørreundersøkelse, en: Survey}
    audience: [{role: employee}]
    when: {type: window, start: survey_start, end: survey_start + 3w}
  - id: pulse
    phase: 4
    kind: pulse
    title: {nb: Puls, en: Pulse}
    audience: [{role: employee}]
    when: {type: window, start: 2024-01-08, end: 2024-06-14}
    pulse:
      cadence_days: 21
      questions:
        - id: safe
          text: {nb: "Er det trygt å si ifra?", en: "Is it safe to speak up?"}
          scale: "1-5"
"""


def test_pulses_pause_while_the_survey_is_open(sqlite_engine: Engine) -> None:
    plan = make_plan(SURVEY_AND_PULSE)
    world = build_world(sqlite_engine, plan, oslo(date(2024, 1, 5)))
    world.run_days(date(2024, 1, 5), date(2024, 6, 20), hours=(0, 10))
    calendar = WorkCalendar()
    pulses = sorted(
        calendar.local_date(d.sent_at)
        for d in world.deliveries()
        if d.nudge == "pulse"
        and d.sent_at is not None
        and d.person_id == _person_id(world, "ansatt1@example.org")
    )
    survey = (date(2024, 3, 4), date(2024, 3, 25))
    assert pulses, "pulses were sent outside the survey"
    assert not [day for day in pulses if survey[0] <= day <= survey[1]]
    # Every three weeks from 8 January, minus the one that fell inside the survey window.
    assert pulses == [
        date(2024, 1, 8),
        date(2024, 1, 29),
        date(2024, 2, 19),
        date(2024, 4, 2),
        date(2024, 4, 22),
        date(2024, 5, 13),
        date(2024, 6, 3),
    ]


DST_INFO = """
  - id: before-dst
    phase: 1
    kind: information
    title: {nb: Før sommertid, en: Before DST}
    audience: [{role: leader, level: 3}]
    when: {type: day, date: 2024-03-29}
  - id: after-dst
    phase: 1
    kind: information
    title: {nb: Etter sommertid, en: After DST}
    audience: [{role: leader, level: 3}]
    when: {type: day, date: 2024-04-08}
  - id: autumn-dst
    phase: 1
    kind: information
    title: {nb: Vintertid, en: Winter time}
    audience: [{role: leader, level: 3}]
    when: {type: day, date: 2024-10-28}
"""


def test_daylight_saving_days_neither_double_nor_lose_a_send(sqlite_engine: Engine) -> None:
    world = build_world(sqlite_engine, make_plan(DST_INFO), oslo(date(2024, 3, 28)))
    for first, last in (
        (date(2024, 3, 28), date(2024, 4, 9)),
        (date(2024, 10, 25), date(2024, 10, 29)),
    ):
        moment = oslo(first)
        while moment < oslo(last):
            world.at(moment).tick()
            moment += timedelta(minutes=20)
    sent = sorted(
        (d.milestone_id, d.sent_at.isoformat())
        for d in world.deliveries()
        if d.sent_at is not None and d.unit_id == "IFA"
    )
    # 29 March 2024 is Good Friday: it moves to Tuesday 2 April, now in summer time (UTC+2).
    assert sent == [
        ("after-dst", "2024-04-08T07:00:00+00:00"),
        ("autumn-dst", "2024-10-28T08:00:00+00:00"),
        ("before-dst", "2024-04-02T07:00:00+00:00"),
    ]


def test_a_person_who_left_the_unit_gets_nothing_more(engine: Engine) -> None:
    world = build_world(engine, make_plan(TASK), oslo(date(2024, 5, 14), 0))
    world.tick()  # r3 for both leaders is pending for 09:00
    without_b = "".join(line for line in ORG_CSV.splitlines(True) if "leder.b@" not in line)
    import_org(engine, without_b, clock=world.clock, actor="test")
    world.run_days(date(2024, 5, 14), date(2024, 5, 31))
    assert world.sent_to("leder.b@example.org") == []
    cancelled = [d for d in world.deliveries() if d.status is DeliveryStatus.cancelled]
    assert [(d.unit_id, d.error) for d in cancelled] == [("IFB", "person is no longer active")]
    assert len(world.sent_to("leder.a@example.org")) == 2  # r3 and r0


def test_a_reminder_too_late_to_make_sense_expires(engine: Engine) -> None:
    world = build_world(engine, make_plan(TASK), oslo(date(2024, 5, 21), 0))
    world.planner.run()  # r0 planned for 09:00 on the deadline day; then the sender is down
    world.at(oslo(date(2024, 5, 22), 10))
    stats = world.sender.run_once()
    assert stats.expired == 2
    assert stats.sent == 0
    expired = [d for d in world.deliveries() if d.status is DeliveryStatus.expired]
    assert {d.error for d in expired} == {"too late to make sense"}
    assert world.transport.sent == []
