"""The registry of effect handlers: every job kind has exactly one handler in the registry
the composition root builds, and the registry refuses a second."""

from __future__ import annotations

import aiohttp
import pytest

from bot.adapters.redis_time import RedisTime
from bot.bootstrap import build, redis_client
from bot.config import load_settings
from bot.delivery.job_run import Run
from bot.delivery.registry import Registry
from bot.domain.jobs import Job, JobKind, ProblemNote, ReminderDM, Role, SyncCard
from bot.domain.sla import Step


async def test_every_job_kind_has_exactly_one_handler() -> None:
    settings = load_settings(_env_file=None, slack_bot_token="xoxb-x", triage_channel="C0TRIAGE01")
    # Building the desk talks to neither Redis nor Slack: an address nobody answers at does.
    redis = redis_client(settings, "redis://127.0.0.1:9")
    try:
        async with aiohttp.ClientSession() as http:
            registry = build(settings, redis, RedisTime(), http).worker.registry
    finally:
        await redis.aclose()
    assert registry.kinds() == frozenset(JobKind)
    dm = ReminderDM(ticket=1001, step=Step.BREACH, generation=1, user="U0LEAD0001",
                    role=Role.HEAD_OF_SUPPORT)
    [note] = registry.consequences(dm, "user_disabled")
    assert isinstance(note, ProblemNote) and note.recipient == "U0LEAD0001"
    assert registry.consequences(note, "channel_not_found") == []


async def nothing(job: Job, run: Run) -> None:
    """A handler that is never run here."""


def test_the_registry_refuses_a_second_handler_for_a_job_kind() -> None:
    registry = Registry()
    registry.add({JobKind.SYNC_CARD: nothing})
    with pytest.raises(ValueError, match="two handlers for sync_card"):
        registry.add({JobKind.SYNC_CARD: nothing, JobKind.SYNC_TRIAGE: nothing})
    with pytest.raises(ValueError, match="not beside its handler"):
        registry.add({JobKind.POST_TRIAGE: nothing},
                     {JobKind.SYNC_CARD: lambda job, error: [SyncCard(ticket=job.ticket)]})
