"""The arq side of the burst comparison: the same warning (a DM to the account manager and
a note in the triage thread) as an arq deferred job, against the same stand-in."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from arq.connections import RedisSettings
from slack_sdk.web.async_client import AsyncWebClient

from bot.notify import marker


async def startup(ctx: dict[str, Any]) -> None:
    ctx["slack"] = AsyncWebClient(token="xoxb-test-token", base_url=os.environ["SLACK_API_URL"])


async def warn(ctx: dict[str, Any], key: str, manager: str, triage: str, thread: str) -> None:
    slack: AsyncWebClient = ctx["slack"]
    await slack.chat_postMessage(channel=manager, text=f"{key}: 15 min left",
                                 metadata=marker(key, "warning:arq/dm"))
    await slack.chat_postMessage(channel=triage, thread_ts=thread, text=f"{key}: warned",
                                 metadata=marker(key, "warning:arq/triage"))


class WorkerSettings:
    functions: ClassVar[list[Any]] = [warn]
    on_startup = startup
    redis_settings = RedisSettings.from_dsn(os.environ.get("REDIS_URL", "redis://localhost"))
    max_jobs = int(os.environ.get("ARQ_MAX_JOBS", "32"))
