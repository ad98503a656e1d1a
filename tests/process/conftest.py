"""The desk as real processes (``-m process``): ``python -m bot serve``, ``worker``, the
command line and the sandbox, started as an operator starts them, against the Slack
stand-in and a real redis-server; and the benchmarks' smoke runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Runtime, open_runtime
from bot.sandbox.standin import SlackStandIn
from tests.support import tiers
from tests.support.desk import register_client, settings_for
from tests.support.hooks_standin import PagerDuty
from tests.support.once import LEASE, PLANS, SLOW_PLANS
from tests.support.servers import SmtpSink


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDuty]:
    """A stand-in for PagerDuty's Events API v2, on loopback."""
    pager = PagerDuty()
    await pager.start("/v2/enqueue")
    yield pager
    await pager.stop()


@pytest.fixture
def plans() -> str:
    """The desk's ``PLANS`` (parametrize to change them)."""
    return PLANS


@pytest.fixture
async def desk(slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink, plans: str
               ) -> AsyncIterator[Runtime]:
    """The desk without a worker of its own: the workers under test are processes."""
    async with open_runtime(settings_for(slack, redis_url, plans=plans,
                                         smtp_url=f"smtp://127.0.0.1:{smtp_sink.port}",
                                         warn_at=0.5 if plans == SLOW_PLANS else 0.75,
                                         job_lease_seconds=LEASE, intake_limit=1000),
                            redis_url) as runtime:
        await register_client(runtime, name="Acme")
        yield runtime
