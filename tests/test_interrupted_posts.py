"""A post whose bookkeeping was interrupted: Slack has the message, the desk has not
recorded where it is. Whatever happened meanwhile, the post ends showing the ticket's
latest state, and nothing said in its thread is lost.

Each fault is injected at one step: Slack keeps a post and its answer is lost, or a
post is held on its way, while the ticket's clock is moved past its deadline.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.bootstrap import Runtime
from bot.domain.identity import Identity
from bot.sandbox.standin import BOT_USER, Message, SlackStandIn
from bot.services.staff import Actor
from tests.conftest import (
    AM,
    CLIENT_CHANNEL,
    LEAD,
    STAFF_2,
    TRIAGE,
    RunningApp,
    SmtpSink,
    advance,
    armed,
    drained,
    register_client,
    serving,
    ticket,
)
from tests.flows import Driven, find_post, text_of, triage_post
from tests.once import dm_channel, open_tickets
from tests.test_exactly_once import desk, plans, start_worker, worker_env
from tests.test_faults import BREACH_AT, PLANS
from tests.test_services import BOT, CLIENT, OTHER_CLIENT, STAFF, VENDOR, make_world, read
from tests.test_services import open_ticket as open_on_fakes

__all__ = ["desk", "plans"]  # fixtures shared with the exactly-once tests


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


async def staff_reply(app: Driven, card: Message, event_id: str) -> int:
    """An engineer answers in the thread of the ticket's card, as Slack tells it."""
    response = await app.client.event({
        "type": "message", "channel": card.channel, "user": STAFF_2, "text": "On it",
        "ts": f"{time.time():.6f}", "thread_ts": card.ts, "parent_user_id": BOT_USER},
        event_id=event_id)
    return response.status


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


@pytest.mark.parametrize("plans", [json.dumps({"standard": {"critical": 300}})])
async def test_a_staff_reply_under_the_card_of_a_worker_killed_mid_post_is_the_response(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink,
        plans: str) -> None:
    env = worker_env(slack, redis_url, smtp_sink, plans)
    gate = slack.gates[("chat.postMessage", CLIENT_CHANNEL)] = asyncio.Event()
    key, = await open_tickets(desk, 1)
    number = int(key.removeprefix("T-"))
    async with serving(desk, slack, worker=False) as app:
        first = await start_worker(env)
        try:
            await slack.wait_for(lambda: slack.held, timeout=20)  # Slack has the card
            first.send_signal(signal.SIGKILL)  # and the worker that posted it is gone
            await first.wait()
        finally:
            if first.returncode is None:
                first.kill()
            del slack.gates[("chat.postMessage", CLIENT_CHANNEL)]
            gate.set()
        card = find_post(app, CLIENT_CHANNEL, key)
        assert card is not None
        assert await staff_reply(app, card, "EvKilled001") == 200
        assert (await ticket(desk, number)).first_response_at is not None
        second = await start_worker(env)
        try:
            triage: Message = await slack.wait_for(lambda: find_post(app, TRIAGE, key),
                                                   timeout=20)
            await slack.wait_for(lambda: "responded" in text_of(triage)
                                 and "responded" in text_of(card))
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 15) == 0
    assert len([m for m in slack.posts(CLIENT_CHANNEL) if m.text.startswith(key)]) == 1


@dataclass
class SlackCards:
    """Slack's copy of the desk's cards, as the services ask of it: which ticket's card a
    message is (channel, ts -> ticket key)."""

    cards: dict[tuple[str, str], str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def identity(self) -> Identity:
        return Identity(VENDOR, BOT, "https://vendor.slack.com/")

    async def card_at(self, channel: str, ts: str) -> str | None:
        self.asked.append(ts)
        return self.cards.get((channel, ts))


async def test_only_a_card_of_the_threads_own_ticket_makes_a_reply_its_response() -> None:
    w, slack = make_world(), SlackCards()
    w.tickets.cards = slack
    n = await open_on_fakes(w)
    elsewhere = await open_on_fakes(w, channel=OTHER_CLIENT)
    slack.cards = {(CLIENT, "1.000001"): f"T-{n}", (CLIENT, "1.000002"): f"T-{elsewhere}"}

    async def reply(thread: str, parent: str | None = BOT) -> bool:
        return await w.tickets.record_reply(channel=CLIENT, thread_ts=thread,
                                            ts="1.000009", actor=Actor(STAFF), parent=parent)

    assert not await reply("1.000001", parent=STAFF)  # under a person's message: no card
    assert slack.asked == []
    assert not await reply("1.000002")  # the card of a ticket of another channel
    assert not await reply("1.000003")  # a message of the app's that is no card
    assert (await read(w, n)).first_response_at is None
    assert await reply("1.000001", parent=None)  # (Slack did not say who started it)
    assert (await read(w, n)).client_ts == "1.000001"
    assert await w.store.ticket_for_thread(CLIENT, "1.000001") == n
