"""The fast tier (``-m unit``): the domain, the services, listeners and effect handlers on the
in-memory fakes, renderers, and adapters against a loopback stand-in; no redis-server, no
subprocess, no app serving HTTP: milliseconds a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import tiers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)

