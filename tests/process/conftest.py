"""The desk as real processes (``-m process``): ``python -m bot serve``, ``worker``, the
command line and the sandbox, started as an operator starts them, against the Slack
stand-in and a real redis-server; and the benchmarks' smoke runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import tiers
from tests.support.hooks_standin import PagerDuty


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDuty]:
    """A stand-in for PagerDuty's Events API v2, on loopback."""
    pager = PagerDuty()
    await pager.start("/v2/enqueue")
    yield pager
    await pager.stop()
