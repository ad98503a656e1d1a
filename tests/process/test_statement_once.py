"""A monthly statement reaches its account manager exactly once: armed by several sweeps,
its worker process killed with SIGKILL after Slack took the summary, or the CSV, but
before the job was done; another worker takes it over and finishes, posting nothing
twice."""

from __future__ import annotations

import asyncio
import signal

import pytest

from bot.bootstrap import Runtime
from bot.domain.jobs import Armed, ReportDM
from bot.domain.periods import month_of
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from bot.services.reports import STATEMENT_TTL
from tests.support.once import LEASE, worker_env
from tests.support.processes import bot_process
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, CLIENT_CHANNEL

DM = dm_channel(AM)


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
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink, method: str,
        channel: str) -> None:
    gate = slack.gates[(method, channel)] = asyncio.Event()
    assert await arm_statement(desk)
    assert not await arm_statement(desk)  # a second sweep, another worker: armed once
    env = worker_env(slack, redis_url, smtp_sink)
    async with bot_process("worker", env=env) as first:
        await slack.wait_for(lambda: slack.held, timeout=15)  # Slack has it; no answer yet
        first.send_signal(signal.SIGKILL)
        await first.wait()
        del slack.gates[(method, channel)]
        gate.set()
        async with bot_process("worker", env=env):
            await slack.wait_for(lambda: [m for m in slack.posts(DM) if m.files], timeout=20)
            await asyncio.sleep(LEASE + 1)  # anything doubled would show by then
    summaries = [m for m in slack.posts(DM) if m.thread_ts is None]
    assert len(summaries) == 1 and "Monthly statement" in summaries[0].text
    shared = [f for m in slack.posts(DM, summaries[0].ts) for f in m.files]
    assert len(shared) == 1 and shared[0]["name"].endswith(".csv")
    assert slack.files[shared[0]["id"]].content.startswith(b"client,severity,tickets")
