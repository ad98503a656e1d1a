"""The adapters and the services on a real redis-server (``-m redis``): the store's
scripts, the queue, the indices, a Redis Cluster; nothing serving HTTP, no subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.support import tiers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the test's (emptied) Redis, answering strings."""
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()
