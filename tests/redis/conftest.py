"""The adapters and the services on a real redis-server (``-m redis``): the store's
scripts, the queue, the indices, a Redis Cluster; nothing serving HTTP, no subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import tiers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)

