"""On-call paging and webhooks, end to end on the real process: each event once, in
order per ticket, signed; a receiver that fails twice still gets it once; PagerDuty's
refusal is shown in the triage thread."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.support.cli import register_acme
from tests.support.flows import click, find_post, open_modal, submit, submit_modal, triage_post
from tests.support.hooks_standin import WEBHOOK_SECRET, PagerDuty, Receiver
from tests.support.processes import Served
from tests.support.workspace import CLIENT_CHANNEL, STAFF, TRIAGE


@pytest.fixture
def serve_env(receiver: Receiver, pagerduty: PagerDuty) -> dict[str, str]:
    return {"WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PAGERDUTY_ROUTING_KEY": "R0UTINGKEY0123456789", "PAGERDUTY_URL": pagerduty.url,
            "PLANS": json.dumps({"standard": {"critical": 6, "high": 4}})}


async def open_as_staff(served: Served, severity: str, view_id: str) -> int:
    view = await open_modal(served)
    status, body = await submit(served, view, title="Checkout down", severity=severity,
                                description="Every payment fails.", view_id=view_id)
    assert status == 200 and body is not None
    number = int(body["view"]["blocks"][0]["text"]["text"].split("*")[1][2:])
    await triage_post(served, number)
    return number


async def reply(served: Served, thread_ts: str) -> None:
    await served.client.event({"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF,
                               "text": "On it", "ts": f"{time.time():.6f}",
                               "thread_ts": thread_ts}, event_id="EvPage0001")


async def test_a_critical_ticket_is_paged_and_every_event_reaches_the_webhook_once(
        served: Served, redis_url: str, receiver: Receiver, pagerduty: PagerDuty) -> None:
    await register_acme(served.slack, redis_url)
    number = await open_as_staff(served, "Critical", "V0PAGE0001")
    triage = await triage_post(served, number)
    await click(served, triage, "Claim", user=STAFF)
    client_post = await served.slack.wait_for(lambda: find_post(served, CLIENT_CHANNEL,
                                                                "T-1001"))
    await reply(served, client_post.ts)
    await served.slack.wait_for(lambda: "Resolve" in str(triage.blocks))
    await submit_modal(served, triage, "Resolve", "Resolution", "Fixed the gateway.")
    await served.slack.wait_for(lambda: len(pagerduty.events) >= 3, timeout=10)
    await served.slack.wait_for(lambda: len(receiver.events) >= 4, timeout=10)
    await asyncio.sleep(1)  # anything doubled or late would show by now
    assert [(e["event_action"], e["dedup_key"]) for e in pagerduty.events] == [
        ("trigger", "T-1001"), ("acknowledge", "T-1001"), ("resolve", "T-1001")]
    trigger = pagerduty.events[0]
    assert trigger["payload"]["severity"] == "critical"
    assert "Checkout down" in trigger["payload"]["summary"]
    assert trigger["routing_key"] == "R0UTINGKEY0123456789"
    assert [e["event"] for e in receiver.events] == ["opened", "claimed", "responded",
                                                     "resolved"]
    assert [e["seq"] for e in receiver.events] == [1, 2, 3, 4]
    assert [e["id"] for e in receiver.events] == [f"T-1001:{i}" for i in range(1, 5)]
    assert receiver.rejected == 0 and receiver.attempts == 4


async def test_a_receiver_that_fails_twice_gets_the_event_once(
        served: Served, redis_url: str, receiver: Receiver) -> None:
    receiver.fail = [500, 500]
    await open_as_staff(served, "Low", "V0PAGE0002")
    await served.slack.wait_for(lambda: receiver.events, timeout=15)
    await asyncio.sleep(1.5)
    assert [e["event"] for e in receiver.events] == ["opened"]
    assert receiver.attempts == 3 and receiver.rejected == 0


async def test_any_breach_pages_and_a_refused_page_is_shown_in_triage(
        served: Served, redis_url: str, pagerduty: PagerDuty, receiver: Receiver) -> None:
    await register_acme(served.slack, redis_url)
    pagerduty.fail = [400]
    number = await open_as_staff(served, "High", "V0PAGE0003")  # not paged when it opens
    triage = await triage_post(served, number)
    await served.slack.wait_for(lambda: pagerduty.attempts >= 1, timeout=10)  # the breach
    notes = await served.slack.wait_for(lambda: [
        m.text for m in served.slack.posts(TRIAGE, triage.ts) if "Could not send" in m.text])
    assert "breach event to the pager" in notes[0] and "400" in notes[0]
    await click(served, triage, "Claim", user=STAFF)  # later events still go
    await served.slack.wait_for(lambda: pagerduty.events, timeout=10)
    assert [e["event_action"] for e in pagerduty.events] == ["acknowledge"]
    events = [e["event"] for e in receiver.events]
    assert events[:1] == ["opened"] and "warning" in events and "breach" in events


async def test_a_refusal_whose_body_is_not_utf8_is_shown_and_later_events_still_go(
        served: Served, redis_url: str, receiver: Receiver) -> None:
    await register_acme(served.slack, redis_url)
    receiver.fail, receiver.fail_body = [400], b"\xff\xfe refus\xe9"  # Latin-1, not UTF-8
    number = await open_as_staff(served, "Low", "V0PAGE0004")
    triage = await triage_post(served, number)
    notes = await served.slack.wait_for(lambda: [
        m.text for m in served.slack.posts(TRIAGE, triage.ts) if "Could not send" in m.text])
    assert "opened event to the webhook" in notes[0] and "400" in notes[0]
    await click(served, triage, "Claim", user=STAFF)  # the ticket's later events still go
    await served.slack.wait_for(lambda: receiver.events, timeout=10)
    assert [e["event"] for e in receiver.events] == ["claimed"]
    assert receiver.attempts == 2
