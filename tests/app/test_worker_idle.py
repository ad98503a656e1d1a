"""An idle worker stays connected: no false error while it waits, and a job armed during
the wait fires on time."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.domain.jobs import Armed, ReactionPrompt
from tests.support.desk import RunningApp
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER


async def test_an_idle_worker_logs_no_error_and_wakes_for_a_job_armed_meanwhile(
        app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    # Longer than redis-py's default 5 s socket timeout and than the worker's idle wait.
    await asyncio.sleep(6.5)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "The player is blank")
    due = time.time() + 1.0
    await app.runtime.store.enqueue(Armed(
        ReactionPrompt(channel=CLIENT_CHANNEL, ts=ts, by=CLIENT_USER), due))
    prompt = await app.slack.wait_for(lambda: app.slack.posts(CLIENT_CHANNEL, ts), timeout=5)
    first_call = next(c for c in app.slack.calls if c.method == "conversations.history")
    # Within 100 ms when the machine is quiet; the bound leaves room for a loaded CI box,
    # and is far below the 5 s a worker asleep in its idle wait would take.
    assert 0 <= first_call.at - due < 0.3
    assert "Open a support ticket" in prompt[0].text
