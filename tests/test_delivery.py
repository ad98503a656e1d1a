"""Slack failures after the ack: retried, logged with the ticket number, never doubled."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from tests.conftest import CLIENT_CHANNEL, TRIAGE, RunningApp
from tests.flows import find_post, open_modal, open_ticket, submit, text_of


def top_level(app: RunningApp, channel: str) -> list[str]:
    return [m.ts for m in app.slack.posts(channel) if m.thread_ts is None]


async def test_rate_limited_post_waits_retry_after_and_arrives_once(
        app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    app.slack.fail("chat.postMessage", status=429, retry_after=1)
    await open_ticket(app)
    posts = app.slack.calls_to("chat.postMessage")
    assert posts[1].at - posts[0].at >= 0.95  # waited Retry-After, not a busy loop
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
    assert len(top_level(app, CLIENT_CHANNEL)) == 1 and len(top_level(app, TRIAGE)) == 1
    assert any("T-1001" in r.getMessage() and "500" in r.getMessage() for r in caplog.records)


async def test_a_post_that_reached_slack_before_an_error_is_not_posted_again(
        app: RunningApp) -> None:
    # Slack stores the message but the answer is lost (a 500 after the fact): the retry
    # finds the message by its metadata instead of posting a second one.
    app.slack.fail("chat.postMessage", status=500, after_effect=True)
    await open_ticket(app)
    await asyncio.sleep(0.3)
    assert len(top_level(app, CLIENT_CHANNEL)) == 1 and len(top_level(app, TRIAGE)) == 1
    stored = await app.runtime.redis.hgetall("sd:{desk}:ticket:1001")
    assert stored["client_ts"] == top_level(app, CLIENT_CHANNEL)[0]


async def test_app_not_in_the_client_channel_is_flagged_in_triage(
        app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    app.slack.channels[CLIENT_CHANNEL]["is_member"] = False
    await open_ticket(app)
    triage = find_post(app, TRIAGE, "T-1001")
    assert triage is not None
    assert "Could not post this ticket" in text_of(triage) and "not_in_channel" in text_of(triage)
    assert any("T-1001" in r.getMessage() and "not_in_channel" in r.getMessage()
               for r in caplog.records if r.levelno >= logging.ERROR)


async def test_failing_job_is_dead_lettered_after_max_attempts(app: RunningApp) -> None:
    queue = app.runtime.worker.queue
    queue.max_attempts = 2
    app.slack.fail("chat.postMessage", error="channel_not_found", times=10)
    view = await open_modal(app)
    await submit(app, view, title="t", severity="Low", description="d")
    dead: dict[str, dict[str, object]] = {}
    for _ in range(100):
        dead = await queue.dead_letters()
        if dead:
            break
        await asyncio.sleep(0.1)
    assert list(dead) == ["opened:1001"]
    assert dead["opened:1001"]["error"] == "channel_not_found"
