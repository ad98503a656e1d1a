"""Settings: every knob of the desk, read from the environment (or ``.env``), validated at start.

A wrong value stops the start with a message that names the variable and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config.assignment import parse_away, parse_reassign_after, parse_rule, parse_shifts
from bot.config.languages import available
from bot.config.plans import parse_calendars, parse_plans
from bot.domain.mailbox import MailboxAddress, mailbox_address
from bot.domain.plans import Plan

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{6,}$")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
CLUSTER_PARTITIONS = 16

class ConfigError(Exception):
    """The configuration cannot work; the message names each setting at fault and the fix."""


class Settings(BaseSettings):
    """Every setting in the README's table; names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", validate_default=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    redis_url: str | None = None
    redis_cluster: bool = False
    redis_partitions: int | None = Field(default=None, ge=1, le=1024)
    redis_max_connections: int = Field(default=100, ge=2, le=100_000)
    triage_channel: str | None = None
    support_lead: str | None = None
    support_lead_email: str | None = None
    support_team: str | None = None
    smtp_url: SecretStr | None = None
    email_from: str | None = None
    imap_url: SecretStr | None = None
    support_email: str | None = None
    warn_at: float = 0.75
    claim_is_response: bool = False
    calendars: str = ""
    plans: str = ""
    engineering_channel: str | None = None
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    reopen_days: int = Field(default=7, ge=0)
    archive_after_days: int = Field(default=30, ge=1)
    retain_days: int = Field(default=730, ge=1)
    intake_limit: int = Field(default=10, ge=1)
    group_minutes: float = Field(default=10, ge=0, le=24 * 60)
    data_dir: Path = Path("./data")
    job_lease_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)
    port: int = Field(default=3000, ge=1, le=65535)
    log_format: str = "text"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "0.0.0.0"
    language: str = "en"
    assignment: str = "none"
    shifts: str = ""
    away_emoji: str = ":palm_tree:,:face_with_thermometer:,:airplane:"
    reassign_after: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name or ""].default
        return value.strip() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value() if value else None
        if token is None or token.startswith("xoxb-"):
            return value
        if token.startswith("xoxp-"):
            raise ValueError(
                "this is a user token (xoxp-); use the Bot User OAuth Token (xoxb-) "
                "from the app's OAuth & Permissions page"
            )
        if token.startswith("xapp-"):
            raise ValueError("this is an app-level token (xapp-): it goes in SLACK_APP_TOKEN; "
                             "SLACK_BOT_TOKEN takes the Bot User OAuth Token (xoxb-)")
        raise ValueError("must be a bot token starting with xoxb- (OAuth & Permissions page)")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp- (Basic Information "
                             "page, App-Level Tokens, scope connections:write)")
        return value

    @field_validator("pagerduty_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if info.data.get("webhook_url") and (value is None or
                                             len(value.get_secret_value()) < 16):
            raise ValueError("set WEBHOOK_SECRET (16 characters or more) with WEBHOOK_URL: "
                             "receivers check every event's signature with it")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. {DEFAULT_SLACK_API_URL}")
        return value if value.endswith("/") else value + "/"

    @field_validator("triage_channel", "engineering_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a channel ID; give the ID (C0123ABCD), found at the bottom "
                "of the channel's details in Slack, not its name"
            )
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        known = available()
        if value not in known:
            raise ValueError(f"{value!r} is not a language the desk speaks; known: "
                             f"{', '.join(known)}")
        return value

    @field_validator("support_lead")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        if value is not None and not USER_ID.match(value):
            raise ValueError(f"{value!r} is not a user ID (U0123ABCD): open the person's "
                             "profile, ⋮ menu, Copy member ID")
        return value

    @field_validator("support_lead_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("email_from")
    @classmethod
    def _email_from(cls, value: str | None) -> str | None:
        return cls._email(value)

    @field_validator("imap_url")
    @classmethod
    def _imap(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            mailbox_address(value.get_secret_value())  # raises, naming no password
        return value

    @field_validator("support_email")
    @classmethod
    def _support_email(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("imap_url") is not None:
            raise ValueError("set SUPPORT_EMAIL (the address clients write to) with IMAP_URL: "
                             "the desk answers from it and knows its own mail by it")
        return cls._email(value)

    @field_validator("support_team")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        if value is None:
            return None
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if len(ids) == 1 and USERGROUP_ID.match(ids[0]):
            return ids[0]
        bad = [i for i in ids if not USER_ID.match(i)]
        if bad or not ids:
            raise ValueError(f"give one user group ID (S0123ABCD) or user IDs separated by "
                             f"commas (U0123ABCD,U0456EFGH); not IDs: {', '.join(bad)}")
        return ",".join(ids)

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"unknown scheme {parts.scheme + '://' if parts.scheme else '(none)'};"
                             " use smtp://user:pass@host:port or smtps:// for TLS")
        if not parts.hostname:
            raise ValueError("names no host: smtp://user:pass@host:port")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError("has a port that is not a number") from None
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError(f"{value!r}: use text or json")
        return value

    @field_validator("warn_at")
    @classmethod
    def _warn_at(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError(f"{value} must be a share of the window between 0 and 1, e.g. 0.75")
        return value

    @field_validator("archive_after_days")
    @classmethod
    def _archive_after(cls, value: int, info: ValidationInfo) -> int:
        reopen = info.data.get("reopen_days")
        if isinstance(reopen, int) and reopen > value:
            raise ValueError(
                f"{value} is shorter than REOPEN_DAYS ({reopen}): a resolved ticket is archived "
                "ARCHIVE_AFTER_DAYS after its resolution and can no longer be reopened then, so "
                "REOPEN_DAYS must be at most ARCHIVE_AFTER_DAYS")
        return value

    @field_validator("retain_days")
    @classmethod
    def _retain(cls, value: int, info: ValidationInfo) -> int:
        archive_after = info.data.get("archive_after_days")
        if isinstance(archive_after, int) and value <= archive_after:
            raise ValueError(
                f"{value} is not longer than ARCHIVE_AFTER_DAYS ({archive_after}): a resolved "
                "ticket is archived ARCHIVE_AFTER_DAYS after its resolution and its archive "
                "record is kept until RETAIN_DAYS after it, so RETAIN_DAYS must be more than "
                "ARCHIVE_AFTER_DAYS")
        return value

    @field_validator("calendars")
    @classmethod
    def _calendars(cls, value: str) -> str:
        parse_calendars(value)
        return value

    @field_validator("plans")
    @classmethod
    def _plans(cls, value: str, info: ValidationInfo) -> str:
        calendars = info.data.get("calendars")
        if not isinstance(calendars, str):
            return value  # CALENDARS is wrong: that is the error to show, not its effects
        parse_plans(value, parse_calendars(calendars))
        return value

    @field_validator("assignment")
    @classmethod
    def _assignment(cls, value: str, info: ValidationInfo) -> str:
        if "support_team" in info.data:  # else SUPPORT_TEAM's own error is the one to show
            parse_rule(value, info.data["support_team"])
        return value.lower()

    @field_validator("shifts")
    @classmethod
    def _shifts(cls, value: str, info: ValidationInfo) -> str:
        calendars = info.data.get("calendars")
        if isinstance(calendars, str):
            parse_shifts(value, calendars)
        return value

    @field_validator("away_emoji")
    @classmethod
    def _away(cls, value: str) -> str:
        parse_away(value)
        return value

    @field_validator("reassign_after")
    @classmethod
    def _reassign_after(cls, value: str | None) -> str | None:
        parse_reassign_after(value)
        return value

    # -- derived views -------------------------------------------------------------------

    @property
    def partitions(self) -> int:
        """Partitions of the tickets and the queue: 16 on a cluster (spread over its
        shards), 1 on one server, unless ``REDIS_PARTITIONS`` says."""
        return self.redis_partitions or (CLUSTER_PARTITIONS if self.redis_cluster else 1)

    @property
    def plan_table(self) -> dict[str, Plan]:
        return parse_plans(self.plans, parse_calendars(self.calendars))

    @property
    def mailbox(self) -> MailboxAddress | None:
        """The support mailbox (``IMAP_URL``), if there is one."""
        return mailbox_address(self.imap_url.get_secret_value()) if self.imap_url else None

    @property
    def bot_token(self) -> str:
        if self.slack_bot_token is None:
            raise ConfigError(MISSING["SLACK_BOT_TOKEN"])
        return self.slack_bot_token.get_secret_value()

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def support_team_ids(self) -> frozenset[str]:
        """The user IDs of ``SUPPORT_TEAM`` when it is a list (a user group is resolved live)."""
        if self.support_team is None or USERGROUP_ID.match(self.support_team):
            return frozenset()
        return frozenset(self.support_team.split(","))

    @property
    def support_usergroup(self) -> str | None:
        if self.support_team is not None and USERGROUP_ID.match(self.support_team):
            return self.support_team
        return None

    def missing_for(self, command: str) -> list[str]:
        """The settings ``command`` cannot run without, each with where to find it."""
        needed = ["SLACK_BOT_TOKEN"]
        if command in ("serve", "worker", "check"):
            needed.append("TRIAGE_CHANNEL")
        if command in ("serve", "check") and not self.socket_mode:
            needed.append("SLACK_SIGNING_SECRET")
        return [MISSING[name] for name in needed if getattr(self, name.lower()) is None]


MISSING = {
    "SLACK_BOT_TOKEN": "SLACK_BOT_TOKEN is not set: install the app (created from manifest.yml) "
    "to your workspace and copy the Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
    "TRIAGE_CHANNEL": "TRIAGE_CHANNEL is not set: give the ID (C...) of the internal channel "
    "where tickets land, and invite the app there",
    "SLACK_SIGNING_SECRET": "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the "
    "app's Basic Information page (or set SLACK_APP_TOKEN, xapp-..., for Socket Mode)",
}


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings, or raise ConfigError naming each bad variable."""
    return validated(Settings, overrides)


def validated(kind: type[Settings], overrides: dict[str, Any]) -> Settings:
    """``kind`` (Settings, or a subclass that reads them elsewhere: the sandbox's) from
    ``overrides`` and its sources, or ConfigError naming each bad variable."""
    try:
        return kind(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise ConfigError("\n".join(lines)) from None
