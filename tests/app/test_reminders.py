"""The SLA clock end to end: warning, breach (Slack and email), responses, severity changes.

Plan targets are seconds here (Critical 4 s: the warning at 3 s, the breach at 4 s).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import pytest

from bot.domain.tickets import Severity
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import BOT_USER, Call, Message
from bot.services.staff import Actor
from tests.support.desk import RunningApp, advance, armed, drained, register_client, ticket
from tests.support.flows import click, client_thread, open_ticket, text_of, triage_post
from tests.support.servers import SmtpSink
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    GUEST,
    LEAD,
    STAFF,
    STAFF_2,
    TRIAGE,
)

PLANS = {"standard": {"critical": 4, "high": 6, "medium": 8, "low": 12}}
_event_ids = itertools.count(1)


@pytest.fixture
def settings_extra(smtp_sink: SmtpSink) -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}",
            "email_from": "desk@vendor.example"}


async def created_at(app: RunningApp, number: int) -> float:
    return (await ticket(app.runtime, number)).created_at


def dms(app: RunningApp, user: str) -> list[Call]:
    """The app's calls to DM ``user`` (refused ones included)."""
    return app.slack.calls_to("chat.postMessage", channel=user)


def thread(app: RunningApp, channel: str, ts: str) -> list[Message]:
    return [m for m in app.slack.posts(channel) if m.thread_ts == ts]


async def reply(app: RunningApp, user: str, thread_ts: str, *, ts: str | None = None,
                event_id: str | None = None, **extra: Any) -> None:
    event = {"type": "message", "channel": CLIENT_CHANNEL, "user": user, "text": "On it",
             "ts": ts or f"{time.time():.6f}", "thread_ts": thread_ts, **extra}
    response = await app.client.event(event, event_id=event_id or f"Ev{next(_event_ids):08d}")
    assert response.status == 200


async def test_unclaimed_critical_warns_then_breaches_each_once_on_time(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Payments down", "Critical", "Every checkout fails.")
    t0 = await created_at(app, number)
    triage = await triage_post(app, number)

    warning = (await app.slack.wait_for(lambda: dms(app, AM), timeout=6))[0]
    assert 0 <= warning.at - (t0 + 3) <= 1.0
    assert "T-1001" in warning.args["text"] and "left" in warning.args["text"]
    assert "Acme Media" in warning.args["text"]
    assert f"https://desk-test.slack.com/archives/{CLIENT_CHANNEL}/p" in warning.args["text"]
    note = (await app.slack.wait_for(lambda: thread(app, TRIAGE, triage.ts)))[0]
    assert f"<@{AM}>" in note.text

    breach = (await app.slack.wait_for(lambda: dms(app, LEAD), timeout=6))[0]
    assert 0 <= breach.at - (t0 + 4) <= 1.0
    assert "breached" in breach.args["text"].lower() and "T-1001" in breach.args["text"]
    await app.slack.wait_for(lambda: "BREACHED" in text_of(triage))
    mail = (await app.slack.wait_for(lambda: smtp_sink.messages))[0]
    assert mail["To"] == "lead@vendor.example" and mail["From"] == "desk@vendor.example"
    assert "T-1001" in mail["Subject"] and "Critical" in mail["Subject"]
    body = mail.get_content()
    for expected in ("Acme Media", "Payments down", "Late by:", "Client thread: https://"):
        assert expected in body

    # Later on, nothing is sent again.
    await advance(app.runtime, 60)
    await drained(app.runtime)
    assert len(dms(app, AM)) == 1 and len(dms(app, LEAD)) == 1 and len(smtp_sink.messages) == 1
    assert len(app.slack.posts(dm_channel(AM))) == 1
    assert len(app.slack.posts(dm_channel(LEAD))) == 1
    assert len(thread(app, TRIAGE, triage.ts)) == 2  # the warning note, the breach note


async def test_a_staff_reply_before_the_warning_stops_the_clock(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Player blank", "Critical", "Black screen.")
    post = await client_thread(app, number)
    await reply(app, STAFF, post.ts)
    # Recorded before the event's ack.
    assert (await ticket(app.runtime, number)).first_response_at is not None
    triage = await triage_post(app, number)
    await app.slack.wait_for(lambda: "responded" in text_of(triage))
    await drained(app.runtime)
    assert await armed(app.runtime, number) == []  # the SLA timers were disarmed at once
    await advance(app.runtime, 4.5)  # past the deadline
    await drained(app.runtime)
    assert dms(app, AM) == [] and dms(app, LEAD) == [] and smtp_sink.messages == []
    assert "BREACHED" not in text_of(triage)
    assert thread(app, TRIAGE, triage.ts) == []


async def test_bots_edits_clients_and_guests_do_not_count_as_a_response(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Uploads fail", "Critical", "At 99%.")
    post = await client_thread(app, number)
    await reply(app, CLIENT_USER, post.ts, user_team="T0OTHER001")
    await reply(app, GUEST, post.ts)
    await reply(app, BOT_USER, post.ts, bot_id="B0BOT00001")
    await reply(app, STAFF, post.ts, subtype="message_changed")
    await reply(app, STAFF, post.ts, subtype="bot_message", bot_id="B0OTHER01")
    assert (await ticket(app.runtime, number)).first_response_at is None
    await advance(app.runtime, 3)  # the warning's time: the clock still runs
    await app.slack.wait_for(lambda: app.slack.posts(dm_channel(AM)), timeout=6)


async def test_a_staff_message_outside_the_ticket_thread_is_not_a_response(
        app: RunningApp) -> None:
    number = await open_ticket(app, "CMS slow", "Critical", "10 s per save.")
    triage = await triage_post(app, number)
    # In the triage thread (internal), and at the top of the client channel.
    internal = await app.client.event(
        {"type": "message", "channel": TRIAGE, "user": STAFF, "text": "x",
         "ts": f"{time.time():.6f}", "thread_ts": triage.ts}, event_id="EvInternal1")
    top = await app.client.event(
        {"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF, "text": "x",
         "ts": f"{time.time():.6f}"}, event_id="EvTop00001")
    assert internal.status == 200 and top.status == 200
    assert (await ticket(app.runtime, number)).first_response_at is None


async def test_redelivered_and_out_of_order_events_keep_the_earliest_response(
        app: RunningApp) -> None:
    number = await open_ticket(app, "Encoding stuck", "Low", "Queued for hours.")
    post = await client_thread(app, number)
    early, late = f"{time.time():.6f}", f"{time.time() + 1:.6f}"
    await reply(app, STAFF_2, post.ts, ts=late, event_id="EvLate0001")
    await reply(app, STAFF, post.ts, ts=early, event_id="EvEarly001")
    for retry in (1, 2):
        event = {"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF, "text": "x",
                 "ts": early, "thread_ts": post.ts}
        assert (await app.client.event(event, event_id="EvEarly001",
                                       retry_num=retry)).status == 200
    assert (await ticket(app.runtime, number)).first_response_at == float(early)


async def test_a_thread_broadcast_reply_counts(app: RunningApp) -> None:
    number = await open_ticket(app, "Login loop", "Low", "Redirects forever.")
    post = await client_thread(app, number)
    # After the ticket by the desk's clock (calibrated on Redis, a few ms off this host's).
    opened = (await ticket(app.runtime, number)).created_at
    sent_at = f"{max(time.time(), opened + 0.01):.6f}"
    await reply(app, STAFF, post.ts, ts=sent_at, subtype="thread_broadcast")
    assert (await ticket(app.runtime, number)).first_response_at == float(sent_at)


@pytest.fixture
def calibrating_often(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.adapters.redis_time.CALIBRATE_EVERY", 0.1)


async def test_a_running_desk_keeps_to_redis_clock_when_it_moves(
        calibrating_often: None, app: RunningApp) -> None:
    # The process calibrated its clock on Redis's when it started (and its timer loop at
    # its first sweep); then Redis's clock moved 90 s ahead of it (an NTP step on Redis's
    # host, a failover to a replica whose host runs ahead, or this host suspended: its
    # monotonic clock stood still). A web process never calibrated again: every ticket
    # was stamped 90 s in the past by Redis's clock, which fires the timers, and this
    # Critical one (4 s) breached the moment it was opened.
    worker = app.runtime.worker
    await app.slack.wait_for(lambda: worker._sweep is not None and worker._sweep.done())
    app.runtime.clock._offset -= 90
    await asyncio.sleep(0.5)
    number = await open_ticket(app, "Checkout down", "Critical", "502 everywhere.")
    seconds, micros = await app.runtime.redis.time()
    assert abs(await created_at(app, number) - (seconds + micros / 1e6)) < 1
    await drained(app.runtime)
    assert dms(app, LEAD) == []


async def test_the_assignee_is_warned_too(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Checkout down", "Critical", "502 everywhere.")
    triage = await triage_post(app, number)
    await click(app, triage, "Claim", user=STAFF_2)
    await advance(app.runtime, 3)  # the warning's time
    await app.slack.wait_for(lambda: app.slack.posts(dm_channel(STAFF_2))
                             and app.slack.posts(dm_channel(AM)), timeout=6)
    note = (await app.slack.wait_for(lambda: thread(app, TRIAGE, triage.ts)))[0]
    assert f"<@{AM}>" in note.text and f"<@{STAFF_2}>" in note.text


async def test_no_account_manager_is_said_in_the_triage_note(app: RunningApp) -> None:
    # The channel is not registered: its client has no account manager.
    number = await open_ticket(app, "Videos stutter", "Critical", "Every 10 s.")
    triage = await triage_post(app, number)
    await advance(app.runtime, 3)  # the warning's time
    note = (await app.slack.wait_for(lambda: thread(app, TRIAGE, triage.ts), timeout=6))[0]
    assert "no account manager" in note.text
    await drained(app.runtime)
    assert [c for c in app.slack.calls_to("chat.postMessage")
            if c.args["channel"].startswith(("U", "D"))] == []


@pytest.mark.parametrize("settings_extra", [{"plans": json.dumps(PLANS),
                                             "claim_is_response": True}])
async def test_claim_counts_as_the_response_when_configured(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "API 500s", "Critical", "On every call.")
    triage = await triage_post(app, number)
    await click(app, triage, "Claim", user=STAFF)
    claimed = await ticket(app.runtime, number)
    assert claimed.first_response_at is not None
    assert claimed.first_response_at == claimed.claimed_at
    await advance(app.runtime, 4.5)  # past the deadline
    await drained(app.runtime)
    assert dms(app, AM) == [] and dms(app, LEAD) == []


async def test_a_late_response_keeps_the_breach_on_record(app: RunningApp) -> None:
    # Real time here: the reply's Slack timestamp must come after the deadline.
    number = await open_ticket(app, "Search broken", "Critical", "No results.")
    post = await client_thread(app, number)
    await app.slack.wait_for(lambda: dms(app, LEAD), timeout=7)
    await reply(app, STAFF, post.ts)
    triage = await triage_post(app, number)
    await app.slack.wait_for(lambda: "responded" in text_of(triage))
    stored = await ticket(app.runtime, number)
    assert any(s.startswith("breach:") for s in stored.sent)
    assert stored.first_response_at is not None
    assert stored.first_response_at > stored.created_at + 4


async def test_rate_limited_reminder_waits_retry_after_and_arrives_once(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    await open_ticket(app, "Uploads fail", "Critical", "All of them.")
    # The warning's DM and its triage note go out together: both are refused once.
    app.slack.fail("chat.postMessage", status=429, retry_after=1, times=2)
    await advance(app.runtime, 3)  # the warning's time
    delivered = await app.slack.wait_for(lambda: app.slack.posts(dm_channel(AM)), timeout=8)
    attempts = dms(app, AM)
    assert len(attempts) == 2  # refused with 429, then delivered
    assert attempts[1].at - attempts[0].at >= 0.95  # waited Retry-After, not a busy loop
    assert "T-1001" in delivered[0].text and "left" in delivered[0].text
    await advance(app.runtime, 60)
    await drained(app.runtime)
    assert len(app.slack.posts(dm_channel(AM))) == 1
    assert len(dms(app, AM)) == 2


async def test_a_failing_smtp_server_gets_the_email_retried_once_delivered(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    smtp_sink.refuse.append("451 4.3.0 try again later")
    await open_ticket(app, "Outage", "Critical", "Everything is down.")
    await advance(app.runtime, 4)  # the deadline
    await app.slack.wait_for(lambda: smtp_sink.messages, timeout=10)
    assert smtp_sink.refuse == []  # the first attempt was refused
    # The job's own finish written first: a clock moved past its lease while it still
    # runs would hand it to another worker, a doubling of the test's making.
    await drained(app.runtime)
    await advance(app.runtime, 60)
    await drained(app.runtime)
    assert len(smtp_sink.messages) == 1
    assert len(dms(app, LEAD)) == 1  # the DM went out once, before the email was retried


async def test_severity_change_from_the_triage_post(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Slow reports", "Low", "Takes a minute.")
    triage = await triage_post(app, number)
    t0 = await created_at(app, number)
    menu = next(e for b in triage.blocks if b["type"] == "actions" for e in b["elements"]
                if e["type"] == "static_select")
    assert menu["placeholder"]["text"] == "Change severity"
    critical = next(o for o in menu["options"] if o["text"]["text"] == "Critical")

    async def choose(user: str) -> None:
        status, _ = await app.client.interaction({
            "type": "block_actions", "team": {"id": "T0DESK0001"},
            "user": {"id": user, "team_id": "T0DESK0001"}, "trigger_id": "1.sev",
            "channel": {"id": TRIAGE}, "container": {"message_ts": triage.ts},
            "actions": [{"action_id": menu["action_id"], "type": "static_select",
                         "selected_option": critical, "block_id": "b"}]})
        assert status == 200

    await choose(GUEST)
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "Only the support team" in refusal[0].args["text"]
    refused = await ticket(app.runtime, number)
    assert refused.severity is Severity.LOW and refused.severity_changes == ()

    changed_at = time.time()
    await choose(STAFF)
    stored = await ticket(app.runtime, number)
    assert stored.severity is Severity.CRITICAL
    [audit] = stored.severity_changes
    assert audit.by == STAFF and audit.old is Severity.LOW and audit.new is Severity.CRITICAL
    client_post = await client_thread(app, number)
    notice = (await app.slack.wait_for(lambda: thread(app, CLIENT_CHANNEL, client_post.ts)))[0]
    assert "Low to Critical" in notice.text and "<!date^" in notice.text
    await app.slack.wait_for(lambda: "Critical" in text_of(triage))
    # The new deadline: at most 4 s from the change, never later than the old 12 s.
    breach = (await app.slack.wait_for(lambda: dms(app, LEAD), timeout=8))[0]
    assert breach.at - changed_at <= 5.0 and breach.at < t0 + 12
    assert len(dms(app, AM)) == 1


async def test_severity_lowered_after_the_warning_gets_a_new_warning(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Exports broken", "Critical", "CSV is empty.")
    await app.slack.wait_for(lambda: dms(app, AM), timeout=6)
    await app.runtime.desk.tickets.change_severity(number, Severity.HIGH, Actor(STAFF))
    assert (await ticket(app.runtime, number)).severity is Severity.HIGH
    # High from creation: 6 s, warned at 4.5 s. A second warning for the new deadline.
    await app.slack.wait_for(lambda: len(app.slack.posts(dm_channel(AM))) == 2, timeout=6)
    await app.slack.wait_for(lambda: dms(app, LEAD), timeout=4)
    await advance(app.runtime, 60)
    await drained(app.runtime)
    assert len(dms(app, LEAD)) == 1 and len(app.slack.posts(dm_channel(AM))) == 2
