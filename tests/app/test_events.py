"""Slack's events: each one's work done once, even when Slack retries it or the work fails
midway; every event the manifest subscribes to answered; tickets follow their channel."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from bot.domain.tickets import Status
from tests.support.cli import ROOT
from tests.support.desk import RunningApp, drained, register_client, ticket
from tests.support.flows import find_post, open_ticket
from tests.support.workspace import CLIENT_CHANNEL, STAFF


def subscribed_events() -> list[str]:
    manifest = (ROOT / "manifest.yml").read_text()
    block = manifest.split("bot_events:", 1)[1].split("interactivity:", 1)[0]
    return re.findall(r"^\s+- ([a-z_.]+)", block, re.MULTILINE)


async def reply_event(app: RunningApp, thread_ts: str, event_id: str,
                      retry_num: int | None = None, channel: str = CLIENT_CHANNEL) -> int:
    response = await app.client.event({
        "type": "message", "channel": channel, "user": STAFF, "text": "Looking into it",
        "ts": f"{time.time():.6f}", "thread_ts": thread_ts}, event_id=event_id,
        retry_num=retry_num)
    return response.status


async def test_every_subscribed_event_is_answered(app: RunningApp) -> None:
    shapes: dict[str, dict[str, Any]] = {
        "message.channels": {"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF,
                             "text": "hi", "ts": "1.000001"},
        "message.groups": {"type": "message", "channel": "G0PRIVATE1", "user": STAFF,
                           "text": "hi", "ts": "1.000002", "channel_type": "group"},
        "reaction_added": {"type": "reaction_added", "user": STAFF, "reaction": "wave",
                           "item": {"type": "message", "channel": CLIENT_CHANNEL,
                                    "ts": "1.000001"}},
        "channel_id_changed": {"type": "channel_id_changed", "old_channel_id": "C0NOBODY01",
                               "new_channel_id": "C0NOBODY02", "event_ts": "1.1"},
        "channel_shared": {"type": "channel_shared", "connected_team_id": "T0OTHER001",
                           "channel": CLIENT_CHANNEL, "event_ts": "1.1"},
        "app_home_opened": {"type": "app_home_opened", "user": STAFF, "tab": "home",
                            "channel": "D0STAFF001", "event_ts": "1.1"},
    }
    names = subscribed_events()
    assert set(names) == set(shapes)
    for i, name in enumerate(names):
        response = await app.client.event(shapes[name], event_id=f"EvSub{i:05d}")
        assert response.status == 200, name


async def test_a_retry_while_the_first_delivery_still_works_is_not_done_twice(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Slow", "Low", "d")
    post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    app.slack.delays["users.info"] = 3.5  # the first delivery takes past Slack's 3 s
    first = asyncio.create_task(reply_event(app, post.ts, "EvSlow0001"))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    assert await reply_event(app, post.ts, "EvSlow0001", retry_num=1) == 200
    assert time.monotonic() - started < 1  # answered at once, not worked again
    assert await first == 200
    assert (await ticket(app.runtime, number)).first_response_at is not None
    assert len(app.slack.calls_to("users.info", user=STAFF)) == 1


async def test_a_delivery_whose_work_failed_is_done_by_slacks_retry(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Flaky", "Low", "d")
    post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    app.slack.fail("users.info", status=429, retry_after=30)  # Slack cannot say who it is
    assert await reply_event(app, post.ts, "EvFail0001") >= 500
    assert (await ticket(app.runtime, number)).first_response_at is None
    assert await reply_event(app, post.ts, "EvFail0001", retry_num=1) == 200
    assert (await ticket(app.runtime, number)).first_response_at is not None


async def test_tickets_follow_their_channel_when_its_id_changes(app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Moved", "Critical", "d")
    post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    await drained(app.runtime)
    new = "C0ACMESHR1"
    app.slack.add_channel(new, "acme-shared")
    response = await app.client.event({"type": "channel_id_changed",
                                       "old_channel_id": CLIENT_CHANNEL,
                                       "new_channel_id": new, "event_ts": "1.1"},
                                      event_id="EvMove0001")
    assert response.status == 200
    moved = await ticket(app.runtime, number)
    assert moved.channel == new and moved.status is Status.OPEN
    client = await app.runtime.store.client(new)
    assert client is not None and client.name == "Acme Media"
    assert await app.runtime.store.client(CLIENT_CHANNEL) is None
    # A staff reply in the thread, now under the channel's new ID, is the response.
    assert await reply_event(app, post.ts, "EvMove0002", channel=new) == 200
    assert (await ticket(app.runtime, number)).first_response_at is not None


async def test_a_reply_from_someone_slack_will_not_show_is_recorded_as_the_clients(
        app: RunningApp) -> None:
    """users.info answers ``user_not_visible`` for a person of another organisation the
    app may not see: their reply is the client's, not an event failing on every retry."""
    await register_client(app.runtime)
    await open_ticket(app)
    post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    assert await reply_event(app, post.ts, "EvStaff001") == 200
    app.slack.fail("users.info", error="user_not_visible", times=3)
    response = await app.client.event({
        "type": "message", "channel": CLIENT_CHANNEL, "user": "U0HIDDEN01", "text": "Still down",
        "ts": f"{time.time():.6f}", "thread_ts": post.ts}, event_id="EvHidden01")
    assert response.status == 200
    assert (await ticket(app.runtime, 1001)).awaiting_since is not None
