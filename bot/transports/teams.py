"""Deliver messages as Adaptive Cards in Teams 1:1 chats, through the Teams SDK.

Like the Slack transport it never sleeps and never retries; every failure becomes one of
the transport errors: `RateLimited` (HTTP 429 with Retry-After), `TemporaryFailure` (5xx,
timeouts, connection trouble) or `PermanentFailure` with a reason the coordinator can read
(``teams_app_not_installed`` when Teams refuses to open a chat because the app is not
installed for the person, ``teams_conversation_not_found``, ``teams_unauthorized``…).

Where to send: each person's 1:1 conversation reference (conversation id, service URL,
tenant) comes from a `ConversationStore` (the database in production) with an in-memory
cache in front. A person without one gets a conversation created
(``POST /v3/conversations`` with their Entra object id), which is then remembered. A stored
reference the connector no longer knows (404) is forgotten and created again once.

The SDK is async-only; all its calls run on one `EventLoopThread`. The sender runs its
sends as coroutines on that loop (`send_async`, the `SendsAsync` protocol), so a card does not
cross from a worker thread to the loop and back; `send` is the same path for sync callers.
Only what may block — a conversation reference not yet cached (a database read) or created
(a connector call) — leaves the loop for a thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from bot.messages import Message
from bot.pacing import TokenBucket
from bot.teams.cards import CARD_CONTENT_TYPE, card_payload
from bot.teams.loop import EventLoopThread
from bot.transports.base import (
    PermanentFailure,
    RateLimited,
    Recipient,
    SendResult,
    TemporaryFailure,
    TransportError,
)

if TYPE_CHECKING:
    from microsoft_teams.apps import App
    from microsoft_teams.cards import AdaptiveCard
    from sqlalchemy.engine import Engine

    from bot.config import Settings
    from schedules.clock import Clock

T = TypeVar("T")

DEFAULT_RETRY_AFTER = 1.0
CALL_TIMEOUT_SECONDS = 30.0
# Teams allows 7 messages per second per conversation: 6 a second with a burst of 1 never
# puts more than 7 into any one-second window.
CONVERSATION_RATE_PER_SECOND = 6.0
NOT_INSTALLED = "teams_app_not_installed"
CONVERSATION_NOT_FOUND = "teams_conversation_not_found"


@dataclass(frozen=True, slots=True)
class ConversationRef:
    conversation_id: str
    service_url: str
    tenant_id: str | None = None


class ConversationStore(Protocol):
    """Where conversation references live between processes (the database in production)."""

    def get(self, person_id: int) -> ConversationRef | None: ...

    def get_many(self, person_ids: Collection[int]) -> dict[int, ConversationRef]: ...

    def remember(self, person_id: int, ref: ConversationRef) -> None: ...

    def forget(self, person_id: int) -> None: ...


class MemoryConversations:
    """A `ConversationStore` in a dict, for tests and benchmarks."""

    def __init__(self, known: dict[int, ConversationRef] | None = None) -> None:
        self._refs = dict(known or {})
        self._lock = threading.Lock()

    def get(self, person_id: int) -> ConversationRef | None:
        with self._lock:
            return self._refs.get(person_id)

    def get_many(self, person_ids: Collection[int]) -> dict[int, ConversationRef]:
        with self._lock:
            return {pid: self._refs[pid] for pid in person_ids if pid in self._refs}

    def remember(self, person_id: int, ref: ConversationRef) -> None:
        with self._lock:
            self._refs[person_id] = ref

    def forget(self, person_id: int) -> None:
        with self._lock:
            self._refs.pop(person_id, None)


class DatabaseConversations:
    """A `ConversationStore` on the ``teams_conversations`` table (`storage.teams`)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def get(self, person_id: int) -> ConversationRef | None:
        from storage.db import session_scope
        from storage.teams import conversation_of

        with session_scope(self.engine) as session:
            row = conversation_of(session, person_id)
            if row is None:
                return None
            return ConversationRef(row.conversation_id, row.service_url, row.tenant_id)

    def get_many(self, person_ids: Collection[int]) -> dict[int, ConversationRef]:
        from storage.db import session_scope
        from storage.teams import conversations_of

        with session_scope(self.engine) as session:
            return {
                person_id: ConversationRef(row.conversation_id, row.service_url, row.tenant_id)
                for person_id, row in conversations_of(session, person_ids).items()
            }

    def remember(self, person_id: int, ref: ConversationRef) -> None:
        from storage.db import session_scope
        from storage.teams import remember_conversation

        with session_scope(self.engine) as session:
            remember_conversation(
                session,
                person_id,
                tenant_id=ref.tenant_id,
                conversation_id=ref.conversation_id,
                service_url=ref.service_url,
                now=self.clock.now(),
            )

    def forget(self, person_id: int) -> None:
        from storage.db import session_scope
        from storage.teams import forget_conversation

        with session_scope(self.engine) as session:
            forget_conversation(session, person_id, now=self.clock.now())


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("Retry-After")
    try:
        seconds = float(raw) if raw is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return seconds if seconds >= 0 else DEFAULT_RETRY_AFTER


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code else None


def translate_error(error: BaseException, *, creating: bool = False) -> TransportError:
    """One of the transport errors for what the SDK (httpx) or the network raised."""
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        status = response.status_code
        code = _error_code(response)
        suffix = f" ({code})" if code else ""
        if status == 429:
            return RateLimited(f"teams_rate_limited{suffix}", retry_after=_retry_after(response))
        if status >= 500 or status == 408:
            return TemporaryFailure(f"teams_http_{status}{suffix}")
        if status == 403 and creating:
            return PermanentFailure(NOT_INSTALLED)
        if status == 403:
            return PermanentFailure(f"teams_forbidden{suffix}")
        if status == 401:
            return PermanentFailure(
                "teams_unauthorized: the connector refused the bot's token "
                "(check CLIENT_ID, CLIENT_SECRET and TENANT_ID)"
            )
        if status == 404:
            return PermanentFailure(CONVERSATION_NOT_FOUND)
        return PermanentFailure(f"teams_http_{status}{suffix}")
    if isinstance(error, httpx.TimeoutException | TimeoutError | asyncio.TimeoutError):
        return TemporaryFailure(f"timeout: {type(error).__name__}")
    if isinstance(error, httpx.TransportError | OSError):
        return TemporaryFailure(f"connection_error: {type(error).__name__}: {error}")
    raise TypeError(f"not a Teams or network error: {error!r}") from error


_NETWORK_ERRORS = (httpx.HTTPError, OSError, TimeoutError)
_EXPLAINED = (
    NOT_INSTALLED,
    CONVERSATION_NOT_FOUND,
    "teams_unauthorized",
    "teams_forbidden",
    "no_teams_id",
    "not_reachable",
)


def failure_text(reason: str, locale: str) -> str:
    """A delivery failure's reason (``deliveries.error``) explained in the reader's language."""
    from bot.i18n.catalog import t

    code = reason.split(":", 1)[0].split(" ", 1)[0]
    if code in _EXPLAINED:
        return t(locale, f"teams.failure.{code}")
    return t(locale, "teams.failure.other", reason=reason)


class TeamsTransport:
    """1:1 chats in one Teams tenant (`workspace` is the tenant id)."""

    platform: str = "teams"

    def __init__(
        self,
        app: App,
        *,
        loop: EventLoopThread | None = None,
        tenant_id: str | None = None,
        conversations: ConversationStore | None = None,
        service_url: str | None = None,
        timeout: float = CALL_TIMEOUT_SECONDS,
        conversation_rate: float | None = CONVERSATION_RATE_PER_SECOND,
        time_fn: Callable[[], float] | None = None,
    ) -> None:
        self.app = app
        self._own_loop = loop is None
        self.loop = loop or EventLoopThread(name="teams-transport")
        self.tenant_id = tenant_id
        self.workspace = tenant_id or "default"
        self.conversations: ConversationStore = conversations or MemoryConversations()
        self.service_url = (service_url or app.api.service_url).rstrip("/")
        self.timeout = timeout
        self._conversation_rate = conversation_rate
        self._time_fn = time_fn
        self._cache: dict[int, ConversationRef] = {}
        self._person_locks: dict[int, threading.Lock] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        self._initialized = False
        self._init_lock: asyncio.Lock | None = None  # made on the loop, used only there

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        token: Callable[..., Any] | None = None,
        loop: EventLoopThread | None = None,
    ) -> TeamsTransport:
        from bot.teams.sdk import make_teams_app

        app = make_teams_app(settings, token=token)
        store: ConversationStore | None = None
        if engine is not None:
            from schedules.clock import SystemClock

            store = DatabaseConversations(engine, clock or SystemClock())
        return cls(app, loop=loop, tenant_id=settings.teams_tenant_id, conversations=store)

    def close(self) -> None:
        """Stop the event-loop thread if this transport made it."""
        if self._own_loop:
            self.loop.close()

    # -- the Transport protocol ----------------------------------------------------------

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        return self._run(self.send_async(recipient, message))

    # -- the SendsAsync protocol (the sender's path) ---------------------------------------

    @property
    def event_loop(self) -> asyncio.AbstractEventLoop:
        return self.loop.loop

    def prepare(self, recipients: Sequence[Recipient]) -> None:
        """Load the conversation references of a batch's recipients in one read, so that
        their sends find them cached and stay on the loop."""
        with self._lock:
            missing = [r.person_id for r in recipients if r.person_id not in self._cache]
        if not missing:
            return
        found = self.conversations.get_many(missing)
        with self._lock:
            for person_id, ref in found.items():
                self._cache.setdefault(person_id, ref)

    async def send_async(self, recipient: Recipient, message: Message) -> SendResult:
        """`send` as a coroutine on `event_loop` (see the module docstring)."""
        from microsoft_teams.api.activities.message import MessageActivityInput
        from microsoft_teams.api.models import Attachment

        card = Attachment(content_type=CARD_CONTENT_TYPE, content=card_payload(message))
        return await self._deliver(recipient, MessageActivityInput().add_attachments(card))

    async def _deliver(self, recipient: Recipient, content: Any) -> SendResult:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._deliver_now(recipient, content)
        except TimeoutError as error:
            raise translate_error(error) from error

    # -- the pieces, for the Teams app --------------------------------------------------

    def update_card(
        self,
        conversation_id: str,
        activity_id: str,
        card: AdaptiveCard,
        *,
        service_url: str | None = None,
    ) -> SendResult:
        """Replace an earlier card in place (e.g. the answered state after a click)."""
        from microsoft_teams.api.activities.message import MessageActivityInput

        target = (service_url or self.service_url).rstrip("/")
        activity = MessageActivityInput().add_card(card)
        try:
            sent = self._run(
                self._initialized_then(
                    self.app.api.conversations.update_activity(
                        conversation_id,
                        activity_id,
                        activity,
                        service_url=None if target == self.service_url else target,
                    )
                )
            )
        except _NETWORK_ERRORS as error:
            raise translate_error(error) from error
        return SendResult(
            platform=self.platform,
            channel_id=conversation_id,
            message_id=str(sent.id or activity_id),
        )

    def conversation_for(
        self, recipient: Recipient, *, stale: str | None = None
    ) -> ConversationRef:
        """The recipient's 1:1 conversation: cached, stored, or created (and remembered).

        `stale` names a conversation id the connector no longer knows: it is not used again,
        a new conversation is created and replaces it in the store.
        """
        ref = self._known(recipient.person_id)
        if ref is not None and ref.conversation_id != stale:
            return ref
        return self._open(recipient, stale)

    def _open(self, recipient: Recipient, stale: str | None) -> ConversationRef:
        """A new conversation, unless another thread of ours made one meanwhile."""
        with self._person_lock(recipient.person_id):
            ref = self._cached(recipient.person_id)
            if ref is not None and ref.conversation_id != stale:
                return ref
            ref = self._create(recipient)
            self.conversations.remember(recipient.person_id, ref)
            with self._lock:
                self._cache[recipient.person_id] = ref
            return ref

    def forget(self, person_id: int) -> None:
        """Drop a person's conversation reference (cache and store)."""
        with self._lock:
            self._cache.pop(person_id, None)
        self.conversations.forget(person_id)

    # -- internals -------------------------------------------------------------------------

    async def _deliver_now(self, recipient: Recipient, content: Any) -> SendResult:
        await self._initialize()
        stale: str | None = None
        for attempt in (1, 2):
            cached = self._cached(recipient.person_id)
            if cached is not None and cached.conversation_id != stale:
                ref, was_known = cached, True
            else:  # the store or the connector: off the loop
                ref, was_known = await asyncio.to_thread(self._where, recipient, stale)
            self._pace(ref.conversation_id)
            try:
                sent = await self.app.send(
                    ref.conversation_id,
                    content,
                    service_url=None if ref.service_url == self.service_url else ref.service_url,
                )
            except _NETWORK_ERRORS as error:
                failure = translate_error(error)
                if failure.reason == CONVERSATION_NOT_FOUND and was_known and attempt == 1:
                    stale = ref.conversation_id  # an old reference: open the chat anew
                    continue
                raise failure from error
            return SendResult(
                platform=self.platform,
                channel_id=ref.conversation_id,
                message_id=str(sent.id) if sent.id else None,
            )
        raise PermanentFailure(CONVERSATION_NOT_FOUND)  # pragma: no cover (loop returns)

    def _where(self, recipient: Recipient, stale: str | None) -> tuple[ConversationRef, bool]:
        """The conversation to send to, and whether it was known before (not just created)."""
        ref = self._known(recipient.person_id)
        if ref is not None and ref.conversation_id != stale:
            return ref, True
        return self._open(recipient, stale), ref is not None

    def _cached(self, person_id: int) -> ConversationRef | None:
        with self._lock:
            return self._cache.get(person_id)

    def _known(self, person_id: int) -> ConversationRef | None:
        ref = self._cached(person_id)
        if ref is not None:
            return ref
        ref = self.conversations.get(person_id)
        if ref is not None:
            with self._lock:
                self._cache[person_id] = ref
        return ref

    def _person_lock(self, person_id: int) -> threading.Lock:
        with self._lock:
            return self._person_locks.setdefault(person_id, threading.Lock())

    def _create(self, recipient: Recipient) -> ConversationRef:
        from microsoft_teams.api.clients.conversation import CreateConversationParams
        from microsoft_teams.api.models import Account

        member = recipient.teams_aad_object_id or recipient.teams_user_id
        if not member:
            raise PermanentFailure("no_teams_id: the directory has no Teams id for this person")
        tenant = recipient.teams_tenant_id or self.tenant_id
        params = CreateConversationParams(members=[Account(id=member)], tenant_id=tenant)
        try:
            created = self._run(self.app.api.conversations.create(params))
        except _NETWORK_ERRORS as error:
            raise translate_error(error, creating=True) from error
        service_url = (created.service_url or self.service_url).rstrip("/")
        return ConversationRef(created.id, service_url, tenant)

    def _pace(self, conversation_id: str) -> None:
        """7 messages a second per conversation: refuse (RateLimited) rather than wait."""
        if self._conversation_rate is None:
            return
        with self._lock:
            bucket = self._buckets.get(conversation_id)
            if bucket is None:
                bucket = TokenBucket(self._conversation_rate, 1, self._time_fn or time.monotonic)
                self._buckets[conversation_id] = bucket
        if bucket.take(1) == 0:
            raise RateLimited("teams_conversation_paced", retry_after=bucket.seconds_until(1))

    async def _initialize(self) -> None:
        if self._initialized:
            return
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if not self._initialized:
                await self.app.initialize()
                self._initialized = True

    async def _initialized_then(self, call: Coroutine[Any, Any, T]) -> T:
        try:
            await self._initialize()
        except BaseException:
            call.close()
            raise
        return await call

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(coro, timeout=self.timeout)
