"""The desk as real processes (``-m process``): ``python -m bot serve``, ``worker``, the
command line and the sandbox, started as an operator starts them, against the Slack
stand-in and a real redis-server; and the benchmarks' smoke runs. Fixtures: ``served``
(``serve_env``), ``desk`` (``plans``) for the workers under test, and ``sandbox``
(``sandbox_args``, ``sandbox_env``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.bootstrap import Runtime, open_runtime
from bot.sandbox.standin import SlackStandIn
from tests.support import tiers
from tests.support.desk import register_client, settings_for
from tests.support.dovecot import Dovecot, start_dovecot
from tests.support.once import LEASE, PLANS, SLOW_PLANS
from tests.support.processes import Served, serve
from tests.support.sandbox import Sandbox, sandbox_in
from tests.support.servers import SmtpSink


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark(items, Path(__file__).parent)


@pytest.fixture
def serve_env() -> dict[str, str]:
    """``served``'s environment beyond the stand-in's and Redis's (parametrize or override)."""
    return {}


@pytest.fixture
async def served(slack: SlackStandIn, redis_url: str, serve_env: dict[str, str]
                 ) -> AsyncIterator[Served]:
    """``python -m bot serve`` as a real process, with ``serve_env``."""
    async with serve(slack, redis_url, **serve_env) as running:
        yield running


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


@pytest.fixture
def sandbox_args() -> list[str]:
    """``sandbox``'s command-line arguments beyond ``--port`` and ``--dir`` (override)."""
    return []


@pytest.fixture
def sandbox_env() -> dict[str, str]:
    """``sandbox``'s environment (override): the sandbox must ignore what it says."""
    return {}


@pytest.fixture
async def sandbox(tmp_path: Path, sandbox_args: list[str], sandbox_env: dict[str, str]
                  ) -> AsyncIterator[Sandbox]:
    """``python -m bot sandbox`` in a folder of its own, stopped with Ctrl-C after the test."""
    async with sandbox_in(tmp_path / "sandbox", *sandbox_args, **sandbox_env) as running:
        yield running


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """A real Dovecot on loopback for the session (``tests.support.dovecot``)."""
    server = start_dovecot()
    yield server
    server.remove()


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Iterator[Dovecot]:
    """The session's Dovecot with an empty support mailbox, running (started again if a
    test stopped it)."""
    if dovecot_server.process is None:
        dovecot_server.start()
    dovecot_server.empty()
    yield dovecot_server
    if dovecot_server.process is None:
        dovecot_server.start()
