"""Slack's events: each one's work done once, even when Slack retries it or the work fails
midway; every event the manifest subscribes to answered; tickets follow their channel."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.domain.tickets import Status
from tests.support.cli import ROOT
from tests.support.desk import RunningApp, advance, drained, register_client, ticket
from tests.support.flows import buttons, find_post, open_ticket, text_of, triage_post
from tests.support.reporting import OTHER_ORG, csv_in_thread, dm_of, row, work
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, STAFF, TRIAGE

NEW_ID = "C0ACMESHR1"
"""The client channel's ID once it is shared."""
MOVED = {"type": "channel_id_changed", "old_channel_id": CLIENT_CHANNEL,
         "new_channel_id": NEW_ID, "event_ts": "1.1"}
DAY = 86_400


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


@pytest.mark.parametrize("subtype", [[], {}, 7])
async def test_a_message_whose_subtype_is_not_text_is_answered_and_opens_nothing(
        app: RunningApp, subtype: object) -> None:
    # Not what Slack sends, but what anyone may post at the endpoint with a valid signature
    # from a proxy that rewrites bodies: a 200 and nothing done, never a 500.
    await register_client(app.runtime)
    for thread in (None, "1700000000.000001"):
        event = {"type": "message", "channel": CLIENT_CHANNEL, "user": CLIENT_USER,
                 "text": "Videos stop on Android", "ts": "1700000000.000002",
                 "user_team": "T0OTHER001", "subtype": subtype, "thread_ts": thread}
        answer = await app.client.event(event, event_id=f"EvSubtype{thread is None}")
        assert answer.status == 200
    await drained(app.runtime)
    assert await app.runtime.store.get(1001) is None


async def test_a_retry_while_the_first_delivery_still_works_is_not_done_twice(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Slow", "Low", "d")
    post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    app.slack.delays["users.info"] = 3.5  # the first delivery takes past Slack's 3 s
    first = asyncio.create_task(reply_event(app, post.ts, "EvSlow0001"))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    # Not worked again, and answered within Slack's 3 s; a 500, not a 200: should the
    # first delivery fail after all, Slack's next retry still does the work.
    assert await reply_event(app, post.ts, "EvSlow0001", retry_num=1) == 500
    assert time.monotonic() - started < 2.5
    assert await first == 200
    assert await reply_event(app, post.ts, "EvSlow0001", retry_num=2) == 200  # done: dropped
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


async def an_archived_ticket(app: RunningApp) -> None:
    """Acme registered, and a ticket of its answered, resolved and archived (31 days on)."""
    await register_client(app.runtime, name="Acme")
    await work(app, CLIENT_CHANNEL, "High", respond_after=600, resolve_after=3600)
    await advance(app.runtime, 31 * DAY)
    retention = app.runtime.worker.retention
    assert retention is not None and await retention.run() == (1, 0)


async def test_resolved_and_archived_tickets_follow_their_channel_when_its_id_changes(
        app: RunningApp) -> None:
    runtime = app.runtime
    await an_archived_ticket(app)
    number, resolution = await work(app, CLIENT_CHANNEL, "Low", respond_after=60,
                                    resolve_after=120)
    post = await triage_post(app, number)
    app.slack.change_channel_id(CLIENT_CHANNEL, NEW_ID)
    response = await app.client.event(MOVED, event_id="EvMove0003")
    assert response.status == 200

    # The client rates its resolved ticket from the channel, now under its new ID.
    assert resolution.channel == NEW_ID
    five = buttons(resolution)["5"]
    await app.client.click(five["action_id"], five["value"], user=CLIENT_USER,
                           channel=resolution.channel, team=OTHER_ORG)
    await app.slack.wait_for(lambda: "CSAT 5/5 (1 rating)" in text_of(post))

    # Reports count both tickets as the client's, the archived one too; the old ID is
    # nobody's. The client's own report (its statement's figures) has them both.
    await app.client.command("/ticket", "report 60d", user=STAFF, channel=TRIAGE)
    report = (await app.slack.wait_for(lambda: dm_of(app.slack, STAFF, "asked:")))[0]
    await drained(runtime)
    table = await csv_in_thread(app.slack, report)
    assert CLIENT_CHANNEL not in {r["client"] for r in table}
    assert row(table, "Acme", "all")["tickets"] == "2"
    await app.client.command("/ticket", "report 60d acme", user=STAFF, channel=TRIAGE)
    await app.slack.wait_for(lambda: len(dm_of(app.slack, STAFF, "asked:")) == 2)
    [own] = [m for m in dm_of(app.slack, STAFF, "asked:") if m is not report]
    await drained(runtime)
    assert "Acme" in text_of(own)
    assert row(await csv_in_thread(app.slack, own), "Acme", "all")["tickets"] == "2"

    # The client reopens it from there, and a staff reply in its thread is recorded.
    reopen = buttons(resolution)["Reopen"]
    await app.client.click(reopen["action_id"], reopen["value"], user=CLIENT_USER,
                           channel=resolution.channel, team=OTHER_ORG)
    await app.slack.wait_for(lambda: "Reopen" not in buttons(post))
    assert (await ticket(runtime, number)).status is Status.CLAIMED  # reopened, still held
    thread = find_post(app, NEW_ID, f"T-{number}")
    assert thread is not None
    at = f"{runtime.clock.now():.6f}"
    answered = await app.client.event({
        "type": "message", "channel": NEW_ID, "user": STAFF, "text": "Looking again",
        "ts": at, "thread_ts": thread.ts}, event_id="EvMove0004")
    assert answered.status == 200
    assert (await ticket(runtime, number)).last_update_at == float(at)


async def test_a_channel_move_cut_off_midway_is_finished_by_slacks_retry(
        app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = app.runtime
    await an_archived_ticket(app)
    number = await open_ticket(app, "Still slow", "Low", "d")
    await drained(runtime)
    app.slack.change_channel_id(CLIENT_CHANNEL, NEW_ID)
    outcomes = runtime.desk.channels.outcomes

    async def cut_off(*args: object) -> int:
        raise RedisConnectionError("Connection closed by server.")

    # Redis goes away after the client and its tickets moved, before the archived ones.
    monkeypatch.setattr(outcomes, "relabel", cut_off)
    assert (await app.client.event(MOVED, event_id="EvMove0005")).status >= 500
    monkeypatch.undo()
    assert (await app.client.event(MOVED, event_id="EvMove0005", retry_num=1)).status == 200
    assert (await ticket(runtime, number)).channel == NEW_ID
    everything = await runtime.desk.reports.build(0, runtime.clock.now() + 1, "all")
    assert {r.client for r in everything.rows} == {"Acme"} and everything.tickets == 2


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
