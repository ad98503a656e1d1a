"""Watching client messages on the real ``python -m bot serve``: a client writes in their
shared channel, and the ticket, its card, its clock and its warning follow."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.bootstrap import open_runtime
from bot.sandbox.standin import SlackStandIn
from tests.support.cli import register_acme
from tests.support.desk import settings_for, ticket
from tests.support.flows import (
    buttons,
    card_in_thread,
    click,
    client_writes,
    text_of,
    triage_post,
)
from tests.support.processes import Served, serve
from tests.support.workspace import AM, CLIENT_CHANNEL, EXTERNAL, LEAD, STAFF, TRIAGE

WATCHED_CRITICAL = {"PLANS": json.dumps({"standard": {"critical": 8,
                                                      "message_severity": "critical"}}),
                    "SUPPORT_LEAD_EMAIL": "lead@vendor.example"}
"""A watched message opens a Critical ticket due in 8 s: warned at 6 s, breached at 8 s."""


async def created_at(served: Served, redis_url: str, number: int) -> float:
    async with open_runtime(settings_for(served.slack, redis_url), redis_url) as runtime:
        return (await ticket(runtime, number)).created_at


async def first_response(served: Served, redis_url: str, number: int) -> float | None:
    async with open_runtime(settings_for(served.slack, redis_url), redis_url) as runtime:
        return (await ticket(runtime, number)).first_response_at


def tickets_posted(slack: SlackStandIn) -> list[str]:
    return [m.text for m in slack.posts(TRIAGE) if m.thread_ts is None]


@pytest.mark.parametrize("serve_env", [WATCHED_CRITICAL])
async def test_a_client_message_is_a_ticket_warned_on_time_and_answered_in_its_thread(
        served: Served, redis_url: str) -> None:
    await register_acme(served.slack, redis_url)
    await client_writes(served, "thanks!", event_id="EvWatch0001")
    await client_writes(served, "grazie mille", event_id="EvWatch0002")
    asked = await client_writes(served, "Videos stopped playing on Android since this "
                                "morning", event_id="EvWatch0003")
    triage = await triage_post(served, 1001)
    assert "From a message" in text_of(triage) and "Not a request" in buttons(triage)
    assert "Videos stopped playing on Android since this morning" in text_of(triage)
    card = await served.slack.wait_for(lambda: card_in_thread(served, asked))
    assert "T-1001" in text_of(card) and "Critical" in text_of(card)
    created = await created_at(served, redis_url, 1001)
    assert created == pytest.approx(float(asked), abs=1.0)

    await asyncio.sleep(2)
    follow_up = await client_writes(served, "It fails on iOS too", event_id="EvWatch0004")
    note = await served.slack.wait_for(lambda: [
        m for m in served.slack.posts(TRIAGE, triage.ts) if "Follow-up from" in m.text])
    assert "It fails on iOS too" in text_of(note[0])

    warning = (await served.slack.wait_for(
        lambda: served.slack.calls_to("chat.postMessage", channel=AM), timeout=10))[0]
    assert 0 <= warning.at - (created + 6) <= 1.5
    # An engineer answers in the thread of the follow-up: the response to T-1001.
    reply = await served.client.event(
        {"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF, "text": "Looking now",
         "ts": f"{time.time():.6f}", "thread_ts": follow_up}, event_id="EvWatch0005")
    assert reply.status == 200
    assert await first_response(served, redis_url, 1001) is not None
    await asyncio.sleep(max(0.0, created + 9 - time.time()))
    assert served.slack.calls_to("chat.postMessage", channel=LEAD) == []
    assert len(served.slack.calls_to("chat.postMessage", channel=AM)) == 1
    assert len(tickets_posted(served.slack)) == 1  # thanks, grazie, the follow-up: none


@pytest.mark.parametrize("serve_env", [{"PLANS": json.dumps(
    {"standard": {"critical": 10, "message_severity": "critical"}})}])
async def test_not_a_request_stops_the_clock_and_a_later_message_makes_it_one_again(
        served: Served, redis_url: str) -> None:
    await register_acme(served.slack, redis_url)
    asked = await client_writes(served, "We moved offices, new address below",
                                event_id="EvWatch0101")
    triage = await triage_post(served, 1001)
    await served.slack.wait_for(lambda: card_in_thread(served, asked))
    status, _ = await click(served, triage, "Not a request", user=STAFF)
    assert status == 200
    await served.slack.wait_for(lambda: card_in_thread(served, asked) is None)
    await served.slack.wait_for(lambda: "Closed as not a request" in text_of(triage))
    assert "Claim" not in buttons(triage)
    created = await created_at(served, redis_url, 1001)
    # Past the warning (7.5 s) and the breach (10 s) it would have had: neither comes.
    await asyncio.sleep(max(0.0, created + 10.5 - time.time()))
    assert served.slack.calls_to("chat.postMessage", channel=AM) == []

    await client_writes(served, "Actually the invoices page fails since the move",
                        event_id="EvWatch0102", thread_ts=asked)
    await served.slack.wait_for(lambda: card_in_thread(served, asked))
    await served.slack.wait_for(lambda: "Claim" in buttons(triage))
    assert await created_at(served, redis_url, 1001) > created
    await served.slack.wait_for(
        lambda: served.slack.calls_to("chat.postMessage", channel=AM), timeout=15)


async def test_a_retry_and_two_processes_make_one_ticket_and_a_number_lands_on_it(
        slack: SlackStandIn, redis_url: str) -> None:
    await register_acme(slack, redis_url)
    async with serve(slack, redis_url) as one, serve(slack, redis_url) as two:
        text = "Payments fail at checkout for every card"
        ts = slack.add_message(CLIENT_CHANNEL, EXTERNAL, text)
        # Slack delivers the event to both processes at once, then again (a retry), and
        # the same message comes under another event id too.
        await asyncio.gather(*(
            client_writes(app, text, event_id=event_id, user=EXTERNAL, ts=ts,
                          retry_num=retry)
            for app, event_id, retry in [(one, "EvWatch0201", None),
                                         (two, "EvWatch0201", None),
                                         (one, "EvWatch0201", 1),
                                         (two, "EvWatch0202", None)]))
        await triage_post(one, 1001)
        await slack.wait_for(lambda: card_in_thread(one, ts))
        naming = await client_writes(two, "Any news on T-1001? Still failing",
                                     event_id="EvWatch0203")
        relayed = await slack.wait_for(lambda: [
            m for m in slack.posts(CLIENT_CHANNEL, ts) if "about T-1001" in m.text])
        assert "Still failing" in text_of(relayed[0])
        assert await slack.wait_for(lambda: card_in_thread(one, ts))
        await asyncio.sleep(1.5)
        assert len(tickets_posted(slack)) == 1
        assert len([m for m in slack.posts(CLIENT_CHANNEL, ts) if m.text.startswith("T-1001")
                    ]) == 1
        assert card_in_thread(one, naming) is None
