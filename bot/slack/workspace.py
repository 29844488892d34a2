"""Which Slack workspace this bot serves: `SLACK_TEAM_ID` when set, else what `auth.test`
says for the bot token (asked once, lazily, so the app starts while Slack is unreachable)."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("arkbot.slack")
RETRY_SECONDS = 60.0


class SlackTeam:
    def __init__(self, client: WebClient, team_id: str | None = None) -> None:
        self._client = client
        self._team = team_id or None
        self._lock = threading.Lock()
        self._next_try = 0.0

    def __call__(self) -> str | None:
        if self._team is not None:
            return self._team
        with self._lock:
            if self._team is None and time.monotonic() >= self._next_try:
                try:
                    team = self._client.auth_test().get("team_id")
                    self._team = str(team) if team else None
                except (SlackApiError, OSError) as error:
                    log.warning("auth.test failed (%s); the workspace is checked later", error)
                    self._next_try = time.monotonic() + RETRY_SECONDS
        return self._team
