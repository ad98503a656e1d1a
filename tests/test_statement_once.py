"""A monthly statement reaches its account manager exactly once: armed by several sweeps,
its worker process killed with SIGKILL after Slack took the summary, or the CSV, but
before the job was done; another worker takes it over and finishes, posting nothing
twice."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from bot.bootstrap import Runtime, open_runtime
from bot.domain.jobs import Armed, ReportDM
from bot.domain.periods import month_of
from bot.sandbox.standin import SlackStandIn
from bot.services.reports import STATEMENT_TTL
from tests.cli import ROOT, bot_env
from tests.conftest import AM, CLIENT_CHANNEL, register_client, settings_for

LEASE = 2
DM = "D" + AM[1:]


@pytest.fixture
async def desk(slack: SlackStandIn, redis_url: str) -> AsyncIterator[Runtime]:
    """The desk without a worker of its own: the workers under test are processes."""
    async with open_runtime(settings_for(slack, redis_url, job_lease_seconds=LEASE),
                            redis_url) as runtime:
        await register_client(runtime, name="Acme")
        yield runtime


async def start_worker(slack: SlackStandIn, redis_url: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "worker", cwd=ROOT,
        env=bot_env(slack, redis_url, JOB_LEASE_SECONDS=str(LEASE)),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def arm_statement(desk: Runtime) -> bool:
    """Last month's statement of Acme, due now: the job each sweep arms for the 1st."""
    month = month_of(desk.clock.now(), back=1)
    ref = f"statement:{CLIENT_CHANNEL}:{month.label}"
    return await desk.store.enqueue_once(ref, STATEMENT_TTL, Armed(ReportDM(
        ref=ref, user=None, start=month.start, end=month.end, label=month.label,
        channel=CLIENT_CHANNEL)))


@pytest.mark.parametrize(("method", "channel"), [("chat.postMessage", DM),
                                                 ("files.completeUploadExternal", "")])
async def test_a_statement_survives_its_worker_killed_mid_delivery(
        desk: Runtime, slack: SlackStandIn, redis_url: str, method: str, channel: str
        ) -> None:
    gate = slack.gates[(method, channel)] = asyncio.Event()
    assert await arm_statement(desk)
    assert not await arm_statement(desk)  # a second sweep, another worker: armed once
    first = await start_worker(slack, redis_url)
    try:
        await slack.wait_for(lambda: slack.held, timeout=15)  # Slack has it; no answer yet
        first.send_signal(signal.SIGKILL)
        await first.wait()
        del slack.gates[(method, channel)]
        gate.set()
        second = await start_worker(slack, redis_url)
        try:
            await slack.wait_for(lambda: [m for m in slack.posts(DM) if m.files], timeout=20)
            await asyncio.sleep(LEASE + 1)  # anything doubled would show by then
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 15) == 0
    finally:
        if first.returncode is None:
            first.kill()
    summaries = [m for m in slack.posts(DM) if m.thread_ts is None]
    assert len(summaries) == 1 and "Monthly statement" in summaries[0].text
    shared = [f for m in slack.posts(DM, summaries[0].ts) for f in m.files]
    assert len(shared) == 1 and shared[0]["name"].endswith(".csv")
    assert slack.files[shared[0]["id"]].content.startswith(b"client,severity,tickets")
