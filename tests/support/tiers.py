"""The test suite's tiers: each is a folder of ``tests/`` whose tests all carry its marker
(``unit``, ``redis``, ``app``, ``process``), so ``pytest -m unit`` runs the fast tier.

Where a test file goes is decided by the slowest thing it starts:

- ``process``: a real ``python -m bot`` (or ``python -m bench.…``) subprocess;
- ``app``: the app in this process serving HTTP on loopback (the ``app`` fixture,
  ``serving``), driven by signed requests, with the Slack stand-in;
- ``redis``: a real ``redis-server`` (the ``redis_url`` fixture, ``start_redis``, a
  cluster) and nothing above;
- ``unit``: none of these: the domain, the services, listeners and effect handlers on the
  in-memory fakes, renderers, and adapters against a loopback stand-in (Slack, SMTP):
  milliseconds a test.

A file whose tests start different things is split along that line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
TIERS = ("unit", "redis", "app", "process")
_WORDS = frozenset((*TIERS, "and", "or", "not"))


def mark(items: list[pytest.Item], folder: Path) -> None:
    """Mark every test collected from ``folder`` (a tier's) with the tier's marker."""
    marker = getattr(pytest.mark, folder.name)
    for item in items:
        if item.path.is_relative_to(folder):
            item.add_marker(marker)


def interleaved(items: list[pytest.Item]) -> None:
    """Order ``items`` by their file's name across the tiers (keeping each file's order),
    as they ran in one folder: four at a time (``-n 4``) on two cores, the tests that start
    processes run beside ones in the test's process rather than all at once."""
    items.sort(key=lambda item: item.path.name)


def _tier(item: pytest.Item) -> str | None:
    if not item.path.is_relative_to(TESTS):
        return None
    return item.path.relative_to(TESTS).parts[0]


def outside(items: list[pytest.Item]) -> list[str]:
    """The test files of ``items`` that are in no tier's folder."""
    return sorted({str(item.path.relative_to(TESTS)) for item in items
                   if item.path.is_relative_to(TESTS) and _tier(item) not in TIERS})


def unselected(markexpr: str) -> frozenset[str]:
    """The tiers that ``-m markexpr`` cannot select, when it names tiers only (``unit``,
    ``not process``, ``redis or app``): their folders need not even be collected."""
    if not re.fullmatch(r"[a-z()\s]+", markexpr) or not set(
            re.findall(r"[a-z]+", markexpr)) <= _WORDS:
        return frozenset()
    try:
        return frozenset(tier for tier in TIERS if not eval(
            markexpr, {"__builtins__": {}}, {name: name == tier for name in TIERS}))
    except SyntaxError:
        return frozenset()  # pytest says what is wrong with it
