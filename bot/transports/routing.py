"""One nudge, one platform: send each message to Slack or Teams, whichever fits the person.

The choice for a recipient, in order:

1. their ``preferred_platform``, when they are known there (a Slack user id; a Teams
   Entra object id or user id) and that platform is configured;
2. the deployment's default platform (``ARKBOT_DEFAULT_PLATFORM``) when they are known there;
3. whichever configured platform they are known on (Slack before Teams);
4. known nowhere: Slack, which can still find them by e-mail, if it is configured.

Only one platform is tried per send, so a person known on both gets each nudge once. The
one exception is a *permanent* refusal from the chosen platform (Teams:
``teams_app_not_installed``; Slack: ``users_not_found``…): nothing was delivered, so the
next platform the person is known on gets the message instead. `SendResult.platform` says
where it went (the sender stores it in ``deliveries.platform``).

Pacing per platform: with `buckets` (``{"slack": …, "teams": …}``) a platform whose
bucket is empty is not called; the send raises `RateLimited` with the bucket's wait, and
the sender reschedules the row instead of sleeping. A 429 from a platform pauses its bucket.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.messages import Message
from bot.pacing import Bucket
from bot.transports.base import (
    PermanentFailure,
    RateLimited,
    Recipient,
    SendResult,
    Transport,
)

PLATFORMS = ("slack", "teams")


def known_on(recipient: Recipient, platform: str) -> bool:
    """Whether the directory has the recipient's id on `platform`."""
    if platform == "slack":
        return bool(recipient.slack_user_id)
    if platform == "teams":
        return bool(recipient.teams_aad_object_id or recipient.teams_user_id)
    return False


class RoutingTransport:
    """A `Transport` over ``{"slack": SlackTransport, "teams": TeamsTransport}``."""

    platform: str = "routing"

    def __init__(
        self,
        transports: Mapping[str, Transport],
        *,
        default_platform: str = "slack",
        buckets: Mapping[str, Bucket] | None = None,
        workspace: str = "default",
    ) -> None:
        unknown = set(transports) - set(PLATFORMS)
        if unknown:
            raise ValueError(f"unknown platforms {sorted(unknown)}: use {', '.join(PLATFORMS)}")
        if not transports:
            raise ValueError("RoutingTransport needs at least one transport")
        self.transports = dict(transports)
        self.default_platform = default_platform
        self.buckets = dict(buckets or {})
        self.workspace = workspace

    def candidates(self, recipient: Recipient) -> list[str]:
        """The platforms to use for `recipient`, best first (see the module docstring)."""
        configured = [p for p in PLATFORMS if p in self.transports]
        known = [p for p in configured if known_on(recipient, p)]
        order: list[str] = []
        preferred = (recipient.preferred_platform or "").strip().lower()
        for platform in (preferred, self.default_platform, *known):
            if platform in known and platform not in order:
                order.append(platform)
        if not order and "slack" in self.transports and recipient.email:
            order.append("slack")  # found by e-mail
        return order

    def choose(self, recipient: Recipient) -> str | None:
        """The platform this recipient's nudges go to, or None when none can reach them."""
        order = self.candidates(recipient)
        return order[0] if order else None

    def send(self, recipient: Recipient, message: Message) -> SendResult:
        order = self.candidates(recipient)
        if not order:
            raise PermanentFailure(
                "not_reachable: the directory has no Slack or Teams id for this person "
                f"(configured: {', '.join(sorted(self.transports))})"
            )
        refusals: list[str] = []
        for platform in order:
            self._take(platform)
            try:
                return self.transports[platform].send(recipient, message)
            except RateLimited as limited:
                bucket = self.buckets.get(platform)
                if bucket is not None:
                    bucket.pause(limited.retry_after)
                raise
            except PermanentFailure as failure:
                refusals.append(f"{platform}: {failure.reason}")
                continue
        reason = "; ".join(refusals)
        raise PermanentFailure(reason if len(refusals) > 1 else reason.split(": ", 1)[1])

    def _take(self, platform: str) -> None:
        bucket = self.buckets.get(platform)
        if bucket is not None and bucket.take(1) == 0:
            raise RateLimited(f"{platform}_paced", retry_after=max(bucket.seconds_until(1), 0.001))
