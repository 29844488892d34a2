"""A local fake of the Slack Web API, for tests and benchmarks.

Point a real ``slack_sdk.WebClient(base_url=fake.url)`` at it: the client appends the
method name to ``fake.url``, exactly as it does with ``https://slack.com/api/``.

    with FakeSlackAPI(users={"kari@example.org": "U0KARI"}) as fake:
        client = WebClient(token=fake.token, base_url=fake.url, retry_handlers=[])
        client.chat_postMessage(channel="U0KARI", text="Hei")
        assert fake.messages[0].text == "Hei"

What it imitates, and how:

- Auth: ``Authorization: Bearer <token>`` (or a ``token`` parameter). No token answers
  ``not_authed``, a token other than ``fake.token`` answers ``invalid_auth`` — both with
  HTTP 200 and ``ok: false``, as Slack does.
- A user directory (``users``: email → user id) with deactivated users (``inactive``):
  ``users.lookupByEmail`` answers ``users_not_found`` for an unknown email;
  ``conversations.open`` answers ``user_not_found`` / ``user_disabled``.
- ``chat.postMessage`` pacing: with ``rate_limit_per_minute`` set, a sliding 60-second
  window (measured with ``time_fn``, so tests move time instead of sleeping); beyond the
  limit it answers HTTP 429 ``{"ok": false, "error": "ratelimited"}`` with a whole-second
  ``Retry-After`` header until the oldest post leaves the window.
- Scripted failures: ``fail_next(method, status=500)`` or ``fail_next(method, error=...)``.
- ``conversations.history`` of a channel, newest first, with each message's ``metadata``
  (``{"event_type", "event_payload"}``, as posted) when ``include_all_metadata`` is set;
  ``history_scope=False`` answers ``missing_scope`` (an app installed without ``im:history``).
- Held requests: ``hold(method, after=n)`` lets the first ``n`` calls through and keeps the
  rest waiting (accepted only at ``release()``) — requests on the wire when a client dies.
  ``wait_until(predicate)`` waits, without polling, for what the fake has seen.
- Block sanity: duplicate ``block_id`` in a message or duplicate ``action_id`` inside one
  block answers ``invalid_blocks``, as Slack does.

Everything recorded is guarded by one lock; the accessors return copies.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

DEFAULT_TOKEN = "xoxb-fake-arkbot-token"
RATE_WINDOW_SECONDS = 60.0
FIRST_TS_SECONDS = 1_700_000_000
FIRST_TS_SEQUENCE = 100


class SlackCall(NamedTuple):
    """One request as the fake received it.

    ``params`` merges the query string, a form body and a JSON body (JSON values keep their
    types; form values are strings). ``headers`` has lower-case names (urllib sends
    ``Content-type``, other clients ``Content-Type``).
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """A chat.postMessage the fake accepted (HTTP 200, ``ok: true``)."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]]
    user_id: str | None
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file shared through the two-step upload (getUploadURLExternal, completeUploadExternal)."""

    id: str
    title: str
    filename: str
    channel: str | None
    initial_comment: str | None
    content: bytes


@dataclass(slots=True)
class _ScriptedFailure:
    status: int
    error: str
    retry_after: int | None
    remaining: int


@dataclass(slots=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _ok(**fields: Any) -> _Reply:
    return _Reply(200, {"ok": True, **fields})


def _error(error: str, status: int = 200) -> _Reply:
    return _Reply(status, {"ok": False, "error": error})


class FakeSlackAPI:
    """A Slack Web API on 127.0.0.1 (port 0) in a background thread; use it as a context manager."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        users: Mapping[str, str] | None = None,
        inactive: Iterable[str] = (),
        rate_limit_per_minute: int | None = None,
        time_fn: Callable[[], float] = time.monotonic,
        delay_seconds: float = 0.0,
        team_id: str = "T0FAKE0001",
        bot_user_id: str = "U0ARKBOT01",
        bot_id: str = "B0ARKBOT01",
        history_scope: bool = True,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.rate_limit_per_minute = rate_limit_per_minute
        self.time_fn = time_fn
        self.delay_seconds = delay_seconds
        self.history_scope = history_scope

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._counts: dict[str, int] = {}
        self._hold: tuple[str, int] | None = None
        self._released = threading.Event()
        self._users: dict[str, str] = {email.lower(): uid for email, uid in (users or {}).items()}
        self._user_ids: set[str] = set(self._users.values())
        self._inactive: set[str] = set(inactive)
        self._calls: list[SlackCall] = []
        self._messages: list[PostedMessage] = []
        self._failures: dict[str, deque[_ScriptedFailure]] = {}
        self._post_times: deque[float] = deque()
        self._rate_limited = 0
        self._dms: dict[str, str] = {}  # user id (or sorted "U1,U2") → channel id
        self._dm_owners: dict[str, str] = {}  # channel id → user id
        self._errors: list[BaseException] = []
        self._ts_counter = FIRST_TS_SEQUENCE
        self._known_ts: set[tuple[str, str]] = set()
        self._views: dict[str, dict[str, Any]] = {}
        self._pending_uploads: dict[str, dict[str, Any]] = {}
        self._files: list[UploadedFile] = []
        self._next_id = 1

        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeSlackAPI:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-slack-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # cuts delay_seconds and held requests short
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlackAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlackAPI is not started; use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL for ``WebClient(base_url=...)``, with the trailing slash."""
        return f"http://127.0.0.1:{self.port}/api/"

    # -- knobs ---------------------------------------------------------------------------

    def add_user(self, email: str, user_id: str | None = None, *, active: bool = True) -> str:
        """Add (or replace) a person in the directory; returns the user id."""
        with self._lock:
            uid = user_id or self._new_id("U")
            previous = self._users.get(email.lower())
            self._users[email.lower()] = uid
            if previous is not None and previous not in self._users.values():
                self._user_ids.discard(previous)
            self._user_ids.add(uid)
            if active:
                self._inactive.discard(uid)
            else:
                self._inactive.add(uid)
            return uid

    def deactivate(self, user_id: str) -> None:
        with self._lock:
            self._inactive.add(user_id)

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with a failure.

        ``status=500`` answers that HTTP status (body ``{"ok": false, "error": error or
        "internal_error"}``); ``error="..."`` alone answers HTTP 200 with ``ok: false``.
        ``status=429`` sends ``Retry-After`` (``retry_after``, default 1). Scripted failures
        come before the auth check and the rate limit, in the order they were scripted.
        """
        if status is None and error is None:
            raise ValueError("fail_next needs a status, an error, or both")
        if times < 1:
            raise ValueError("times must be at least 1")
        http_status = 200 if status is None else status
        if http_status == 200 and error is None:
            raise ValueError("an HTTP 200 failure needs an error code")
        if error is None:
            error = "ratelimited" if http_status == 429 else "internal_error"
        if http_status == 429 and retry_after is None:
            retry_after = 1
        failure = _ScriptedFailure(http_status, error, retry_after, times)
        with self._lock:
            self._failures.setdefault(method, deque()).append(failure)

    def hold(self, method: str, *, after: int) -> None:
        """Let `after` calls of `method` through, then hold the others until `release()`."""
        with self._lock:
            self._released.clear()
            self._hold = (method, self._counts.get(method, 0) + after)

    def release(self) -> None:
        """Answer the held calls (they are accepted now) and stop holding."""
        with self._lock:
            self._hold = None
            self._released.set()

    def wait_until(self, predicate: Callable[[FakeSlackAPI], bool], timeout: float = 30) -> bool:
        """Wait until `predicate(fake)` holds (checked whenever a request arrives or ends)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                self._changed.wait(remaining)
        return True

    def reset(self) -> None:
        """Forget recorded calls, messages, scripted failures and the rate window (not users)."""
        with self._lock:
            self._calls.clear()
            self._messages.clear()
            self._failures.clear()
            self._post_times.clear()
            self._rate_limited = 0

    # -- what happened -------------------------------------------------------------------

    @property
    def calls(self) -> list[SlackCall]:
        """Every request received, in order (including the ones answered with errors)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for call in self._calls if call.method == method)

    @property
    def files(self) -> list[UploadedFile]:
        """Files shared with files.completeUploadExternal, with the bytes that were uploaded."""
        with self._lock:
            return list(self._files)

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """The POST of a file's bytes to the URL files.getUploadURLExternal handed out."""
        with self._lock:
            pending = self._pending_uploads.get(file_id)
            if pending is None:
                return False
            pending["content"] = content
            return True

    def _files_get_upload_url(self, params: dict[str, Any]) -> _Reply:
        filename, length = params.get("filename"), params.get("length")
        if not filename or not str(length or "").isdigit():
            return _error("invalid_arguments")
        file_id = self._new_id("F")
        self._pending_uploads[file_id] = {"filename": filename, "content": None}
        return _ok(upload_url=f"{self.url}upload/{file_id}", file_id=file_id)

    def _files_complete_upload(self, params: dict[str, Any]) -> _Reply:
        raw = params.get("files")
        files = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(files, list) or not files:
            return _error("invalid_arguments")
        shared = []
        for entry in files:
            pending = self._pending_uploads.pop(str(entry.get("id")), None)
            if pending is None or pending["content"] is None:
                return _error("file_not_found")
            uploaded = UploadedFile(
                id=str(entry["id"]),
                title=str(entry.get("title") or pending["filename"]),
                filename=str(pending["filename"]),
                channel=params.get("channel_id"),
                initial_comment=params.get("initial_comment"),
                content=pending["content"],
            )
            self._files.append(uploaded)
            shared.append({"id": uploaded.id, "title": uploaded.title, "name": uploaded.filename})
        return _ok(files=shared)

    @property
    def messages(self) -> list[PostedMessage]:
        """The chat.postMessage calls that were accepted, in order."""
        with self._lock:
            return list(self._messages)

    @property
    def rate_limited(self) -> int:
        """How many requests were answered with HTTP 429 (by the window or by a script)."""
        with self._lock:
            return self._rate_limited

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised inside the fake itself (answered as HTTP 500 ``fake_server_error``)."""
        with self._lock:
            return list(self._errors)

    def dm_channel(self, user_id: str) -> str | None:
        with self._lock:
            return self._dms.get(user_id)

    # -- the request path (called from handler threads) -----------------------------------

    def _record_error(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)

    def _new_id(self, prefix: str) -> str:
        # caller holds the lock
        value = f"{prefix}0F{self._next_id:07d}"
        self._next_id += 1
        return value

    def _handle(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        try:
            return self._handle_call(method, params, headers)
        finally:
            with self._changed:
                self._changed.notify_all()

    def _handle_call(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> _Reply:
        with self._changed:
            self._calls.append(SlackCall(method, params, headers))
            self._counts[method] = self._counts.get(method, 0) + 1
            held = (
                self._hold is not None
                and self._hold[0] == method
                and self._counts[method] > self._hold[1]
            )
            self._changed.notify_all()
        if held:
            while not self._released.wait(0.05) and not self._stopping.is_set():
                pass
        if self.delay_seconds > 0:
            self._stopping.wait(self.delay_seconds)

        with self._lock:
            scripted = self._take_failure(method)
            if scripted is not None:
                return scripted

        auth_error = self._check_auth(params, headers)
        if auth_error is not None:
            return _error(auth_error)

        handler = _METHODS.get(method)
        if handler is None:
            return _error("unknown_method")
        with self._lock:
            return handler(self, params)

    def _take_failure(self, method: str) -> _Reply | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        reply = _error(failure.error, failure.status)
        if failure.retry_after is not None:
            reply.headers["Retry-After"] = str(failure.retry_after)
        if failure.status == 429:
            self._rate_limited += 1
        return reply

    def _check_auth(self, params: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
        authorization = headers.get("authorization", "")
        token: str | None = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return "invalid_auth"
            token = value.strip()
        elif isinstance(params.get("token"), str) and params["token"]:
            token = params["token"]
        if token is None:
            return "not_authed"
        return None if token == self.token else "invalid_auth"

    # -- methods (each runs with the lock held) ------------------------------------------

    def _chat_post_message(self, params: dict[str, Any]) -> _Reply:
        if self.rate_limit_per_minute is not None:
            now = self.time_fn()
            window = self._post_times
            while window and window[0] <= now - RATE_WINDOW_SECONDS:
                window.popleft()
            if len(window) >= self.rate_limit_per_minute:
                self._rate_limited += 1
                wait = max(1, math.ceil(window[0] + RATE_WINDOW_SECONDS - now))
                return _Reply(
                    429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
                )
            window.append(now)

        channel_param = params.get("channel")
        if not isinstance(channel_param, str) or not channel_param:
            return _error("channel_not_found")
        channel, problem = self._resolve_channel(channel_param)
        if problem is not None:
            return _error(problem)
        blocks, problem = _parse_blocks(params.get("blocks"))
        if problem is not None:
            return _error(problem)
        text = params.get("text")
        if not text and not blocks:
            return _error("no_text")

        ts = self._next_ts()
        self._known_ts.add((channel, ts))
        text_value = str(text) if text is not None else None
        self._messages.append(
            PostedMessage(
                channel=channel,
                ts=ts,
                text=text_value,
                blocks=blocks,
                user_id=self._dm_owners.get(channel),
                params=params,
            )
        )
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": text_value or "",
            "ts": ts,
        }
        if blocks:
            message["blocks"] = blocks
        metadata = _parse_metadata(params.get("metadata"))
        if metadata is not None:
            message["metadata"] = metadata
        return _ok(channel=channel, ts=ts, message=message)

    def _conversations_history(self, params: dict[str, Any]) -> _Reply:
        if not self.history_scope:
            reply = _error("missing_scope")
            reply.body["needed"] = "im:history"
            return reply
        channel = params.get("channel")
        if not isinstance(channel, str) or not channel:
            return _error("channel_not_found")
        if channel not in self._dm_owners and not channel.startswith(("C", "G")):
            return _error("channel_not_found")
        with_metadata = str(params.get("include_all_metadata", "")).lower() in {"1", "true"}
        try:
            limit = max(1, min(999, int(params.get("limit") or 100)))
        except ValueError:
            return _error("invalid_limit")
        found = []
        for posted in reversed(self._messages):
            if posted.channel != channel:
                continue
            entry: dict[str, Any] = {
                "type": "message",
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "text": posted.text or "",
                "ts": posted.ts,
            }
            metadata = _parse_metadata(posted.params.get("metadata"))
            if with_metadata and metadata is not None:
                entry["metadata"] = metadata
            found.append(entry)
            if len(found) >= limit:
                break
        more = len(found) >= limit
        return _ok(messages=found, has_more=more, pin_count=0)

    def _chat_update(self, params: dict[str, Any]) -> _Reply:
        channel, ts = params.get("channel"), params.get("ts")
        if not isinstance(channel, str) or not channel:
            return _error("channel_not_found")
        if not isinstance(ts, str) or (channel, ts) not in self._known_ts:
            return _error("message_not_found")
        blocks, problem = _parse_blocks(params.get("blocks"))
        if problem is not None:
            return _error(problem)
        text = params.get("text")
        if not text and not blocks:
            return _error("no_text")
        message: dict[str, Any] = {"type": "message", "text": str(text or ""), "blocks": blocks}
        return _ok(channel=channel, ts=ts, text=str(text or ""), message=message)

    def _users_lookup_by_email(self, params: dict[str, Any]) -> _Reply:
        email = params.get("email")
        if not isinstance(email, str) or not email:
            return _error("invalid_arguments")
        user_id = self._users.get(email.lower())
        if user_id is None:
            return _error("users_not_found")
        return _ok(user=self._user_object(user_id, email))

    def _conversations_open(self, params: dict[str, Any]) -> _Reply:
        channel = params.get("channel")
        if isinstance(channel, str) and channel:
            return _ok(channel={"id": channel}, already_open=True)
        raw = params.get("users")
        if isinstance(raw, list):
            raw = ",".join(str(part) for part in raw)
        if not isinstance(raw, str) or not raw.strip():
            return _error("users_list_not_supplied")
        user_ids = [part.strip() for part in raw.split(",") if part.strip()]
        for user_id in user_ids:
            if user_id == self.bot_user_id:
                return _error("cannot_dm_bot")
            if user_id not in self._user_ids:
                return _error("user_not_found")
            if user_id in self._inactive:
                return _error("user_disabled")
        if len(user_ids) > 1:
            key = ",".join(sorted(user_ids))
            if key not in self._dms:
                self._dms[key] = self._new_id("G")
            return _ok(channel={"id": self._dms[key]})
        user_id = user_ids[0]
        already_open = user_id in self._dms
        return _ok(channel={"id": self._dm_for(user_id)}, already_open=already_open)

    def _auth_test(self, params: dict[str, Any]) -> _Reply:
        return _ok(
            url="https://arkbot-fake.slack.com/",
            team="arkbot fake workspace",
            user="arkbot",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=False,
        )

    def _views_open(self, params: dict[str, Any]) -> _Reply:
        view = _parse_view(params.get("view"))
        if view is None or not params.get("trigger_id"):
            return _error("invalid_arguments")
        return self._store_view(self._new_id("V"), view)

    def _views_publish(self, params: dict[str, Any]) -> _Reply:
        view = _parse_view(params.get("view"))
        if view is None or not params.get("user_id"):
            return _error("invalid_arguments")
        if view.get("type") != "home":
            return _error("invalid_arguments")
        return self._store_view(self._new_id("V"), view)

    def _views_update(self, params: dict[str, Any]) -> _Reply:
        view = _parse_view(params.get("view"))
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if view is None or not (view_id or external_id):
            return _error("invalid_arguments")
        if external_id and not view_id:
            matches = [vid for vid, v in self._views.items() if v.get("external_id") == external_id]
            if not matches:
                return _error("not_found")
            view_id = matches[0]
        if not isinstance(view_id, str) or view_id not in self._views:
            return _error("not_found")
        return self._store_view(view_id, view)

    # -- helpers (lock held) -------------------------------------------------------------

    def _store_view(self, view_id: str, view: dict[str, Any]) -> _Reply:
        stored = {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "hash": f"{view_id}.{time.time_ns()}",
        }
        self._views[view_id] = stored
        return _ok(view=stored)

    def _dm_for(self, user_id: str) -> str:
        channel = self._dms.get(user_id)
        if channel is None:
            channel = self._new_id("D")
            self._dms[user_id] = channel
            self._dm_owners[channel] = user_id
        return channel

    def _resolve_channel(self, channel: str) -> tuple[str, str | None]:
        if channel in self._dm_owners:
            return channel, None
        if channel.startswith(("U", "W")):  # posting to a user id lands in the app's DM
            if channel not in self._user_ids:
                return channel, "channel_not_found"
            if channel in self._inactive:
                return channel, "user_disabled"
            return self._dm_for(channel), None
        if channel.startswith(("C", "G")):
            return channel, None
        return channel, "channel_not_found"

    def _next_ts(self) -> str:
        sequence = self._ts_counter
        self._ts_counter += 1
        return f"{FIRST_TS_SECONDS + sequence // 1_000_000}.{sequence % 1_000_000:06d}"

    def _user_object(self, user_id: str, email: str) -> dict[str, Any]:
        name = email.split("@", 1)[0]
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": user_id in self._inactive,
            "is_bot": False,
            "profile": {"email": email, "real_name": name, "display_name": name},
        }


_Method = Callable[[FakeSlackAPI, dict[str, Any]], _Reply]

_METHODS: dict[str, _Method] = {
    "chat.postMessage": FakeSlackAPI._chat_post_message,
    "chat.update": FakeSlackAPI._chat_update,
    "users.lookupByEmail": FakeSlackAPI._users_lookup_by_email,
    "conversations.open": FakeSlackAPI._conversations_open,
    "conversations.history": FakeSlackAPI._conversations_history,
    "auth.test": FakeSlackAPI._auth_test,
    "views.open": FakeSlackAPI._views_open,
    "views.publish": FakeSlackAPI._views_publish,
    "views.update": FakeSlackAPI._views_update,
    "files.getUploadURLExternal": FakeSlackAPI._files_get_upload_url,
    "files.completeUploadExternal": FakeSlackAPI._files_complete_upload,
}


def _parse_metadata(raw: Any) -> dict[str, Any] | None:
    """Message metadata as posted (a JSON body keeps the dict; a form body sends a string)."""
    if isinstance(raw, str) and raw:
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, dict) or not raw.get("event_type"):
        return None
    return {"event_type": raw["event_type"], "event_payload": raw.get("event_payload") or {}}


def _parse_view(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, dict) and raw.get("type") else None


def _parse_blocks(raw: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Blocks as a list of dicts; a form body sends them as a JSON string."""
    if raw is None or raw == "":
        return [], None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return [], "invalid_blocks_format"
    if not isinstance(raw, list):
        return [], "invalid_blocks_format"
    block_ids: set[str] = set()
    for block in raw:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return [], "invalid_blocks"
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                return [], "invalid_blocks"
            block_ids.add(block_id)
        action_ids: set[str] = set()
        for element in block.get("elements") or []:
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if action_id is None:
                continue
            if action_id in action_ids:
                return [], "invalid_blocks"
            action_ids.add(action_id)
    return raw, None


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with a small pool of reusable workers.

    Starting a thread per connection costs more than answering the request (urllib opens a
    connection per call), so idle pooled workers take connections first; when all of them
    are busy (slow requests, keep-alive clients) a connection gets its own thread as usual,
    so the pool can never deadlock.
    """

    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True
    pool_size = 16
    fake: FakeSlackAPI

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._pool_lock = threading.Lock()
        self._workers = 0  # started lazily, up to pool_size
        self._idle = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        job = (request, client_address)
        with self._pool_lock:
            if self._idle > 0:
                self._idle -= 1
                self._jobs.put(job)
                return
            grow = self._workers < self.pool_size
            if grow:
                self._workers += 1
        if grow:
            name = f"fake-slack-api-worker-{self._workers}"
            threading.Thread(target=self._work, args=(job,), name=name, daemon=True).start()
        else:
            super().process_request(request, client_address)

    def _work(self, first: tuple[Any, Any]) -> None:
        job: tuple[Any, Any] | None = first
        while job is not None:
            self.process_request_thread(*job)
            with self._pool_lock:
                self._idle += 1
            job = self._jobs.get()

    def server_close(self) -> None:
        super().server_close()
        with self._pool_lock:
            workers = self._workers
        for _ in range(workers):
            self._jobs.put(None)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that want it; urllib closes anyway
    wbufsize = 64 * 1024  # headers and body leave in one write (flushed after each request)
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no per-request logging."""

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not parts.path.startswith("/api/"):
            self._send(_Reply(404, {"ok": False, "error": "not_found"}))
            return
        method = parts.path[len("/api/") :]
        if method.startswith("upload/"):
            known = self.server.fake.receive_upload(method[len("upload/") :], raw)
            self._send(_Reply(200 if known else 404, {"ok": known}))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if raw:
            if content_type == "application/json":
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._send(_error("invalid_json"))
                    return
                if not isinstance(body, dict):
                    self._send(_error("invalid_json"))
                    return
                params.update(body)
            elif content_type == "application/x-www-form-urlencoded":
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        fake = self.server.fake
        try:
            reply = fake._handle(method, params, headers)
        except Exception as error:  # a bug in the fake: answer, and keep it for the test
            fake._record_error(error)
            reply = _error(f"fake_server_error: {type(error).__name__}: {error}", 500)
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        payload = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
