"""A local fake of the Bot Framework connector (the Teams service URL), for tests and benchmarks.

Point the real SDK at it with ``make_teams_app(settings, service_url=fake.url,
token=fake.token_provider, openid_metadata_url=fake.openid_metadata_url)``:

    with FakeTeamsConnector(app_id=APP_ID, not_installed={"aad-ola"}) as fake:
        ...
        assert fake.activities_by_conversation() == {"a:1-aad-kari": 1}

What it imitates, and how:

- ``POST /v3/conversations`` creates (or returns the existing) 1:1 conversation with the one
  member in ``members``; a member in ``not_installed`` gets HTTP 403, as Teams answers when
  the app is not installed for that person.
- ``POST /v3/conversations/{id}/activities`` records the activity and answers its new id;
  ``PUT /v3/conversations/{id}/activities/{activityId}`` replaces it (404 for an unknown
  activity); both answer 404 for a conversation that was never created or registered.
- ``GET /v3/conversations/{id}/members/{memberId}`` answers a `TeamsChannelAccount` from
  ``members`` (object id → e-mail, UPN, name).
- Auth: every connector call needs ``Authorization: Bearer <a token from token_provider>``
  (401 otherwise).
- Pacing (optional): ``tenant_rate_per_second`` (Teams: 50) and
  ``conversation_rate_per_second`` (Teams: 7) in sliding one-second windows measured with
  ``time_fn``; beyond them HTTP 429 with ``Retry-After: 1``.
- Scripted failures: ``fail_next("send" | "create" | "update" | "member", status=500)``.
- Keys for inbound tests: ``GET /keys`` (a JWKS of `tests.teams.signing.default_key()`) and
  ``GET /openidconfiguration``.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.teams.signing import SigningKey, default_key, sign_bot_token

DEFAULT_APP_ID = "00000000-0000-0000-0000-0000000a4b07"
DEFAULT_TENANT = "11111111-2222-3333-4444-555555555555"
WINDOW_SECONDS = 1.0

_CONVERSATIONS = re.compile(r"^/v3/conversations/?$")
_ACTIVITIES = re.compile(r"^/v3/conversations/([^/]+)/activities/?$")
_ACTIVITY = re.compile(r"^/v3/conversations/([^/]+)/activities/([^/]+)$")
_MEMBER = re.compile(r"^/v3/conversations/([^/]+)/members/([^/]+)$")


@dataclass(frozen=True, slots=True)
class ReceivedActivity:
    """An activity the fake accepted (created, or the new version of an updated one)."""

    conversation_id: str
    activity_id: str
    body: dict[str, Any]
    updated: bool = False

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards attached to the activity."""
        return [
            attachment.get("content", {})
            for attachment in self.body.get("attachments") or []
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass(frozen=True, slots=True)
class CreatedConversation:
    conversation_id: str
    member_id: str
    tenant_id: str | None


@dataclass(slots=True)
class _Failure:
    status: int
    retry_after: int | None
    remaining: int


class FakeTeamsConnector:
    """A Bot Framework connector on 127.0.0.1 (port 0) in a background thread."""

    def __init__(
        self,
        *,
        app_id: str = DEFAULT_APP_ID,
        tenant_id: str = DEFAULT_TENANT,
        not_installed: Iterable[str] = (),
        members: Mapping[str, Mapping[str, str]] | None = None,
        tenant_rate_per_second: int | None = None,
        conversation_rate_per_second: int | None = None,
        time_fn: Callable[[], float] = time.monotonic,
        key: SigningKey | None = None,
    ) -> None:
        self.app_id = app_id
        self.tenant_id = tenant_id
        self.tenant_rate_per_second = tenant_rate_per_second
        self.conversation_rate_per_second = conversation_rate_per_second
        self.time_fn = time_fn
        self.key = key or default_key()
        self._lock = threading.Lock()
        self._not_installed = set(not_installed)
        self._members: dict[str, dict[str, str]] = {k: dict(v) for k, v in (members or {}).items()}
        self._conversations: dict[str, str | None] = {}  # conversation id → tenant
        self._by_member: dict[str, str] = {}  # member id → conversation id
        self._created: list[CreatedConversation] = []
        self._activities: list[ReceivedActivity] = []
        self._current: dict[tuple[str, str], ReceivedActivity] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._tenant_window: dict[str | None, deque[float]] = {}
        self._conversation_window: dict[str, deque[float]] = {}
        self._tokens: set[str] = set()
        self._next_activity = 1
        self.rate_limited = 0
        self.requests = 0
        self.errors: list[BaseException] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeTeamsConnector:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-teams-connector",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeTeamsConnector:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The service URL (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeTeamsConnector is not started; use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.url}/openidconfiguration"

    # -- knobs ---------------------------------------------------------------------------

    def token_provider(self, scope: Any = None, tenant_id: str | None = None) -> str:
        """A token callable for the SDK: a signed bot token the fake accepts."""
        token = sign_bot_token(app_id=self.app_id, tenant_id=tenant_id, key=self.key)
        with self._lock:
            self._tokens.add(token)
        return token

    def not_installed_for(self, member_id: str) -> None:
        with self._lock:
            self._not_installed.add(member_id)

    def add_member(self, member_id: str, **fields: str) -> None:
        with self._lock:
            self._members[member_id] = dict(fields)

    def add_conversation(self, conversation_id: str, tenant_id: str | None = None) -> None:
        """Make a conversation known without creating it (an earlier install)."""
        with self._lock:
            self._conversations[conversation_id] = tenant_id or self.tenant_id

    def fail_next(
        self, kind: str, *, status: int = 500, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` calls of `kind` (create, send, update, member) with `status`."""
        if kind not in ("create", "send", "update", "member"):
            raise ValueError(f"unknown kind {kind!r}")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._failures.setdefault(kind, deque()).append(_Failure(status, retry_after, times))

    def reset(self) -> None:
        """Forget activities and counters (conversations and members stay)."""
        with self._lock:
            self._activities.clear()
            self._current.clear()
            self._tenant_window.clear()
            self._conversation_window.clear()
            self.rate_limited = 0
            self.requests = 0

    # -- what was received -----------------------------------------------------------------

    @property
    def activities(self) -> list[ReceivedActivity]:
        with self._lock:
            return list(self._activities)

    @property
    def created(self) -> list[CreatedConversation]:
        with self._lock:
            return list(self._created)

    def activities_by_conversation(self) -> dict[str, int]:
        """How many new activities (not updates) each conversation received."""
        with self._lock:
            return dict(Counter(a.conversation_id for a in self._activities if not a.updated))

    def current(self, conversation_id: str, activity_id: str) -> ReceivedActivity | None:
        """The latest version of an activity (after updates)."""
        with self._lock:
            return self._current.get((conversation_id, activity_id))

    @staticmethod
    def conversation_id_for(member_id: str) -> str:
        return f"a:1-{member_id}"

    # -- handling ----------------------------------------------------------------------------

    def _handle(
        self, method: str, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "GET" and path == "/keys":
            return 200, self.key.jwks(), {}
        if method == "GET" and path == "/openidconfiguration":
            return (
                200,
                {
                    "issuer": "https://api.botframework.com",
                    "jwks_uri": f"{self.url}/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
                {},
            )
        with self._lock:
            self.requests += 1
            auth = headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self._tokens:
                return 401, _error("Unauthorized", "missing or unknown bearer token"), {}
            if method == "POST" and _CONVERSATIONS.match(path):
                return self._create(body)
            match = _ACTIVITIES.match(path)
            if method == "POST" and match:
                return self._send(unquote(match.group(1)), body)
            match = _ACTIVITY.match(path)
            if method == "PUT" and match:
                return self._update(unquote(match.group(1)), unquote(match.group(2)), body)
            match = _MEMBER.match(path)
            if method == "GET" and match:
                return self._member(unquote(match.group(1)), unquote(match.group(2)))
        return 404, _error("NotFound", f"no route {method} {path}"), {}

    def _scripted(self, kind: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        queue = self._failures.get(kind)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
        if failure.status == 429:
            self.rate_limited += 1
        return failure.status, _error(f"Http{failure.status}", "scripted failure"), headers

    def _paced(
        self, tenant: str | None, conversation: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        now = self.time_fn()
        windows: list[tuple[deque[float], int]] = []
        if self.tenant_rate_per_second is not None:
            windows.append(
                (self._tenant_window.setdefault(tenant, deque()), self.tenant_rate_per_second)
            )
        if conversation is not None and self.conversation_rate_per_second is not None:
            windows.append(
                (
                    self._conversation_window.setdefault(conversation, deque()),
                    self.conversation_rate_per_second,
                )
            )
        wait = 0.0
        for window, limit in windows:
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) >= limit:
                wait = max(wait, window[0] + WINDOW_SECONDS - now)
        if wait > 0:
            self.rate_limited += 1
            retry = str(max(1, math.ceil(wait)))
            return 429, _error("TooManyRequests", "rate limited"), {"Retry-After": retry}
        for window, _ in windows:
            window.append(now)
        return None

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        scripted = self._scripted("create")
        if scripted is not None:
            return scripted
        members = body.get("members") or []
        if len(members) != 1 or not isinstance(members[0], dict) or not members[0].get("id"):
            return 400, _error("BadArgument", "a 1:1 conversation needs exactly one member"), {}
        member_id = str(members[0]["id"])
        tenant = body.get("tenantId")
        paced = self._paced(tenant, None)
        if paced is not None:
            return paced
        if member_id in self._not_installed:
            return 403, _error("Forbidden", "The bot is not installed for this user"), {}
        conversation_id = self._by_member.get(member_id)
        if conversation_id is None:
            conversation_id = self.conversation_id_for(member_id)
            self._by_member[member_id] = conversation_id
            self._conversations[conversation_id] = tenant
        self._created.append(CreatedConversation(conversation_id, member_id, tenant))
        return 201, {"id": conversation_id, "serviceUrl": self.url}, {}

    def _send(
        self, conversation_id: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        scripted = self._scripted("send")
        if scripted is not None:
            return scripted
        if conversation_id not in self._conversations:
            return 404, _error("ConversationNotFound", "Conversation not found."), {}
        paced = self._paced(self._conversations[conversation_id], conversation_id)
        if paced is not None:
            return paced
        activity_id = f"1:{self._next_activity}"
        self._next_activity += 1
        received = ReceivedActivity(conversation_id, activity_id, body)
        self._activities.append(received)
        self._current[(conversation_id, activity_id)] = received
        return 201, {"id": activity_id}, {}

    def _update(
        self, conversation_id: str, activity_id: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        scripted = self._scripted("update")
        if scripted is not None:
            return scripted
        if (conversation_id, activity_id) not in self._current:
            return 404, _error("ActivityNotFound", "Activity not found."), {}
        paced = self._paced(self._conversations.get(conversation_id), conversation_id)
        if paced is not None:
            return paced
        received = ReceivedActivity(conversation_id, activity_id, body, updated=True)
        self._activities.append(received)
        self._current[(conversation_id, activity_id)] = received
        return 200, {"id": activity_id}, {}

    def _member(
        self, conversation_id: str, member_id: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        scripted = self._scripted("member")
        if scripted is not None:
            return scripted
        found = self._members.get(member_id)
        if conversation_id not in self._conversations or found is None:
            return 404, _error("MemberNotFound", "Member not found."), {}
        return (
            200,
            {
                "id": f"29:{member_id}",
                "aadObjectId": member_id,
                "name": found.get("name", ""),
                "email": found.get("email"),
                "userPrincipalName": found.get("upn", found.get("email")),
                "tenantId": self._conversations[conversation_id],
            },
            {},
        )


def connector_settings(**overrides: object) -> Any:
    """`bot.config.Settings` for the fake's app id and tenant, ignoring `.env` (tests)."""
    from bot.config import Settings

    values: dict[str, object] = {"CLIENT_ID": DEFAULT_APP_ID, "TENANT_ID": DEFAULT_TENANT}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True
    fake: FakeTeamsConnector


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # httpx keeps connections alive
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        fake = self.server.fake
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ValueError("not a JSON object")
        except ValueError:
            self._reply(400, _error("BadSyntax", "the body is not a JSON object"), {})
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            status, reply, extra = fake._handle(method, urlsplit(self.path).path, body, headers)
        except Exception as error:  # a bug in the fake: answer, and keep it for the test
            fake.errors.append(error)
            status, reply, extra = 500, _error("FakeError", repr(error)), {}
        self._reply(status, reply, extra)

    def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
