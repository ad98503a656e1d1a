"""The fast tier (``-m unit``): the domain, the services, listeners and effect handlers on the
in-memory fakes, renderers, and adapters against a loopback stand-in; no redis-server, no
subprocess, no app serving HTTP: milliseconds a test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import tiers
from tests.support.services import World, make_world


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)


@pytest.fixture
def world_settings() -> dict[str, Any]:
    """``w``'s settings beyond the defaults (override in a test module, or parametrize)."""
    return {}


@pytest.fixture
def w(world_settings: dict[str, Any]) -> World:
    """The services on the in-memory fakes, wired as ``bot.bootstrap`` wires them."""
    return make_world(**world_settings)
