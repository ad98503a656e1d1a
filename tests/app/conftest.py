"""The app in this process serving HTTP on loopback (``-m app``), driven by requests signed
as Slack signs them, with the Slack stand-in and a real redis-server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import tiers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)

