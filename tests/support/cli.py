"""``python -m bot`` commands as an operator runs them, against the stand-in and a real
Redis: their environment, and what they print and exit with."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox.standin import SlackStandIn
from tests.support.slackreq import SIGNING_SECRET
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, TRIAGE

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


def bot_env(slack: SlackStandIn | None, redis_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "REDIS_", "TRIAGE_", "SUPPORT_", "SMTP_", "PLANS"))}
    env["PYTHONPATH"] = str(ROOT)
    if slack is not None:
        env.update({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                    "SLACK_API_URL": slack.url, "TRIAGE_CHANNEL": TRIAGE,
                    "SUPPORT_LEAD": LEAD})
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


async def run_bot(*args: str, env: dict[str, str], cwd: Path | None = None,
                  timeout: float = 30) -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd or ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return Result(process.returncode or 0, out.decode(), err.decode())



async def register_acme(slack: SlackStandIn, redis_url: str, *more: str) -> None:
    """``python -m bot clients set`` for Acme Media, as an operator runs it."""
    result = await run_bot("clients", "set", "--channel", CLIENT_CHANNEL, "--name",
                           "Acme Media", "--account-manager", AM, *more,
                           env=bot_env(slack, redis_url))
    assert result.code == 0, result.err
