"""The escalation ladder as data, end to end on the real process: the account manager at
50 %, on-call paged at 90 %, the head of support at the breach and again every 2 s up to
3 times, until someone responds; a ladder edited while a ticket is open applies to it."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import time

import aiohttp
import pytest

from bot.domain.jobs import TicketEvent
from bot.domain.sla import Step
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import Message, SlackStandIn
from tests.conftest import (
    AM,
    CLIENT_CHANNEL,
    LEAD,
    STAFF,
    TRIAGE,
    RunningApp,
    SmtpSink,
    advance,
    drained,
    free_port,
    register_client,
)
from tests.flows import find_post, open_modal, open_ticket, submit, triage_post
from tests.hooks_standin import WEBHOOK_SECRET, PagerDuty, Receiver
from tests.slackreq import SIGNING_SECRET
from tests.test_e2e import Served, register_acme, serve_process
from tests.test_paging import receiver
from tests.test_services import CRITICAL_TARGET, make_world, with_client
from tests.test_services import open_ticket as open_on_fakes

__all__ = ["receiver"]  # a fixture shared with the paging tests

LADDER = [{"at": 0.5, "notify": ["account_manager"]},
          {"at": 0.9, "notify": ["pager"]},
          {"at": "breach", "notify": ["head_of_support"], "every": 2, "times": 3}]
PLANS = {"standard": {"high": 10, "escalation": {"high": LADDER}}}


async def serving(slack: SlackStandIn, redis_url: str, pagerduty: PagerDuty, smtp: SmtpSink,
                  plans: object) -> tuple[Served, asyncio.subprocess.Process, int]:
    port = free_port()
    process = await serve_process(
        slack, redis_url, port, PLANS=json.dumps(plans), PAGERDUTY_URL=pagerduty.url,
        PAGERDUTY_ROUTING_KEY="R0UTINGKEY0123456789", SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        SUPPORT_LEAD_EMAIL="lead@vendor.example")
    url = f"http://127.0.0.1:{port}"
    client = SlackClientSide(url, aiohttp.ClientSession(), secret=SIGNING_SECRET)
    return Served(url, slack, client, process), process, port


async def stop(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(served.process.wait(), 15) == 0
    await served.client.session.close()


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


def dm_times(slack: SlackStandIn, user: str) -> list[float]:
    return [c.at for c in slack.calls_to("chat.postMessage", channel=user)]


async def test_a_three_step_ladder_with_re_notification(
        slack: SlackStandIn, redis_url: str, pagerduty: PagerDuty, smtp_sink: SmtpSink
) -> None:
    served, _, _ = await serving(slack, redis_url, pagerduty, smtp_sink, PLANS)
    try:
        await register_acme(slack, redis_url)
        opened = await open_high(served)
        await slack.wait_for(lambda: len(dm_times(slack, LEAD)) >= 4, timeout=25)
        await asyncio.sleep(2.5)  # a fifth would have come by now
    finally:
        await stop(served)
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
    served, _, _ = await serving(slack, redis_url, pagerduty, smtp_sink, PLANS)
    try:
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
    finally:
        await stop(served)
    assert len(dm_times(slack, LEAD)) == 2


async def test_a_ladder_edit_applies_to_open_tickets(
        slack: SlackStandIn, redis_url: str, pagerduty: PagerDuty, smtp_sink: SmtpSink
) -> None:
    slow = {"standard": {"high": 30, "escalation": {"high": LADDER}}}
    served, _, _ = await serving(slack, redis_url, pagerduty, smtp_sink, slow)
    try:
        await register_acme(slack, redis_url)
        submitted = time.time()
        await open_high(served)
    finally:
        await stop(served)
    # The next start has a new ladder: the triage channel alerted at 20 % of the window.
    edited = {"standard": {"high": 30, "escalation": {"high": [
        {"at": 0.2, "notify": [TRIAGE]}, *LADDER]}}}
    served, _, _ = await serving(slack, redis_url, pagerduty, smtp_sink, edited)
    try:
        alert = await slack.wait_for(lambda: [
            c for c in slack.calls_to("chat.postMessage", channel=TRIAGE)
            if "thread_ts" not in c.args
            and "close to its response deadline" in c.args.get("text", "")], timeout=15)
        # 20 % of 30 s after the ticket was opened (which was after ``submitted``).
        assert 6.0 <= alert[0].at - submitted <= 9
    finally:
        await stop(served)


ONCALL = "C0ONCALL01"
HALF_HOURLY = {"standard": {"critical": 40, "high": 60, "escalation": {
    "critical": [{"at": 0.75, "notify": ["account_manager"]},
                 {"at": "breach", "notify": ["head_of_support"], "every": 1800, "times": 3}],
    "high": [{"at": "breach", "notify": [ONCALL]}]}}}
"""Critical: the head of support at the breach and every 30 minutes; High: a channel."""


@pytest.fixture
def settings_extra(pagerduty: PagerDuty, receiver: Receiver, smtp_sink: SmtpSink
                   ) -> dict[str, object]:
    return {"plans": json.dumps(HALF_HOURLY), "pagerduty_routing_key": "R0UTINGKEY0123456789",
            "pagerduty_url": pagerduty.url, "webhook_url": receiver.url,
            "webhook_secret": WEBHOOK_SECRET, "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}"}


async def test_a_breach_missed_in_an_outage_still_pages_and_reaches_the_webhook(
        app: RunningApp, pagerduty: PagerDuty, receiver: Receiver) -> None:
    # The worker is down from before the deadline until 31 minutes after it: of the
    # breach's notifications only the latest past due goes out, and it is the breach.
    await register_client(app.runtime)
    await open_ticket(app, "Payments down", "Critical", "Every checkout fails.")
    await drained(app.runtime)
    await advance(app.runtime, 40 + 31 * 60)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=LEAD)) == 1
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "trigger"]
    assert pagerduty.events[1]["payload"]["class"] == "breach"
    assert [e["event"] for e in receiver.events] == ["opened", "breach"]
    # The next re-notification is one of its later ones: an escalation, not paged again.
    await advance(app.runtime, 30 * 60)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=LEAD)) == 2
    assert [e["event"] for e in receiver.events] == ["opened", "breach", "escalation"]
    assert len(pagerduty.events) == 2


async def test_two_breach_steps_firing_at_once_make_one_breach_event() -> None:
    # After an outage both steps are due; the second commits while the first decides.
    w = make_world(plans=json.dumps({"standard": {"escalation": {"critical": [
        {"at": "breach", "notify": ["head_of_support"]},
        {"at": "breach+PT10M", "notify": ["assignee"]}]}}}),
        webhook_url="https://hooks.example/desk", webhook_secret=WEBHOOK_SECRET)
    await with_client(w)
    n = await open_on_fakes(w)
    first, later = [t for t in w.store.timers(n) if t.step is Step.BREACH]
    w.clock.advance(CRITICAL_TARGET + 11 * 60)

    async def later_fires() -> None:
        assert await w.reminders.fire(later, w.clock()) is not None

    w.store.before("commit_effects", later_fires)
    assert await w.reminders.fire(first, w.clock()) is not None
    events = [q.job.event for q in w.store.armed if isinstance(q.job, TicketEvent)]
    assert sorted(events) == ["breach", "escalation", "opened"]  # one breach per deadline


async def test_the_breach_note_names_who_was_told(app: RunningApp, smtp_sink: SmtpSink) -> None:
    app.slack.add_channel(ONCALL, "on-call")
    await register_client(app.runtime)
    high = await triage_post(app, await open_ticket(app, "Uploads fail", "High", "All."))
    critical = await triage_post(app, await open_ticket(app, "Login fails", "Critical", "All."))
    await drained(app.runtime)
    await advance(app.runtime, 60)
    await drained(app.runtime)

    def breach_note(post: Message) -> str:
        [note] = [m.text for m in app.slack.posts(TRIAGE, post.ts) if "breached its" in m.text]
        return note

    # High's step alerts only the on-call channel: no DM, no email.
    assert app.slack.posts(ONCALL)
    assert breach_note(high).endswith(f"alerted: <#{ONCALL}>.")
    # Critical's tells the head of support by DM and by email.
    assert breach_note(critical).endswith(
        f"alerted: <@{LEAD}>, the head of support by email (lead@vendor.example).")
    assert len(smtp_sink.messages) == 1
