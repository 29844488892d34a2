"""What a transport promises the sender, and the failures it may report."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.messages import Message


@dataclass(frozen=True, slots=True)
class Recipient:
    person_id: int
    email: str
    name: str
    locale: str
    timezone: str | None = None
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    teams_aad_object_id: str | None = None
    teams_tenant_id: str | None = None
    preferred_platform: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    platform: str
    channel_id: str | None = None
    message_id: str | None = None


class TransportError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(TransportError):
    """The platform said "slow down" (HTTP 429); try again after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TemporaryFailure(TransportError):
    """Worth retrying with backoff: 5xx, timeouts, connection errors."""


class PermanentFailure(TransportError):
    """Retrying will not help: unknown user, deactivated account, missing scope."""


class Transport(Protocol):
    platform: str
    workspace: str

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        """Deliver one message, or raise one of the TransportError kinds above."""
        ...


def recipient_of(person: Any) -> Recipient:
    """The recipient for a person (a `Person` or a row with the same columns)."""
    return Recipient(
        person_id=person.id,
        email=person.email,
        name=person.name,
        locale=person.locale,
        timezone=person.timezone,
        slack_user_id=person.slack_user_id,
        teams_user_id=person.teams_user_id,
        teams_aad_object_id=person.teams_aad_object_id,
        teams_tenant_id=person.teams_tenant_id,
        preferred_platform=person.preferred_platform,
    )


@runtime_checkable
class ChecksDelivery(Protocol):
    """Optional: a transport that can tell whether a message already reached its recipient.

    The sender asks before resending a row whose earlier sender died mid-send (or timed out),
    and records the delivery as sent instead of sending it twice. A transport that cannot
    look (the console, a Teams transport without history access) leaves the method out; the
    repeats after a crash are then bounded by the sender's concurrency.
    """

    def already_delivered(self, recipient: Recipient, delivery_id: int) -> SendResult | None:
        """The earlier message for `delivery_id`, if it arrived; None if not (or unknown)."""
        ...


@runtime_checkable
class SendsAsync(Protocol):
    """Optional: a transport whose sends are coroutines on an event loop it keeps running.

    The sender then runs each worker's sends as one coroutine on `event_loop` instead of on
    a thread that hands every call over to the loop and waits (the Teams SDK is async-only).
    `send_async` must not block the loop: what may block runs in a thread, and `prepare`,
    called on the sender's thread with each batch's recipients, loads ahead what their sends
    will need (Teams: the conversation references, one read per batch).
    """

    @property
    def event_loop(self) -> asyncio.AbstractEventLoop: ...

    def prepare(self, recipients: Sequence[Recipient]) -> None:
        """Load what the sends to `recipients` need, off the loop."""
        ...

    async def send_async(self, recipient: Recipient, message: Message) -> SendResult:
        """`Transport.send` as a coroutine on `event_loop`."""
        ...
