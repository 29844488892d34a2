"""Signed, real-shaped Slack requests over HTTP, for tests and benchmarks.

The payloads start from recorded templates in ``tests/slack/payloads/`` (the shapes Slack
documents and sends) and are filled in per call. Requests are signed the way Slack signs them:
``v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")`` in ``X-Slack-Signature`` with the
timestamp in ``X-Slack-Request-Timestamp``; pass ``signature=`` to forge one and
``timestamp=stale_timestamp()`` to send one Bolt must refuse.

    client = SignedClient(server.url, "secret")
    status, body, headers = client.block_actions(action_id="ark-done", value="delivery:7")
    client.view_submission(callback_id="ark-done-modal", values={...})
    client.slash_command("status", user_id="U0KARI")
    client.app_home_opened("U0KARI")

Interactive payloads (block_actions, view_submission) go form-encoded as ``payload=<json>``,
slash commands form-encoded field by field, events as JSON — all to ``/slack/events``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

PAYLOADS = Path(__file__).resolve().parent / "payloads"
EVENTS_PATH = "/slack/events"

# The ids the templates use; they match tests.fakes.slack_api.FakeSlackAPI's defaults.
TEAM_ID = "T0FAKE0001"
APP_ID = "A0ARKBOT01"
BOT_USER_ID = "U0ARKBOT01"
BOT_ID = "B0ARKBOT01"
USER_ID = "U0F0000001"
DM_CHANNEL_ID = "D0F0000001"

_sequence = itertools.count(1)


class Response(NamedTuple):
    """What the server answered; unpacks as ``(status, body, headers)``."""

    status: int
    body: str
    headers: dict[str, str]  # lower-case names

    def json(self) -> Any:
        return json.loads(self.body)


def load_payload(name: str) -> dict[str, Any]:
    """A fresh copy of a recorded template (``block_actions``, ``view_submission``, …)."""
    loaded: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def stale_timestamp(seconds_old: int = 6 * 60) -> int:
    """A request timestamp older than Bolt's five-minute window."""
    return int(time.time()) - seconds_old


def _trigger_id() -> str:
    return f"{time.time_ns() // 1_000_000}.{next(_sequence):010d}.{uuid.uuid4().hex}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _user(payload: dict[str, Any], user_id: str, user_name: str | None) -> None:
    payload["user"]["id"] = user_id
    if user_name is not None:
        payload["user"]["username"] = payload["user"]["name"] = user_name


def block_actions_payload(
    *,
    action_id: str,
    value: str | None = None,
    block_id: str = "ark-actions",
    user_id: str = USER_ID,
    user_name: str | None = None,
    channel_id: str = DM_CHANNEL_ID,
    message_ts: str = "1700000000.000100",
    message_text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    action: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A click on a button in a bot message in a DM, as Slack sends it.

    ``blocks`` are the message's blocks as Slack returns them (default: the template's text
    section and an actions block holding the clicked button). ``action`` overrides fields
    of ``actions[0]`` (e.g. ``{"type": "datepicker", "selected_date": "2023-10-12"}``).
    """
    payload = load_payload("block_actions")
    _user(payload, user_id, user_name)
    payload["trigger_id"] = _trigger_id()
    payload["container"].update(message_ts=message_ts, channel_id=channel_id)
    payload["channel"]["id"] = channel_id
    message = payload["message"]
    message["ts"] = message_ts
    if message_text is not None:
        message["text"] = message_text
    clicked = payload["actions"][0]
    clicked.update(action_id=action_id, block_id=block_id, action_ts=_action_ts())
    if value is None:
        clicked.pop("value", None)
    else:
        clicked["value"] = value
    clicked.update(action or {})
    if blocks is not None:
        message["blocks"] = blocks
    else:
        element = {k: v for k, v in clicked.items() if k not in {"block_id", "action_ts"}}
        message["blocks"][1] = {"type": "actions", "block_id": block_id, "elements": [element]}
    return payload


def view_submission_payload(
    *,
    callback_id: str,
    values: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    private_metadata: str = "",
    user_id: str = USER_ID,
    user_name: str | None = None,
    view_id: str = "V0F0000001",
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A modal submitted; ``values`` is ``view.state.values``.

    ``{block_id: {action_id: {"type": "plain_text_input", "value": "…"}}}`` — a datepicker
    carries ``selected_date``, a select ``selected_option``. Without ``values`` the template's
    (a date and an archive reference) are sent; without ``blocks``, one input block per value.
    """
    payload = load_payload("view_submission")
    _user(payload, user_id, user_name)
    payload["trigger_id"] = _trigger_id()
    view = payload["view"]
    view.update(
        id=view_id, root_view_id=view_id, callback_id=callback_id, private_metadata=private_metadata
    )
    if values is not None:
        view["state"]["values"] = copy.deepcopy(dict(values))
        if blocks is None:
            blocks = [
                {
                    "type": "input",
                    "block_id": block_id,
                    "label": {"type": "plain_text", "text": block_id, "emoji": True},
                    "optional": True,
                    "dispatch_action": False,
                    "element": {"type": state.get("type", "plain_text_input"), "action_id": aid},
                }
                for block_id, actions in values.items()
                for aid, state in actions.items()
            ]
    if blocks is not None:
        view["blocks"] = blocks
    return payload


def slash_command_form(
    text: str = "",
    *,
    command: str = "/ark",
    user_id: str = USER_ID,
    user_name: str = "kari.nordmann",
    channel_id: str = DM_CHANNEL_ID,
    channel_name: str = "directmessage",
) -> dict[str, str]:
    """The form fields of a slash command, as Slack posts them."""
    form = {key: str(value) for key, value in load_payload("slash_command").items()}
    form.update(
        command=command,
        text=text,
        user_id=user_id,
        user_name=user_name,
        channel_id=channel_id,
        channel_name=channel_name,
        trigger_id=_trigger_id(),
    )
    return form


def event_envelope(event: Mapping[str, Any]) -> dict[str, Any]:
    """An Events API ``event_callback`` around ``event``."""
    envelope = load_payload("app_home_opened")
    envelope["event"] = dict(event)
    envelope["event_id"] = f"Ev0F{next(_sequence):08d}"
    envelope["event_time"] = int(time.time())
    return envelope


def app_home_opened_payload(
    user_id: str = USER_ID, *, tab: str = "home", channel_id: str = DM_CHANNEL_ID
) -> dict[str, Any]:
    event = load_payload("app_home_opened")["event"]
    event.update(user=user_id, tab=tab, channel=channel_id, event_ts=_action_ts())
    return event_envelope(event)


class SignedClient:
    """Sends signed requests to a running server (``base_url`` without a trailing path)."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.verifier = SignatureVerifier(signing_secret)
        self._secret = signing_secret.encode("utf-8")
        self.timeout = timeout
        self.clock = clock

    # -- raw ------------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int) -> str:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:  # garbage on purpose: sign the bytes as Slack's scheme does
            base = b"v0:%d:%s" % (timestamp, body)
            return "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        signature = self.verifier.generate_signature(timestamp=str(timestamp), body=text)
        assert signature is not None
        return signature

    def post(
        self,
        path: str,
        body: str | bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        """POST ``body`` signed with the secret (or with ``signature`` as given)."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        ts = int(self.clock()) if timestamp is None else timestamp
        if signature is None:
            signature = self.sign(raw, ts)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        request = urllib.request.Request(
            self.base_url + path, data=raw, headers=headers, method="POST"
        )
        return self._send(request)

    def get(self, path: str) -> Response:
        return self._send(urllib.request.Request(self.base_url + path, method="GET"))

    def post_form(
        self,
        path: str,
        data: Mapping[str, str],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        body = urlencode(dict(data))
        return self.post(
            path,
            body,
            "application/x-www-form-urlencoded",
            timestamp=timestamp,
            signature=signature,
        )

    def post_json(
        self,
        path: str,
        data: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        body = json.dumps(data)
        return self.post(path, body, "application/json", timestamp=timestamp, signature=signature)

    def _send(self, request: urllib.request.Request) -> Response:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return Response(
                    reply.status,
                    reply.read().decode("utf-8"),
                    {k.lower(): v for k, v in reply.headers.items()},
                )
        except urllib.error.HTTPError as error:
            with error:
                return Response(
                    error.code,
                    error.read().decode("utf-8", errors="replace"),
                    {k.lower(): v for k, v in error.headers.items()},
                )

    # -- what Slack sends -----------------------------------------------------------------

    def interactive(
        self,
        payload: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        """Any interaction payload, form-encoded as ``payload=<json>``."""
        return self.post_form(
            EVENTS_PATH,
            {"payload": json.dumps(payload)},
            timestamp=timestamp,
            signature=signature,
        )

    def block_actions(
        self, *, timestamp: int | None = None, signature: str | None = None, **fields: Any
    ) -> Response:
        """A button click; ``fields`` as for :func:`block_actions_payload`."""
        payload = block_actions_payload(**fields)
        return self.interactive(payload, timestamp=timestamp, signature=signature)

    def view_submission(
        self, *, timestamp: int | None = None, signature: str | None = None, **fields: Any
    ) -> Response:
        """A modal submitted; ``fields`` as for :func:`view_submission_payload`."""
        payload = view_submission_payload(**fields)
        return self.interactive(payload, timestamp=timestamp, signature=signature)

    def slash_command(
        self,
        text: str = "",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        **fields: Any,
    ) -> Response:
        """``/ark <text>``; ``fields`` as for :func:`slash_command_form`."""
        form = slash_command_form(text, **fields)
        return self.post_form(EVENTS_PATH, form, timestamp=timestamp, signature=signature)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        """An Events API callback carrying ``event``."""
        envelope = event_envelope(event)
        return self.post_json(EVENTS_PATH, envelope, timestamp=timestamp, signature=signature)

    def app_home_opened(
        self,
        user_id: str = USER_ID,
        *,
        tab: str = "home",
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        envelope = app_home_opened_payload(user_id, tab=tab)
        return self.post_json(EVENTS_PATH, envelope, timestamp=timestamp, signature=signature)
