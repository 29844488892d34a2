"""Deliver messages as Slack direct messages through the Web API (`slack_sdk.WebClient`).

The transport never sleeps and never retries: the sender decides (DESIGN decision 2). A
WebClient made here has no retry handlers, and every failure becomes one of the transport
errors — `RateLimited` (HTTP 429, with Slack's Retry-After), `TemporaryFailure` (5xx,
timeouts, connection trouble, Slack's own "try again" codes) or `PermanentFailure` (the
Slack error code as the reason, e.g. ``users_not_found``).

Every message carries Slack message metadata (``arkbot_delivery`` with the delivery id). When
the sender resends a delivery whose earlier sender died mid-send, `already_delivered` reads the
DM's recent history (``conversations.history``, scope ``im:history``) for that metadata, so a
message that did arrive is recorded, not sent twice. Without the scope (``missing_scope``) the
check switches itself off with a warning; ``ARKBOT_SLACK_HISTORY_CHECK=false`` turns it off.

Email → user id and user id → DM channel are cached per transport (thread-safe, one
lookup per key even when several threads ask at once). A cached entry that Slack no
longer accepts (``channel_not_found``, ``user_not_found``…) is dropped so the next try
looks it up again.
"""

from __future__ import annotations

import http.client
import logging
import threading
import urllib.error
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web import SlackResponse

from bot.config import Settings
from bot.messages import Message
from bot.slack.blocks import render_payload
from bot.transports.base import (
    PermanentFailure,
    RateLimited,
    Recipient,
    SendResult,
    TemporaryFailure,
    TransportError,
)

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 30.0
METADATA_EVENT = "arkbot_delivery"
# How many of the DM's newest messages the history check reads. A reclaimed delivery went out
# at most a lease ago, and nobody gets dozens of nudges in that time.
HISTORY_DEPTH = 50
# The app cannot read DM history: the check is off, sends go ahead.
_NO_HISTORY = frozenset(
    {"missing_scope", "not_allowed_token_type", "no_permission", "access_denied"}
)
TEMPORARY_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
# Codes that mean a cached user id / DM channel is stale.
_STALE_USER = frozenset({"user_not_found", "users_not_found", "user_disabled", "account_inactive"})
_STALE_CHANNEL = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


def slack_client(token: str, base_url: str, timeout: int = 10) -> WebClient:
    """A WebClient that fails fast: no retry handlers, so it never sleeps on 429 or 5xx."""
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            return None if value is None else str(value)
    return None


def _retry_after(headers: Mapping[str, Any] | None) -> float:
    raw = _header(headers, "Retry-After")
    try:
        seconds = float(raw) if raw is not None else DEFAULT_RETRY_AFTER
    except ValueError:  # an HTTP date, or garbage: be conservative
        return DEFAULT_RETRY_AFTER
    return seconds if seconds >= 0 else DEFAULT_RETRY_AFTER


def _error_code(response: SlackResponse) -> str | None:
    data = response.data
    if isinstance(data, dict):
        error = data.get("error")
        return str(error) if error else None
    return None


def translate_error(error: Exception) -> TransportError:
    """One of the transport errors for what slack_sdk or the network raised."""
    if isinstance(error, SlackApiError):
        response = error.response
        status = int(getattr(response, "status_code", 0) or 0)
        code = _error_code(response)
        if status == 429:
            return RateLimited(code or "ratelimited", retry_after=_retry_after(response.headers))
        if status >= 500 or status == 408:
            return TemporaryFailure(code or f"http_{status}")
        if code in TEMPORARY_ERRORS:
            return TemporaryFailure(code)
        if code:
            return PermanentFailure(code)
        return PermanentFailure(f"http_{status}" if status and status != 200 else "unknown_error")
    if isinstance(error, SlackRequestError):
        return PermanentFailure(f"slack_request_error: {error}")
    if isinstance(error, TimeoutError):
        return TemporaryFailure(f"timeout: {error}")
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return TemporaryFailure(f"timeout: {reason}")
        return TemporaryFailure(f"connection_error: {reason}")
    if isinstance(error, OSError | http.client.HTTPException):
        return TemporaryFailure(f"connection_error: {type(error).__name__}: {error}")
    raise TypeError(f"not a Slack or network error: {error!r}") from error


_NETWORK_ERRORS = (SlackApiError, SlackRequestError, OSError, http.client.HTTPException)


class _SingleFlightCache:
    """A dict cache where concurrent misses for one key make one fetch."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._inflight: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: str, fetch: Callable[[], str]) -> str:
        with self._lock:
            if key in self._values:
                return self._values[key]
            key_lock = self._inflight.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = fetch()
            except BaseException:
                with self._lock:
                    self._inflight.pop(key, None)
                raise
            with self._lock:
                self._values[key] = value
                self._inflight.pop(key, None)
            return value

    def forget(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def forget_value(self, value: str) -> None:
        with self._lock:
            for key in [k for k, v in self._values.items() if v == value]:
                del self._values[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


class SlackTransport:
    """Direct messages in one Slack workspace."""

    platform: str = "slack"

    def __init__(
        self, client: WebClient, workspace: str = "default", history_check: bool = True
    ) -> None:
        self.client = client
        self.workspace = workspace
        self.history_check = history_check
        self._user_ids = _SingleFlightCache()  # lower-cased email → user id
        self._dm_channels = _SingleFlightCache()  # user id → DM channel id

    @classmethod
    def from_settings(cls, settings: Settings, workspace: str = "default") -> SlackTransport:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        if not token.strip():
            raise ValueError(
                "SLACK_BOT_TOKEN is not set: the Slack transport needs the bot token "
                "(xoxb-…) in the environment or in .env"
            )
        return cls(
            slack_client(token.strip(), settings.slack_api_url),
            workspace=workspace,
            history_check=settings.slack_history_check,
        )

    # -- the Transport protocol ----------------------------------------------------------

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        user_id = self.resolve_user(recipient)
        channel = self.open_dm(user_id)
        payload = render_payload(message)
        metadata = None
        if message.delivery_id is not None:
            metadata = {
                "event_type": METADATA_EVENT,
                "event_payload": {"delivery_id": message.delivery_id},
            }
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=payload["text"],
                blocks=payload["blocks"] or None,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
        except _NETWORK_ERRORS as error:
            failure = translate_error(error)
            if failure.reason in _STALE_CHANNEL:
                self._dm_channels.forget(user_id)
            raise failure from error
        return SendResult(
            platform=self.platform,
            channel_id=str(response.get("channel") or channel),
            message_id=_ts(response),
        )

    def already_delivered(self, recipient: Recipient, delivery_id: int) -> SendResult | None:
        """The message for `delivery_id` in the recipient's DM, if it is there (ChecksDelivery)."""
        if not self.history_check:
            return None
        user_id = self.resolve_user(recipient)
        channel = self.open_dm(user_id)
        try:
            response = self.client.conversations_history(
                channel=channel, include_all_metadata=True, limit=HISTORY_DEPTH
            )
        except _NETWORK_ERRORS as error:
            failure = translate_error(error)
            if failure.reason in _NO_HISTORY:
                log.warning(
                    "Slack refused conversations.history (%s): add the im:history scope and "
                    "reinstall the app, or set ARKBOT_SLACK_HISTORY_CHECK=false. Until then a "
                    "message interrupted by a crash may arrive twice.",
                    failure.reason,
                )
                self.history_check = False
                return None
            if failure.reason in _STALE_CHANNEL:
                self._dm_channels.forget(user_id)
            raise failure from error
        for found in response.get("messages") or []:
            metadata = found.get("metadata") if isinstance(found, dict) else None
            if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT:
                continue
            payload = metadata.get("event_payload") or {}
            if str(payload.get("delivery_id")) == str(delivery_id):
                return SendResult(
                    platform=self.platform, channel_id=channel, message_id=found.get("ts")
                )
        return None

    # -- the pieces, public for the Slack app and for tests -------------------------------

    def resolve_user(self, recipient: Recipient) -> str:
        """The recipient's Slack user id: the known one, else looked up by email (cached)."""
        if recipient.slack_user_id:
            return recipient.slack_user_id
        email = recipient.email.strip().lower()
        if not email:
            raise PermanentFailure("no_slack_user_id_or_email")
        return self._user_ids.get(email, lambda: self._lookup_by_email(email))

    def open_dm(self, user_id: str) -> str:
        """The DM channel id with `user_id` (cached)."""
        return self._dm_channels.get(user_id, lambda: self._open_dm(user_id))

    def update_message(self, channel: str, ts: str, message: Message) -> SendResult:
        """Replace an earlier message in place (chat.update), e.g. after a click."""
        payload = render_payload(message)
        try:
            response = self.client.chat_update(
                channel=channel,
                ts=ts,
                text=payload["text"],
                blocks=payload["blocks"],  # [] clears the old blocks; None would keep them
            )
        except _NETWORK_ERRORS as error:
            raise translate_error(error) from error
        return SendResult(
            platform=self.platform,
            channel_id=str(response.get("channel") or channel),
            message_id=_ts(response) or ts,
        )

    def _lookup_by_email(self, email: str) -> str:
        try:
            response = self.client.users_lookupByEmail(email=email)
        except _NETWORK_ERRORS as error:
            raise translate_error(error) from error
        user = response.get("user")
        user_id = user.get("id") if isinstance(user, dict) else None
        if not user_id:
            raise PermanentFailure("users_not_found")
        return str(user_id)

    def _open_dm(self, user_id: str) -> str:
        try:
            response = self.client.conversations_open(users=user_id)
        except _NETWORK_ERRORS as error:
            failure = translate_error(error)
            if failure.reason in _STALE_USER:
                self._user_ids.forget_value(user_id)
            raise failure from error
        channel = response.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if not channel_id:
            raise PermanentFailure("channel_not_found")
        return str(channel_id)


def _ts(response: SlackResponse) -> str | None:
    ts = response.get("ts")
    return str(ts) if ts else None
