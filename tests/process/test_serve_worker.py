"""``serve`` runs its timer loop in a child process: reminders fire from it, its metrics
show at serve's ``/metrics``, it is started again when it dies and never outlives serve."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import register_acme
from tests.support.flows import open_modal, submit
from tests.support.metrics import scrape, value
from tests.support.processes import SECONDS_PLANS, Served, open_critical, serve
from tests.support.waiting import until
from tests.support.workspace import LEAD


def _parent(pid: str) -> int | None:
    try:
        status = (Path("/proc") / pid / "status").read_text()
    except OSError:
        return None
    return next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("PPid:"))


def timer_loops(pid: int) -> list[int]:
    """The ``python -m bot worker`` processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _parent(entry.name) == pid:
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"worker" in cmdline and b"bot" in cmdline:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return not any(line.startswith("State:") and "Z" in line for line in status.splitlines())


@pytest.mark.parametrize("serve_env", [SECONDS_PLANS])
async def test_reminders_come_from_the_child_and_its_metrics_show_at_serve(
        served: Served, redis_url: str, slack: SlackStandIn) -> None:
    await until(lambda: timer_loops(served.process.pid))
    await open_critical(served, redis_url)
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage", channel=LEAD), timeout=8)
    samples = await scrape(f"{served.url}/metrics")
    # Fired by the timer loop's process, answered by serve's own: both on one page, once.
    assert value(samples, "desk_reminders_total", clock="first response", step="breach") >= 1
    assert value(samples, "desk_http_answer_seconds_count", kind="view_submission") >= 1
    async with aiohttp.ClientSession() as session, \
            session.get(f"{served.url}/metrics") as answer:
        text = await answer.text()
    assert text.count("# TYPE desk_reminders_total counter") == 1


async def test_the_timer_loop_is_started_again_and_stops_with_serve(
        slack: SlackStandIn, redis_url: str) -> None:
    async with serve(slack, redis_url) as served:
        pid = served.process.pid
        await until(lambda: timer_loops(pid))
        [first] = timer_loops(pid)
        os.kill(first, signal.SIGKILL)
        await until(lambda: timer_loops(pid) not in ([], [first]))
        [second] = timer_loops(pid)
    assert not alive(second)  # serve stopped with SIGTERM, and exited 0


async def test_the_timer_loop_dies_with_a_killed_serve(
        slack: SlackStandIn, redis_url: str) -> None:
    async with serve(slack, redis_url) as served:
        await until(lambda: timer_loops(served.process.pid))
        [child] = timer_loops(served.process.pid)
        served.process.kill()
        await served.process.wait()
    await until(lambda: not alive(child))


@pytest.mark.parametrize("serve_env", [SECONDS_PLANS])
async def test_metrics_show_the_jobs_waiting_while_the_timer_loop_does_not_answer(
        served: Served, redis_url: str) -> None:
    """A timer loop that hangs (or dies in a loop) shows at serve's /metrics: the jobs
    due pile up there, and it is counted as down, instead of a queue seen empty."""
    await until(lambda: timer_loops(served.process.pid))
    [child] = timer_loops(served.process.pid)
    os.kill(child, signal.SIGSTOP)
    try:
        await register_acme(served.slack, redis_url)
        view = await open_modal(served)
        await submit(served, view, title="Payments down", severity="Critical",
                     description="Every checkout fails.")
        await asyncio.sleep(4.5)  # the critical plan's first response is due in 4 s
        samples = await scrape(f"{served.url}/metrics")
        assert value(samples, "desk_queue_due_jobs") >= 1
        assert value(samples, "desk_queue_oldest_due_seconds") > 0
        assert value(samples, "desk_timer_loops_down") == 1
    finally:
        os.kill(child, signal.SIGCONT)
    # Answering again once it runs: it first works off the jobs that piled up, which takes
    # a few seconds while other tests load the machine.
    for _ in range(150):
        samples = await scrape(f"{served.url}/metrics")
        if value(samples, "desk_timer_loops_down") == 0:
            break
        await asyncio.sleep(0.1)
    assert value(samples, "desk_timer_loops_down") == 0
