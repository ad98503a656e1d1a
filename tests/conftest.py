"""Fixtures that more than one tier uses: a real redis-server (or a Redis Cluster), the
Slack stand-in, the app serving HTTP on loopback, an SMTP server, stand-ins for PagerDuty
and a webhook receiver; and the tiers' rule (``tests.support.tiers``): a test file
outside every tier's folder is refused, and ``-m`` naming tiers collects only their
folders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from redis.asyncio import Redis

from bot.adapters.redis_time import RedisTime as Clock
from bot.bootstrap import open_runtime
from bot.sandbox.standin import BOT_USER, SlackStandIn
from tests.support import tiers
from tests.support.cluster import Cluster, start_cluster
from tests.support.desk import RunningApp, serving, settings_for
from tests.support.hooks_standin import PagerDuty, Receiver
from tests.support.servers import RedisServer, SmtpSink, smtp_sink_running, start_redis
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    LEAD,
    STAFF,
    STAFF_2,
    TRIAGE,
)

settings.register_profile("quick", max_examples=5)
"""Hypothesis's properties with a twentieth of their examples: ``./scripts/test`` with
arguments (the quick loop) runs with it; its whole run with each property's own count."""


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.parent == tiers.TESTS and collection_path.name in tiers.unselected(
            config.option.markexpr):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.interleaved(items)
    if stray := tiers.outside(items):
        raise pytest.UsageError(
            f"{', '.join(stray)}: a test file goes in the folder of its tier "
            f"({', '.join(f'tests/{t}' for t in tiers.TIERS)}); see tests/support/tiers.py")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> AsyncIterator[str]:
    r = Redis.from_url(redis_server.url)
    await r.flushall()
    await r.aclose()
    yield redis_server.url


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A real Redis Cluster (three masters with a replica each), one for the test module."""
    started = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield started
    started.stop()


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn()
    for user in (STAFF, STAFF_2, AM, LEAD):
        standin.add_user(user)
    standin.add_user(GUEST, is_restricted=True)
    standin.add_user(EXTERNAL, team_id="T0OTHER001")
    standin.add_user(CLIENT_USER, team_id="T0OTHER001")
    standin.add_user(BOT_USER, is_bot=True)
    standin.add_channel(TRIAGE, "support-triage")
    standin.add_channel(CLIENT_CHANNEL, "acme-support")
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
def clock() -> Clock:
    """The app's clock: tests move it forward (``advance``) instead of sleeping."""
    return Clock()


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's settings."""
    return {}


@pytest.fixture
async def app(slack: SlackStandIn, redis_url: str, clock: Clock,
              settings_extra: dict[str, Any]) -> AsyncIterator[RunningApp]:
    """The app serving HTTP on loopback with its worker running, as ``serve`` runs it."""
    async with open_runtime(settings_for(slack, redis_url, **settings_extra), redis_url,
                            clock) as runtime, serving(runtime, slack) as running:
        yield running


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with smtp_sink_running() as sink:
        yield sink


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDuty]:
    """A stand-in for PagerDuty's Events API v2, on loopback."""
    pager = PagerDuty()
    await pager.start("/v2/enqueue")
    yield pager
    await pager.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook receiver that checks signatures, on loopback."""
    hooks = Receiver()
    await hooks.start()
    yield hooks
    await hooks.stop()
