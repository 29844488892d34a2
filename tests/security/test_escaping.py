"""User text never becomes live markup: Slack mrkdwn, the terminal, CSV and HTML."""

from __future__ import annotations

import io
import json
from datetime import date

from rich.console import Console
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.escape import csv_cell, log_value, rich_text, slack_mrkdwn, strip_controls
from bot.i18n.catalog import t_mrkdwn
from bot.messages import Message, MessageKind
from bot.transports.base import Recipient
from bot.transports.console import render_panel
from storage.models import ActionItem, Person, Unit, table_of
from tests.engine.harness import oslo
from tests.slack_app.world import USERS, choice, datepicker, slack_world, text_input

HOSTILE = "<!channel> <@U0ANSATT01> <https://evil.example|click> & <!here>"
ESCAPED = (
    "&lt;!channel&gt; &lt;@U0ANSATT01&gt; &lt;https://evil.example|click&gt; &amp; &lt;!here&gt;"
)
LIVE = ("<!channel>", "<!here>", "<@U0ANSATT01>", "<https://evil.example")


def test_slack_mrkdwn_escapes_the_three_characters_once() -> None:
    assert slack_mrkdwn(HOSTILE) == ESCAPED
    assert slack_mrkdwn("a &amp; b") == "a &amp;amp; b"
    assert slack_mrkdwn("*fet* _kursiv_") == "*fet* _kursiv_"


def test_the_catalogue_escapes_values_and_keeps_its_own_markup() -> None:
    text = t_mrkdwn("en", "nudge.vo_question.body", title=HOSTILE, unit="<!here>")
    assert ESCAPED in text
    assert "*&lt;!here&gt;*" in text  # the catalogue's bold stays, the value is escaped
    assert not any(live in text for live in LIVE)


def test_terminal_text_has_no_markup_or_escape_codes() -> None:
    nasty = "[bold red]Ås[/bold red]\x1b[2J\x1b]0;title\x07\rover\x9b31m"
    assert strip_controls(nasty) == "[bold red]Ås[/bold red]over31m"
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system=None, width=200).print(rich_text(nasty))
    printed = out.getvalue()
    assert "[bold red]Ås[/bold red]" in printed
    assert "\x1b" not in printed
    assert "\r" not in printed


def test_console_transport_drops_escape_codes() -> None:
    message = Message(
        kind=MessageKind.information,
        locale="en",
        headline="Hi\x1b[2J",
        body="unit \x1b[31mred\x1b[0m",
        context="ctx\r",
    )
    out = io.StringIO()
    Console(file=out, force_terminal=False, width=200).print(
        render_panel(Recipient(person_id=1, email="a@b", name="Ann\x1b[5m", locale="en"), message)
    )
    assert "\x1b" not in out.getvalue()


def test_csv_cells_never_start_a_formula() -> None:
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://e")'):
        assert csv_cell(bad) == "'" + bad
    assert csv_cell("Ås") == "Ås"
    assert csv_cell(None) == ""


def test_log_values_are_one_line() -> None:
    assert "\n" not in log_value("a\nINFO forged line\r\n")
    assert log_value("x" * 500, limit=20).endswith("…")
    assert len(log_value("x" * 500, limit=20)) == 20


def _texts_of(params: dict[str, object]) -> str:
    """The message's `text` and every mrkdwn text of its blocks (plain_text is never parsed
    for mentions or links by Slack, so a header may show the title as typed)."""
    found: list[str] = [str(params.get("text") or "")]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    blocks = params.get("blocks")
    walk(json.loads(blocks) if isinstance(blocks, str) else blocks)
    return "\n".join(found)


def test_a_hostile_action_title_reaches_other_people_escaped(engine: Engine) -> None:
    with slack_world(engine) as world:
        with engine.begin() as connection:
            connection.execute(
                update(table_of(Unit)).where(table_of(Unit).c.id == "IFA").values(name=HOSTILE)
            )
        world.command("leader_a", "tiltak")
        world.submit(
            "leader_a",
            world.opened_views()[-1],
            {
                "title": text_input(HOSTILE),
                "owner": text_input("<!everyone>"),
                "due_on": datepicker(date(2024, 9, 1)),
                "area": choice("develop"),
            },
        )
        with Session(engine) as session:
            [item] = session.exec(select(ActionItem)).all()
        assert item.title == HOSTILE  # stored as typed
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        [checkin] = world.deliveries(nudge="checkin")
        posted = [c for c in world.api.calls_to("chat.postMessage")]
        # the check-in itself names the action and the unit: escaped in text and blocks
        assert any(ESCAPED in _texts_of(call.params) for call in posted)
        world.click("leader_a", "action_done", str(checkin.id), checkin)
        world.deliver()  # "you said, we did" goes out through the sender
        employee_dms = world.dms_to("employee") + world.dms_to("employee_en")
        assert len(employee_dms) == 2
        for text in employee_dms:
            assert ESCAPED in text
            assert not any(live in text for live in LIVE)
        for call in world.api.calls_to("chat.postMessage"):
            assert not any(live in _texts_of(call.params) for live in LIVE), call.params


def test_a_hostile_unit_name_reaches_the_leader_and_the_redraw_escaped(engine: Engine) -> None:
    with slack_world(engine) as world:
        with engine.begin() as connection:
            connection.execute(
                update(table_of(Unit)).where(table_of(Unit).c.id == "IFA").values(name=HOSTILE)
            )
        world.at(oslo(date(2024, 4, 29), 9)).deliver()
        [question] = world.deliveries(nudge="vo_question")
        world.click("vo_a", "vo_not_yet", str(question.id), question)
        world.submit("vo_a", world.opened_views()[-1], {"comment": text_input("<!channel> hei")})
        world.deliver()  # the leader's notice goes out through the sender
        [nudge] = [text for text in world.dms_to("leader_a") if "ikke involvert" in text]
        assert ESCAPED in nudge
        assert not any(live in nudge for live in LIVE)
        updates = world.api.calls_to("chat.update")
        assert updates, "the VO's message is redrawn"
        for call in updates:
            assert not any(live in _texts_of(call.params) for live in LIVE), call.params
        assert any(ESCAPED in _texts_of(call.params) for call in updates)
        for call in world.api.calls_to("chat.postMessage"):
            assert not any(live in _texts_of(call.params) for live in LIVE), call.params


def test_the_app_home_shows_hostile_names_escaped(engine: Engine) -> None:
    with slack_world(engine) as world:
        units, people = table_of(Unit), table_of(Person)
        with engine.begin() as connection:
            connection.execute(update(units).values(name=HOSTILE))
            connection.execute(update(people).values(name="<!here> Anne"))
        world.deliver()
        for user in ("leader_a", "koord", "vo_a"):
            assert world.client.app_home_opened(USERS[user]).status == 200
            [view] = world.published(user)[-1:]
            text = _texts_of({"blocks": view.get("blocks")})
            assert not any(live in text for live in LIVE), text
        assert ESCAPED in _texts_of({"blocks": world.published("koord")[-1].get("blocks")})
