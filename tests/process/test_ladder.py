"""The escalation ladder as data, end to end on the real process: the account manager at
50 %, on-call paged at 90 %, the head of support at the breach and again every 2 s up to
3 times, until someone responds; a ladder edited while a ticket is open applies to it."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import register_acme
from tests.support.flows import dm_times, find_post, open_modal, submit, triage_post
from tests.support.hooks_standin import PagerDuty
from tests.support.processes import Served, serve
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, STAFF, TRIAGE

LADDER = [{"at": 0.5, "notify": ["account_manager"]},
          {"at": 0.9, "notify": ["pager"]},
          {"at": "breach", "notify": ["head_of_support"], "every": 2, "times": 3}]
PLANS = {"standard": {"high": 10, "escalation": {"high": LADDER}}}


def ladder_env(pagerduty: PagerDuty, smtp: SmtpSink, plans: object) -> dict[str, str]:
    """``serve``'s environment: ``plans``, PagerDuty and SMTP."""
    return {"PLANS": json.dumps(plans), "PAGERDUTY_URL": pagerduty.url,
            "PAGERDUTY_ROUTING_KEY": "R0UTINGKEY0123456789",
            "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "SUPPORT_LEAD_EMAIL": "lead@vendor.example"}


async def open_high(served: Served) -> float:
    """Open T-1001 and wait for its triage post; when it was submitted (the clock starts
    then, however long serve's timer loop, still starting, takes to post it)."""
    view = await open_modal(served)
    submitted = time.time()
    status, _ = await submit(served, view, title="Uploads fail", severity="High",
                             description="Every upload stops at 99%.")
    assert status == 200
    await triage_post(served, 1001)
    return submitted


async def test_a_three_step_ladder_with_re_notification(
        slack: SlackStandIn, redis_url: str, pagerduty: PagerDuty, smtp_sink: SmtpSink
) -> None:
    async with serve(slack, redis_url, **ladder_env(pagerduty, smtp_sink, PLANS)
                     ) as served:
        await register_acme(slack, redis_url)
        opened = await open_high(served)
        await slack.wait_for(lambda: len(dm_times(slack, LEAD)) >= 4, timeout=25)
        await asyncio.sleep(2.5)  # a fifth would have come by now
    [warned] = dm_times(slack, AM)
    assert 4.5 <= warned - opened <= 6.0
    # Paged at 90 % (the on-call step), and at the breach: one incident, the ticket's.
    assert [(e["event_action"], e["dedup_key"]) for e in pagerduty.events] == [
        ("trigger", "T-1001"), ("trigger", "T-1001")]
    lead = dm_times(slack, LEAD)
    assert len(lead) == 4  # at the breach, then 3 times, 2 s apart
    assert 9.5 <= lead[0] - opened <= 11.5
    gaps = [b - a for a, b in itertools.pairwise(lead)]
    assert all(1.5 <= g <= 3.0 for g in gaps), gaps
    assert len(smtp_sink.messages) == 4
    assert len({m["Message-ID"] for m in smtp_sink.messages}) == 4


async def test_re_notification_stops_the_moment_staff_responds(
        slack: SlackStandIn, redis_url: str, pagerduty: PagerDuty, smtp_sink: SmtpSink
) -> None:
    async with serve(slack, redis_url, **ladder_env(pagerduty, smtp_sink, PLANS)
                     ) as served:
        await register_acme(slack, redis_url)
        await open_high(served)
        await slack.wait_for(lambda: len(dm_times(slack, LEAD)) >= 2, timeout=20)
        client_post = find_post(served, CLIENT_CHANNEL, "T-1001")
        assert client_post is not None
        response = await served.client.event({
            "type": "message", "channel": CLIENT_CHANNEL, "user": STAFF, "text": "Fixing",
            "ts": f"{time.time():.6f}", "thread_ts": client_post.ts}, event_id="EvLadder01")
        assert response.status == 200
        await asyncio.sleep(5)  # two more re-notifications were due in this time
    assert len(dm_times(slack, LEAD)) == 2


async def test_a_ladder_edit_applies_to_open_tickets(
        slack: SlackStandIn, redis_url: str, pagerduty: PagerDuty, smtp_sink: SmtpSink
) -> None:
    slow = {"standard": {"high": 30, "escalation": {"high": LADDER}}}
    async with serve(slack, redis_url, **ladder_env(pagerduty, smtp_sink, slow)
                     ) as served:
        await register_acme(slack, redis_url)
        submitted = time.time()
        await open_high(served)
    # The next start has a new ladder: the triage channel alerted at 20 % of the window.
    edited = {"standard": {"high": 30, "escalation": {"high": [
        {"at": 0.2, "notify": [TRIAGE]}, *LADDER]}}}
    async with serve(slack, redis_url, **ladder_env(pagerduty, smtp_sink, edited)
                     ) as served:
        up = time.time()
        alert = await slack.wait_for(lambda: [
            c for c in slack.calls_to("chat.postMessage", channel=TRIAGE)
            if "thread_ts" not in c.args
            and "close to its response deadline" in c.args.get("text", "")], timeout=15)
        # 20 % of 30 s after the ticket was opened (which was after ``submitted``); or, when
        # the restart took past that (no worker ran then), once the new timer loop is up:
        # its process starts after serve answers, and sweeps first.
        assert alert[0].at - submitted >= 6.0
        assert alert[0].at - max(submitted + 6.0, up) <= 10
