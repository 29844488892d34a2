"""ConsoleTransport shows the message as the recipient would see it, or quietly records it."""

from __future__ import annotations

import io

from rich.console import Console

from bot.messages import ActionId, Button, Message, MessageKind
from bot.transports.base import Recipient, SendResult, Transport
from bot.transports.console import ConsoleTransport

KARI = Recipient(person_id=1, email="kari@example.org", name="Kari Nordmann", locale="en")
OLA = Recipient(person_id=2, email="ola@example.org", name="Ola Nordmann", locale="nb")

REMINDER = Message(
    kind=MessageKind.reminder,
    locale="en",
    headline="Fill in the survey",
    body="The survey closes on 13 October 2023.",
    context="Step 3 of 7",
    buttons=[
        Button(action=ActionId.task_done, label="Done", value="task:1", style="primary"),
        Button(action=ActionId.task_snooze, label="Remind me tomorrow", value="task:1"),
    ],
    delivery_id=42,
)


def recording_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=100, color_system=None, force_terminal=False), buffer


def test_prints_the_message_as_the_recipient_would_see_it() -> None:
    console, buffer = recording_console()

    ConsoleTransport(console).send(KARI, REMINDER)

    output = buffer.getvalue()
    assert "Kari Nordmann <kari@example.org>" in output
    assert "Fill in the survey" in output
    assert "The survey closes on 13 October 2023." in output
    assert "Step 3 of 7" in output
    assert "[ Done ]  [ Remind me tomorrow ]" in output
    assert "reminder #42" in output


def test_text_is_shown_literally_not_as_rich_markup() -> None:
    console, buffer = recording_console()
    tricky = REMINDER.model_copy(update={"headline": "[bold red]Not markup[/]", "buttons": []})

    ConsoleTransport(console).send(KARI, tricky)

    assert "[bold red]Not markup[/]" in buffer.getvalue()


def test_send_results_name_the_console_channel_and_count_up() -> None:
    console, _ = recording_console()
    transport = ConsoleTransport(console, workspace="demo")

    results = [transport.send(KARI, REMINDER), transport.send(OLA, REMINDER)]

    assert results == [
        SendResult(platform="console", channel_id="console:kari@example.org", message_id="1"),
        SendResult(platform="console", channel_id="console:ola@example.org", message_id="2"),
    ]
    as_protocol: Transport = transport
    assert (as_protocol.platform, as_protocol.workspace) == ("console", "demo")


def test_quiet_prints_nothing_and_records_what_was_sent() -> None:
    console, buffer = recording_console()
    transport = ConsoleTransport(console, quiet=True)

    result = transport.send(OLA, REMINDER)

    assert buffer.getvalue() == ""
    [sent] = transport.sent
    assert (sent.recipient, sent.message, sent.result) == (OLA, REMINDER, result)


def test_loud_mode_records_too() -> None:
    console, _ = recording_console()
    transport = ConsoleTransport(console)

    transport.send(KARI, REMINDER)

    assert [entry.recipient.email for entry in transport.sent] == ["kari@example.org"]
