"""Slack failures after the ack: retried, logged with the ticket number, never doubled;
a permanent refusal is dead-lettered at once and told in the ticket's triage thread."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from bot.adapters.redis_time import RedisTime as Clock
from tests.support.desk import RunningApp, drained, ticket
from tests.support.flows import open_modal, open_ticket, submit, triage_post
from tests.support.workspace import CLIENT_CHANNEL, TRIAGE


def top_level(app: RunningApp, channel: str) -> list[str]:
    return [m.ts for m in app.slack.posts(channel) if m.thread_ts is None]


async def dead_letter(app: RunningApp, job_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The dead letter of ``job_id``, once the queue has one."""
    deadline = time.monotonic() + timeout
    while True:
        dead = await app.runtime.queue.dead_letters()
        if job_id in dead:
            return dead[job_id]
        if time.monotonic() > deadline:
            raise AssertionError(f"{job_id} not dead-lettered within {timeout} s: {list(dead)}")
        await asyncio.sleep(0.05)


async def test_rate_limited_post_waits_retry_after_and_arrives_once(
        app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    app.slack.fail("chat.postMessage", status=429, retry_after=1)
    await open_ticket(app)
    posts = app.slack.calls_to("chat.postMessage", channel=CLIENT_CHANNEL)
    assert len(posts) == 2  # refused with 429, then posted
    assert posts[1].at - posts[0].at >= 0.95  # waited Retry-After, not a busy loop
    await drained(app.runtime)
    assert len(top_level(app, CLIENT_CHANNEL)) == 1 and len(top_level(app, TRIAGE)) == 1
    assert any("T-1001" in r.getMessage() and "rate limited" in r.getMessage()
               for r in caplog.records)


async def test_server_error_backs_off_and_arrives_once(
        app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    app.slack.fail("chat.postMessage", status=500)
    started = time.monotonic()
    await open_ticket(app)
    assert time.monotonic() - started >= 0.9
    await drained(app.runtime)
    assert len(top_level(app, CLIENT_CHANNEL)) == 1 and len(top_level(app, TRIAGE)) == 1
    assert any("T-1001" in r.getMessage() and "500" in r.getMessage() for r in caplog.records)


async def test_a_post_that_reached_slack_before_an_error_is_not_posted_again(
        app: RunningApp) -> None:
    # Slack stores the message but the answer is lost (a 500 after the fact): the retry
    # finds the message by its metadata instead of posting a second one.
    app.slack.fail("chat.postMessage", status=500, after_effect=True)
    number = await open_ticket(app)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=CLIENT_CHANNEL)) == 1
    assert len(top_level(app, CLIENT_CHANNEL)) == 1 and len(top_level(app, TRIAGE)) == 1
    assert (await ticket(app.runtime, number)).client_ts == top_level(app, CLIENT_CHANNEL)[0]


async def test_a_post_that_reached_slack_is_found_when_slack_clock_is_behind_the_desk(
        app: RunningApp, clock: Clock) -> None:
    # Slack stamps its messages by its own clock, here two minutes behind the desk's
    # (Redis's): the card and the triage post that reached Slack before the error are
    # older than a minute before the ticket's creation as the desk recorded it. The rerun
    # looked only from there on, did not see them, and posted each a second time.
    clock.advance(120)
    app.slack.fail("chat.postMessage", status=500, after_effect=True, channel=CLIENT_CHANNEL)
    app.slack.fail("chat.postMessage", status=500, after_effect=True, channel=TRIAGE)
    number = await open_ticket(app)
    for _ in range(300):  # the triage post's retry is a second away
        stored = await ticket(app.runtime, number)
        if stored.triage_ts:
            break
        await asyncio.sleep(0.02)
    await drained(app.runtime)
    assert len(top_level(app, CLIENT_CHANNEL)) == 1 and len(top_level(app, TRIAGE)) == 1
    assert stored.client_ts == top_level(app, CLIENT_CHANNEL)[0]
    assert stored.triage_ts == top_level(app, TRIAGE)[0]


async def test_app_not_in_the_client_channel_is_flagged_in_triage(
        app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    app.slack.channels[CLIENT_CHANNEL]["is_member"] = False
    number = await open_ticket(app)  # the triage post arrives all the same
    triage = await triage_post(app, number)
    note = (await app.slack.wait_for(lambda: app.slack.posts(TRIAGE, triage.ts)))[0]
    assert ":warning: Could not post this ticket in the client channel" in note.text
    assert "`not_in_channel`" in note.text and "The client has not seen it" in note.text
    # Refused for good: not retried, recorded on the ticket.
    dead = await dead_letter(app, f"client_thread:{number}")
    assert dead["error"] == "not_in_channel" and dead["attempts"] == 1
    assert len(app.slack.calls_to("chat.postMessage", channel=CLIENT_CHANNEL)) == 1
    stored = await ticket(app.runtime, number)
    assert stored.client_ts is None and f"failed:client_thread:{number}" in stored.sent
    assert any("T-1001" in r.getMessage() and "not_in_channel" in r.getMessage()
               for r in caplog.records if r.levelno >= logging.ERROR)
    await drained(app.runtime)
    assert len(app.slack.posts(TRIAGE, triage.ts)) == 1  # told once


async def test_a_permanent_error_is_dead_lettered_at_once(app: RunningApp) -> None:
    app.slack.fail("chat.postMessage", error="channel_not_found", times=10)
    view = await open_modal(app)
    await submit(app, view, title="t", severity="Low", description="d")
    dead = await dead_letter(app, "client_thread:1001")
    assert dead["error"] == "channel_not_found" and dead["attempts"] == 1
    assert len(app.slack.calls_to("chat.postMessage", channel=CLIENT_CHANNEL)) == 1
    assert top_level(app, CLIENT_CHANNEL) == []


async def test_a_slack_outage_is_outlasted_not_dead_lettered(app: RunningApp) -> None:
    # Slack answering 500 is an outage to wait out (about a day at the backoff's cap), not a
    # job's max attempts: when it ends, the post goes out, once. (It was dead-lettered
    # after 12 attempts, some 18 minutes, and then never repaired.)
    queue = app.runtime.queue
    queue.max_attempts = 2
    app.slack.fail("chat.postMessage", status=500, times=3)
    view = await open_modal(app)
    await submit(app, view, title="t", severity="Low", description="d")
    await app.slack.wait_for(lambda: top_level(app, CLIENT_CHANNEL), timeout=15)
    assert await queue.dead_letters() == {}
    assert len(app.slack.calls_to("chat.postMessage", channel=CLIENT_CHANNEL)) == 4
    assert len(top_level(app, CLIENT_CHANNEL)) == 1
