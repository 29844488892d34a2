"""Who may do what: the checks every Slack handler makes before it acts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.access import (
    Denied,
    coordinates,
    is_coordinator,
    is_vo_for,
    leads,
    may_act_on_delivery,
    may_manage_actions,
    person_for_slack,
    require_addressee,
    require_coordinator,
    require_leader,
    require_may_manage_actions,
    require_person_for_slack,
    require_vo,
    roles_of,
)
from schedules.clock import FrozenClock
from storage.directory import import_org
from storage.models import Role
from storage.queries import person_by_email

CLOCK = FrozenClock(datetime(2024, 3, 25, 10, tzinfo=UTC))

ORG = """unit_id,unit_name,parent_id,level,email,name,role,slack_user_id
UNI,Universitetet,,1,rektor@example.org,Rita Rektor,leader,U0000RITA
FAK,Fakultetet,UNI,2,koord@example.org,Kari Koordinator,coordinator,U0000KARI
FAK,Fakultetet,UNI,2,dekan@example.org,Dag Dekan,leader,U0000DAG
IFA,Institutt A,FAK,3,leder.a@example.org,Anne Leder,leader,U0000ANNE
IFA,Institutt A,FAK,3,vo.a@example.org,Vidar Verneombud,vo,U0000VIDAR
IFA,Institutt A,FAK,3,ansatt1@example.org,Ola Ansatt,employee,U0000OLA
IFB,Institutt B,FAK,3,leder.b@example.org,Bjørn Leder,leader,U0000BJORN
IFB,Institutt B,FAK,3,vo.a@example.org,Vidar Verneombud,vo,
IFC,Institutt C,FAK,3,leder.c@example.org,Cecilie Leder,leader,U0000CECI
"""


def without(text: str, *fragments: str) -> str:
    return "".join(
        line for line in text.splitlines(keepends=True) if not any(f in line for f in fragments)
    )


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    import_org(engine, ORG, clock=CLOCK, actor="test")
    with Session(engine) as session:
        yield session


def pid(session: Session, email: str) -> int:
    person = person_by_email(session, email, include_inactive=True)
    assert person is not None
    assert person.id is not None
    return person.id


def test_person_for_slack(session: Session) -> None:
    anne = person_for_slack(session, "U0000ANNE")
    assert anne is not None
    assert anne.email == "leder.a@example.org"
    assert person_for_slack(session, "U0000NOBODY") is None
    assert person_for_slack(session, "") is None
    assert person_for_slack(session, "   ") is None


def test_inactive_people_and_units_count_for_nothing(engine: Engine, session: Session) -> None:
    anne = pid(session, "leder.a@example.org")
    # Anne leaves; IFC is closed down.
    import_org(engine, without(ORG, "leder.a@", "IFC,"), clock=CLOCK, actor="test")
    session.expire_all()
    cecilie = pid(session, "leder.c@example.org")
    assert person_for_slack(session, "U0000ANNE") is None
    assert roles_of(session, anne) == []
    assert leads(session, anne, "IFA") is False
    assert leads(session, cecilie, "IFC") is False
    assert may_manage_actions(session, pid(session, "koord@example.org"), "IFC") is False


def test_roles_of(session: Session) -> None:
    assert roles_of(session, pid(session, "vo.a@example.org")) == [
        ("IFA", Role.vo),
        ("IFB", Role.vo),
    ]
    assert roles_of(session, pid(session, "koord@example.org")) == [("FAK", Role.coordinator)]
    assert roles_of(session, 999_999) == []


def test_only_the_addressee_may_act_on_a_delivery() -> None:
    assert may_act_on_delivery(7, 7) is True
    assert may_act_on_delivery(7, 8) is False
    require_addressee(7, 7)
    with pytest.raises(Denied) as denied:
        require_addressee(7, 8)
    assert denied.value.reason == "access.not_addressee"


def test_leads_and_is_vo_for(session: Session) -> None:
    anne, vidar = pid(session, "leder.a@example.org"), pid(session, "vo.a@example.org")
    assert leads(session, anne, "IFA") is True
    assert leads(session, anne, "IFB") is False
    assert leads(session, vidar, "IFA") is False
    assert leads(session, anne, "NOPE") is False
    assert is_vo_for(session, vidar, "IFA") is True
    assert is_vo_for(session, vidar, "IFB") is True
    assert is_vo_for(session, anne, "IFA") is False


def test_coordinates_the_unit_and_everything_below(session: Session) -> None:
    kari = pid(session, "koord@example.org")
    assert [coordinates(session, kari, unit) for unit in ("FAK", "IFA", "IFB", "UNI")] == [
        True,
        True,
        True,
        False,
    ]
    assert coordinates(session, kari, "NOPE") is False
    assert coordinates(session, pid(session, "dekan@example.org"), "IFA") is False
    assert is_coordinator(session, kari) is True
    assert is_coordinator(session, pid(session, "leder.a@example.org")) is False


def test_may_manage_actions(session: Session) -> None:
    anne, kari = pid(session, "leder.a@example.org"), pid(session, "koord@example.org")
    ola, vidar = pid(session, "ansatt1@example.org"), pid(session, "vo.a@example.org")
    assert may_manage_actions(session, anne, "IFA") is True
    assert may_manage_actions(session, anne, "IFB") is False
    assert may_manage_actions(session, kari, "IFB") is True
    assert may_manage_actions(session, ola, "IFA") is False
    assert may_manage_actions(session, vidar, "IFA") is False


def test_requirements_raise_denied_with_a_catalogue_key(session: Session) -> None:
    anne, ola = pid(session, "leder.a@example.org"), pid(session, "ansatt1@example.org")
    assert require_person_for_slack(session, "U0000OLA").id == ola
    cases = [
        (lambda: require_person_for_slack(session, "U0000NOBODY"), "access.unknown_user", {}),
        (
            lambda: require_leader(session, anne, "IFB"),
            "access.not_leader",
            {"unit": "Institutt B"},
        ),
        (lambda: require_vo(session, anne, "IFA"), "access.not_vo", {"unit": "Institutt A"}),
        (lambda: require_coordinator(session, anne), "access.not_coordinator", {}),
        (lambda: require_coordinator(session, anne, "IFA"), "access.not_coordinator", {}),
        (
            lambda: require_may_manage_actions(session, ola, "IFA"),
            "access.not_leader",
            {"unit": "Institutt A"},
        ),
    ]
    for call, reason, params in cases:
        with pytest.raises(Denied) as denied:
            call()
        assert (denied.value.reason, denied.value.params) == (reason, params)


def test_requirements_let_the_right_people_through(session: Session) -> None:
    anne, kari = pid(session, "leder.a@example.org"), pid(session, "koord@example.org")
    vidar = pid(session, "vo.a@example.org")
    passed = []
    for name, call in [
        ("leader", lambda: require_leader(session, anne, "IFA")),
        ("vo", lambda: require_vo(session, vidar, "IFB")),
        ("coordinator", lambda: require_coordinator(session, kari)),
        ("coordinator of IFA", lambda: require_coordinator(session, kari, "IFA")),
        ("actions", lambda: require_may_manage_actions(session, kari, "IFA")),
        ("actions as leader", lambda: require_may_manage_actions(session, anne, "IFA")),
    ]:
        call()  # raises Denied when refused
        passed.append(name)
    assert len(passed) == 6
