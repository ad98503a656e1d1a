"""A post whose bookkeeping was interrupted: Slack has the message, the desk has not
recorded where it is. Whatever happened meanwhile, the post ends showing the ticket's
latest state, and nothing said in its thread is lost.

Each fault is injected at one step: Slack keeps a post and its answer is lost, or a
post is held on its way, while the ticket's clock is moved past its deadline. (A worker
killed mid-post: ``tests/process``; the rule on the fakes: ``tests/unit``.)
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from bot.sandbox.records import dm_channel
from bot.sandbox.standin import Message
from tests.support.desk import RunningApp, advance, armed, drained, register_client, ticket
from tests.support.flows import find_post, staff_reply, text_of, triage_post
from tests.support.once import BREACH_AT, MINUTE_PLANS, open_tickets
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, TRIAGE


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"plans": json.dumps(MINUTE_PLANS), "job_lease_seconds": 120}


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
    # The post found again is redrawn: it shows the breach (within the wait's time).
    await slack.wait_for(lambda: "BREACHED" in text_of(post))
    await drained(app.runtime)
    stored = await ticket(app.runtime, number)
    assert post.ts in (stored.client_ts, stored.triage_ts)
    assert len([m for m in slack.posts(channel) if f"T-{number} " in m.text
                and m.thread_ts is None]) == 1


async def test_a_staff_reply_under_a_card_not_yet_recorded_is_the_response(
        app: RunningApp) -> None:
    slack = app.slack
    await register_client(app.runtime)
    # Slack has the card, but its answer is still on the way: the desk does not know it.
    held = slack.gates[("chat.postMessage", CLIENT_CHANNEL)] = asyncio.Event()
    try:
        key, = await open_tickets(app.runtime, 1)
        card: Message = await slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, key))
        await slack.wait_for(lambda: slack.held)
        assert await staff_reply(app, card, "EvUnderCard1") == 200
        number = int(key.removeprefix("T-"))
        answered = await ticket(app.runtime, number)
        assert answered.first_response_at is not None and answered.client_ts == card.ts
    finally:
        del slack.gates[("chat.postMessage", CLIENT_CHANNEL)]
        held.set()
    await drained(app.runtime)
    await advance(app.runtime, BREACH_AT)
    await drained(app.runtime)
    assert slack.posts(dm_channel(AM)) == [] and slack.posts(dm_channel(LEAD)) == []
    assert "responded" in text_of(await triage_post(app, number))
    assert "responded" in text_of(card)
    assert len([m for m in slack.posts(CLIENT_CHANNEL) if m.text.startswith(key)]) == 1
