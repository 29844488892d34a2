"""Plain notices to people other than the one who asked ("you said, we did", a leader's
nudge after a VO's "not yet"), sent at once through whichever transport reaches them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from bot.messages import Message, MessageKind
from bot.transports.base import Recipient, Transport, TransportError, recipient_of

log = logging.getLogger("arkbot.notices")
__all__ = ["Notifier", "recipient_of", "send_all", "transport_notifier"]

Notifier = Callable[[Recipient, str], None]


def transport_notifier(transport: Transport) -> Notifier:
    """Send each notice as an information message; someone we cannot reach is logged (by
    id, never by name), and is never the asker's error."""

    def notify(recipient: Recipient, text: str) -> None:
        message = Message(
            kind=MessageKind.information, locale=recipient.locale, headline="", body=text
        )
        try:
            transport.send(recipient, message)
        except TransportError as error:
            log.warning("could not notify person %s: %s", recipient.person_id, error.reason)

    return notify


def send_all(notify: Notifier, notices: Iterable[tuple[Recipient, str]]) -> None:
    for recipient, text in notices:
        notify(recipient, text)
