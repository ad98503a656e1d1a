"""The sandbox's settings: made here, never read from the environment or ``.env``.

So nothing a deployment configured (a webhook, PagerDuty, a real Redis or SMTP server)
can reach the network from the sandbox. Real-looking Slack tokens in the environment stop
the start unless ``--force``: whoever set them may think they are talking to Slack.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.config import Settings, validated
from bot.sandbox.workspace import (
    DESK_EMAIL,
    ENGINEERING,
    LEAD,
    LEAD_EMAIL,
    SUPPORT_EMAIL,
    TRIAGE,
)

SANDBOX_TOKEN = "xoxb-sandbox-0000-not-a-token"
"""The token the bot shows the stand-in (Settings wants the shape of a bot token)."""
REAL_TOKEN = re.compile(r"\b(xox[abposre]|xapp)-[0-9A-Za-z-]{8,}")
TOKEN_NAMES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_USER_TOKEN", "SLACK_TOKEN")
GROUP_MINUTES = 1.0
"""A client's follow-ups join their ticket within a minute (not ten), as the demo plans'
targets are minutes: a visitor who writes as Dana soon after the start, about something
else, opens a ticket of their own rather than adding to her first one."""


class SandboxSettings(Settings):
    """Settings from the arguments alone (no environment, no ``.env``)."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _dotenv(path: Path) -> dict[str, str]:
    """The ``NAME=value`` lines of a ``.env`` file (the part the bot's settings read)."""
    found: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            name, sep, value = line.strip().removeprefix("export ").partition("=")
            if sep and not name.startswith("#"):
                found[name.strip()] = value.strip().strip("'\"")
    return found


def real_tokens(env: Mapping[str, str] | None = None, dotenv: Path = Path(".env")) -> list[str]:
    """Where real-looking Slack tokens are set: ``SLACK_BOT_TOKEN`` or ``.env: SLACK_...``."""
    env = os.environ if env is None else env
    found = [name for name, value in env.items()
             if (name in TOKEN_NAMES or name.startswith("SLACK_")) and REAL_TOKEN.search(value)]
    found += [f"{dotenv}: {name}" for name, value in _dotenv(dotenv).items()
              if name.startswith("SLACK_") and REAL_TOKEN.search(value)]
    return found


def sandbox_settings(*, api_url: str, smtp_port: int, data_dir: Path,
                     plans: Mapping[str, Any], signing_secret: str | None = None) -> Settings:
    """The bot's settings in the sandbox: the stand-in, the inbox, the demo workspace (its
    support address: the clients' email goes to the sandbox's mailbox in memory)."""
    return validated(SandboxSettings, dict(
        slack_bot_token=SANDBOX_TOKEN,
        slack_signing_secret=signing_secret or secrets.token_hex(16),
        slack_api_url=api_url, redis_url=None, triage_channel=TRIAGE,
        engineering_channel=ENGINEERING, support_lead=LEAD.id, support_lead_email=LEAD_EMAIL,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}", email_from=DESK_EMAIL,
        support_email=SUPPORT_EMAIL,
        group_minutes=GROUP_MINUTES, plans=json.dumps(dict(plans)), data_dir=data_dir))
