"""The follow-up meeting's calendar file reaches the leader's Outlook from Teams in two
clicks (the card's button, then "Allow" on the file consent card); pulses are answered in
the card and stored without the person."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.teams.files import CONSENT, INFO
from storage.models import AuditEntry, Person, PulseAnswer, PulseResponse
from tests.teams_app.test_flows import _button, _card
from tests.teams_app.world import PULSE, teams_world


@contextmanager
def upload_target() -> Iterator[tuple[str, list[bytes]]]:
    """A stand-in for the OneDrive upload session Teams hands the bot."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received.append(self.rfile.read(length))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/upload/session", received
    finally:
        server.shutdown()
        server.server_close()


def _attachments(world: Any, user: str, kind: str) -> list[dict[str, Any]]:
    from tests.teams_app.world import AAD

    conversation = f"a:1-{AAD[user]}"
    return [
        attachment
        for activity in world.fake.activities
        if activity.conversation_id == conversation
        for attachment in activity.body.get("attachments") or []
        if attachment.get("contentType") == kind
    ]


def _allow(world: Any, user: str, consent: dict[str, Any], upload_url: str) -> Any:
    """The person's "Allow" on a file consent card, with the upload session Teams hands over."""
    kind = consent["name"].rsplit(".", 1)[-1]
    return world.activity(
        user,
        "invoke",
        name="fileConsent/invoke",
        value={
            "type": "fileUpload",
            "action": "accept",
            "context": consent["content"]["acceptContext"],
            "uploadInfo": {
                "name": consent["name"],
                "uploadUrl": upload_url,
                "contentUrl": f"https://example.sharepoint.com/personal/{user}/{kind}",
                "uniqueId": f"file-{user}",
                "fileType": kind,
            },
        },
    )


def test_the_calendar_file_goes_through_file_consent(engine: Engine) -> None:
    with teams_world(engine) as world, upload_target() as (upload_url, received):
        world.deliver()
        [reminder] = [c for c in world.cards_to("leader_a") if "calendar_file" in str(c)]
        answer = world.click("leader_a", _button(reminder, "calendar_file"))
        assert answer.body["type"] == "application/vnd.microsoft.activity.message"
        [consent] = _attachments(world, "leader_a", CONSENT)
        assert consent["name"].endswith(".ics")
        # Another department's leader cannot get it from Anne's card.
        world.click("leader_b", _button(reminder, "calendar_file"))
        assert len(_attachments(world, "leader_b", CONSENT)) == 0
        assert world.post(_allow(world, "leader_a", consent, upload_url)).status == 200
        [content] = received
        assert b"BEGIN:VEVENT" in content
        assert b"vo.a@example.org" in content
        [info] = _attachments(world, "leader_a", INFO)
        assert info["contentUrl"].endswith("/ics")
        with Session(engine) as session:
            actions = [e.action for e in session.exec(select(AuditEntry)).all()]
        assert actions.count("ics.sent") == 2  # offered, then uploaded


def test_a_pulse_is_answered_in_the_card_and_stored_anonymously(engine: Engine) -> None:
    with teams_world(engine, extra=PULSE) as world:
        world.deliver()
        [question] = [c for c in world.cards_to("employee") if "pulse_answer" in str(c)]
        form = _card(world.click("employee", _button(question, "pulse_answer")))
        save = _button(form, "form_submit")
        thanks = _card(world.click("employee", {**save, "q:safe": "4", "q:know": "unsure"}))
        assert "anonymt" in str(thanks)
        again = world.click("employee", _button(question, "pulse_answer"))
        assert "allerede" in str(again.body)
        with Session(engine) as session:
            answers = session.exec(select(PulseAnswer)).all()
            markers = session.exec(select(PulseResponse)).all()
            person = session.exec(select(Person).where(Person.email == "ansatt1@example.org")).one()
        assert sorted((a.question_id, a.value) for a in answers) == [
            ("know", "unsure"),
            ("safe", "4"),
        ]
        assert [m.person_id for m in markers] == [person.id]


def test_the_coordinators_report_comes_as_an_html_file_through_file_consent(
    engine: Engine,
) -> None:
    with teams_world(engine) as world, upload_target() as (upload_url, received):
        world.deliver()
        assert world.say("koord", "rapport").status == 200
        [consent] = _attachments(world, "koord", CONSENT)
        assert consent["name"].endswith(".html")
        assert consent["content"]["acceptContext"] == {"report": "FAK"}
        assert any("HTML" in text for text in world.texts_to("koord"))
        # A leader who copies the consent's context gets nothing: the file is made again,
        # with every check, for whoever allows it.
        before = len(world.texts_to("leader_a"))
        assert world.post(_allow(world, "leader_a", consent, upload_url)).status == 200
        assert received == []
        assert len(world.texts_to("leader_a")) == before + 1  # the refusal, in words
        # A unit the coordinator does not coordinate: nothing either.
        forged = {**consent, "content": {"acceptContext": {"report": "NOPE"}}}
        assert world.post(_allow(world, "koord", forged, upload_url)).status == 200
        assert received == []
        assert world.post(_allow(world, "koord", consent, upload_url)).status == 200
        [content] = received
        assert content.lstrip().lower().startswith(b"<!doctype html")
        assert b"Institutt A" in content
        [info] = _attachments(world, "koord", INFO)
        assert info["content"]["fileType"] == "html"
