"""A post whose bookkeeping was interrupted: Slack has the message, the desk has not
recorded where it is. Whatever happened meanwhile, the post ends showing the ticket's
latest state, and nothing said in its thread is lost.

Each fault is injected at one step: Slack keeps a post and its answer is lost, or a
post is held on its way, while the ticket's clock is moved past its deadline.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from bot.sandbox.standin import Message
from tests.conftest import (
    CLIENT_CHANNEL,
    LEAD,
    TRIAGE,
    RunningApp,
    advance,
    armed,
    drained,
    register_client,
    ticket,
)
from tests.flows import find_post, text_of
from tests.once import dm_channel, open_tickets

PLANS = {"standard": {"critical": 40, "high": 60, "medium": 80, "low": 120}}
BREACH_AT = 40


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "job_lease_seconds": 120}


async def settled(app: RunningApp, number: int, timeout: float = 10.0) -> None:
    """Wait until no redraw of the ticket's posts is waiting or running."""
    deadline = time.monotonic() + timeout
    redraws = {f"sync_triage:{number}", f"sync_card:{number}"}
    while redraws & set(await armed(app.runtime, number)):
        assert time.monotonic() < deadline, f"T-{number} still has redraws to run"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("channel", [TRIAGE, CLIENT_CHANNEL])
async def test_a_post_found_again_after_an_interruption_shows_a_breach_that_fired_meanwhile(
        app: RunningApp, channel: str) -> None:
    slack = app.slack
    await register_client(app.runtime)
    # Slack takes the post but its answer is lost: the job cannot record where it is.
    slack.fail("chat.postMessage", status=500, after_effect=True, channel=channel)
    # Its rerun looks for it, and Slack is slow to answer that.
    looked = slack.gates[("conversations.history", channel)] = asyncio.Event()
    try:
        key, = await open_tickets(app.runtime, 1)
        post: Message = await slack.wait_for(lambda: find_post(app, channel, key))
        await slack.wait_for(lambda: slack.held)
        await advance(app.runtime, BREACH_AT)  # the breach fires while the rerun looks
        await slack.wait_for(lambda: slack.posts(dm_channel(LEAD)))
        number = int(key.removeprefix("T-"))
        await settled(app, number)  # what the breach armed to redraw has run: no post yet
        assert "BREACHED" not in text_of(post)
    finally:
        del slack.gates[("conversations.history", channel)]
        looked.set()
    await drained(app.runtime)
    stored = await ticket(app.runtime, number)
    assert post.ts in (stored.client_ts, stored.triage_ts)
    assert "BREACHED" in text_of(post)
    assert len([m for m in slack.posts(channel) if f"T-{number} " in m.text
                and m.thread_ts is None]) == 1
