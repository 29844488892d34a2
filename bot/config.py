"""The one configuration object, read from the environment and an optional `.env`."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SHIPPED_PLAN = (
    Path(__file__).resolve().parent.parent / "schedules" / "plans" / "ntnu-ark-2023-2025.yaml"
)
DEFAULT_DATABASE_URL = "sqlite:///arkbot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    plan: Path = Field(default=SHIPPED_PLAN, alias="ARKBOT_PLAN")
    timezone: str = Field(default="Europe/Oslo", alias="ARKBOT_TIMEZONE")
    default_locale: str = Field(default="nb", alias="ARKBOT_LOCALE")
    # auto: Slack and/or Teams as their credentials are set, else the console.
    transport: str = Field(default="auto", alias="ARKBOT_TRANSPORT")

    send_window_start: time = Field(default=time(9, 0), alias="ARKBOT_SEND_WINDOW_START")
    send_window_end: time = Field(default=time(15, 0), alias="ARKBOT_SEND_WINDOW_END")
    # "MM-DD/MM-DD", e.g. "07-01/08-10"; empty means no summer break.
    summer_break: str = Field(default="", alias="ARKBOT_SUMMER_BREAK")

    reminder_offsets: Annotated[list[int], NoDecode] = Field(
        default=[14, 3, 0], alias="ARKBOT_REMINDER_OFFSETS"
    )
    escalation_after_days: int = Field(default=3, alias="ARKBOT_ESCALATION_AFTER_DAYS")
    checkin_interval_days: int = Field(default=28, alias="ARKBOT_CHECKIN_INTERVAL_DAYS")
    optional_per_day: int = Field(default=1, alias="ARKBOT_OPTIONAL_PER_DAY")
    optional_per_week: int = Field(default=3, alias="ARKBOT_OPTIONAL_PER_WEEK")

    # Tell a unit's employees when an action from their follow-up meeting is done.
    you_said_we_did: bool = Field(default=True, alias="ARKBOT_YOU_SAID_WE_DID")

    # Pulse results are shown for groups of at least this many people; never fewer than 3.
    pulse_min_group: int = Field(default=5, alias="ARKBOT_PULSE_MIN_GROUP")
    # Finished delivery rows (who was sent what, when) are deleted after this many months.
    delivery_retention_months: int = Field(default=18, alias="ARKBOT_DELIVERY_RETENTION_MONTHS")

    planner_horizon_hours: int = Field(default=36, alias="ARKBOT_PLANNER_HORIZON_HOURS")
    planner_interval_seconds: int = Field(default=60, alias="ARKBOT_PLANNER_INTERVAL_SECONDS")
    sender_interval_seconds: int = Field(default=5, alias="ARKBOT_SENDER_INTERVAL_SECONDS")
    sender_concurrency: int = Field(default=8, alias="ARKBOT_SENDER_CONCURRENCY")
    max_attempts: int = Field(default=6, alias="ARKBOT_MAX_ATTEMPTS")
    lease_seconds: int = Field(default=120, alias="ARKBOT_LEASE_SECONDS")
    # Slack's documented chat.postMessage tier allows bursts well above this; we stay under it.
    rate_per_minute: int = Field(default=300, alias="ARKBOT_RATE_PER_MINUTE")
    rate_burst: int = Field(default=20, alias="ARKBOT_RATE_BURST")

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # The workspace the bot serves; requests from another are refused. Empty: from auth.test.
    slack_team_id: str | None = Field(default=None, alias="SLACK_TEAM_ID")
    port: int = Field(default=3000, alias="PORT")
    # Processes answering HTTP on $PORT (clicks are CPU-bound Python); 0: one per CPU, ≤ 4.
    web_processes: int = Field(default=0, ge=0, le=64, alias="ARKBOT_WEB_PROCESSES")

    # Microsoft Teams (the Bot Framework app registration). The SDK reads the same names.
    teams_app_id: str | None = Field(default=None, alias="CLIENT_ID")
    teams_app_password: SecretStr | None = Field(default=None, alias="CLIENT_SECRET")
    teams_tenant_id: str | None = Field(default=None, alias="TENANT_ID")
    teams_service_url: str = Field(
        default="https://smba.trafficmanager.net/teams/", alias="TEAMS_SERVICE_URL"
    )
    teams_openid_metadata_url: str | None = Field(default=None, alias="TEAMS_OPENID_METADATA_URL")
    # Teams allows 50 requests a second per app and tenant; 7 a second per conversation.
    teams_rate_per_second: int = Field(default=50, alias="ARKBOT_TEAMS_RATE_PER_SECOND")
    # Where a person known on both platforms (and preferring neither) gets their nudges.
    default_platform: str = Field(default="slack", alias="ARKBOT_DEFAULT_PLATFORM")
    # Before resending a delivery whose sender died mid-send, look in the bot's DM history
    # (conversations.history, needs the im:history scope) whether it already arrived.
    slack_history_check: bool = Field(default=True, alias="ARKBOT_SLACK_HISTORY_CHECK")
    # Keep the rate budget per workspace in the database, shared by every instance.
    shared_rate_limit: bool = Field(default=True, alias="ARKBOT_SHARED_RATE_LIMIT")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("pulse_min_group")
    @classmethod
    def _never_below_three(cls, value: int) -> int:
        if value < 3:
            raise ValueError("pulse results need groups of at least 3 people (5 is the default)")
        return value

    @field_validator("delivery_retention_months")
    @classmethod
    def _positive_months(cls, value: int) -> int:
        if value < 1:
            raise ValueError("keep delivery logs for at least 1 month")
        return value

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _offsets(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip().strip("[]")
            try:
                return [int(part) for part in text.split(",") if part.strip()]
            except ValueError:
                raise ValueError(
                    f"{value!r}: write working days before the deadline, e.g. 14,3,0"
                ) from None
        return value

    @field_validator("default_platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("slack", "teams"):
            raise ValueError(f"{value!r}: ARKBOT_DEFAULT_PLATFORM is slack or teams")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
