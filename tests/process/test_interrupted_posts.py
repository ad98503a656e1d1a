"""A post whose bookkeeping was interrupted with the workers as processes: a staff reply
under the card of a worker killed mid-post is the ticket's response, and the card is not
posted twice."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from bot.bootstrap import Runtime
from bot.sandbox.standin import Message, SlackStandIn
from tests.support.desk import serving, ticket
from tests.support.flows import find_post, staff_reply, text_of
from tests.support.once import open_tickets, worker_env
from tests.support.processes import bot_process
from tests.support.servers import SmtpSink
from tests.support.workspace import CLIENT_CHANNEL, TRIAGE


@pytest.mark.parametrize("plans", [json.dumps({"standard": {"critical": 300}})])
async def test_a_staff_reply_under_the_card_of_a_worker_killed_mid_post_is_the_response(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink,
        plans: str) -> None:
    env = worker_env(slack, redis_url, smtp_sink, plans)
    gate = slack.gates[("chat.postMessage", CLIENT_CHANNEL)] = asyncio.Event()
    key, = await open_tickets(desk, 1)
    number = int(key.removeprefix("T-"))
    async with serving(desk, slack, worker=False) as app:
        try:
            async with bot_process("worker", env=env) as first:
                await slack.wait_for(lambda: slack.held, timeout=20)  # Slack has the card
                first.send_signal(signal.SIGKILL)  # and the worker that posted it is gone
                await first.wait()
        finally:
            del slack.gates[("chat.postMessage", CLIENT_CHANNEL)]
            gate.set()
        card = find_post(app, CLIENT_CHANNEL, key)
        assert card is not None
        assert await staff_reply(app, card, "EvKilled001") == 200
        assert (await ticket(desk, number)).first_response_at is not None
        async with bot_process("worker", env=env):
            triage: Message = await slack.wait_for(lambda: find_post(app, TRIAGE, key),
                                                   timeout=20)
            await slack.wait_for(lambda: "responded" in text_of(triage)
                                 and "responded" in text_of(card))
    assert len([m for m in slack.posts(CLIENT_CHANNEL) if m.text.startswith(key)]) == 1
