"""A burst of client messages, in process over HTTP: with few connections to Redis every
request waits for one rather than fail, and a delivery that failed (Redis refusing even the
release of its hold) leaves its work to Slack's immediate retry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.exceptions import MaxConnectionsError

from bot.adapters.keys import once_key
from bot.services.tickets import NewTicket
from bot.services.watch import Watcher
from tests.support.desk import RunningApp, drained, register_client, ticket
from tests.support.flows import card_in_thread, client_writes, triage_post
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"redis_max_connections": 3}


async def test_a_burst_of_requests_waits_for_a_connection_and_none_fails(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    users = [f"U0BURST{i:03d}" for i in range(40)]
    for user in users:
        app.slack.add_user(user, team_id="T0OTHER001")
    sent = await asyncio.gather(*(
        client_writes(app, f"Request {i}: the player stops after a minute", user=user,
                      event_id=f"EvBurst{i:03d}")
        for i, user in enumerate(users)))  # each asserts its answer is 200
    await drained(app.runtime)
    opened = {(await ticket(app.runtime, 1001 + i)).message_ts for i in range(len(users))}
    assert opened == set(sent)
    assert await app.runtime.store.get(1001 + len(users)) is None


async def test_slacks_immediate_retry_does_the_work_of_a_delivery_redis_refused(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    watcher = app.runtime.desk.watcher
    assert isinstance(watcher, Watcher)
    records, opening = app.runtime.store, watcher.tickets.open
    refused = asyncio.Event()

    async def refused_once(new: NewTicket, *args: Any) -> Any:
        if not refused.is_set():
            refused.set()
            raise MaxConnectionsError("Too many connections")
        return await opening(new, *args)

    async def release_refused(*args: Any) -> None:
        raise MaxConnectionsError("Too many connections")

    watcher.tickets.open = refused_once  # type: ignore[method-assign,assignment]
    records.forget_once = release_refused  # type: ignore[method-assign,assignment]
    try:
        ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, "Videos stop on Android")
        event = {"type": "message", "channel": CLIENT_CHANNEL, "user": CLIENT_USER,
                 "text": "Videos stop on Android", "ts": ts, "user_team": "T0OTHER001",
                 "channel_type": "channel"}
        first = await app.client.event(event, event_id="EvRefused01")
        assert first.status == 500 and refused.is_set()
    finally:
        del watcher.tickets.open, records.forget_once
    await client_writes(app, "Videos stop on Android", event_id="EvRefused01", retry_num=1,
                        ts=ts)
    await triage_post(app, 1001)
    await app.slack.wait_for(lambda: card_in_thread(app, ts))
    await client_writes(app, "Videos stop on Android", event_id="EvRefused01", retry_num=2,
                        ts=ts)
    await drained(app.runtime)
    assert (await ticket(app.runtime, 1001)).message_ts == ts
    assert await app.runtime.store.get(1002) is None


async def test_a_request_of_another_organisation_is_taken_without_asking_slack_who(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    ts = await client_writes(app, "Videos stop on Android", event_id="EvOtherOrg01")
    await drained(app.runtime)
    assert (await ticket(app.runtime, 1001)).message_ts == ts
    assert app.slack.calls_to("users.info", user=CLIENT_USER) == []


async def test_a_retry_finding_a_delivery_that_failed_elsewhere_is_answered_500_then_done(
        app: RunningApp) -> None:
    # Another process took the event, failed, and could not let go of it (Redis refused
    # the release): its hold lasts until it lapses. Slack's retry reaching this process
    # must not get a 200, which would end Slack's retries with the request lost.
    await register_client(app.runtime)
    held = once_key("event:EvElsewhere1")
    await app.runtime.redis.set(held, "running:another-process", px=60_000)
    text = "Exports stop at 99% since this morning"
    ts = app.slack.add_message(CLIENT_CHANNEL, CLIENT_USER, text)
    event = {"type": "message", "channel": CLIENT_CHANNEL, "user": CLIENT_USER, "text": text,
             "ts": ts, "user_team": "T0OTHER001", "channel_type": "channel"}
    retried = await app.client.event(event, event_id="EvElsewhere1", retry_num=1)
    assert retried.status == 500
    assert await app.runtime.store.get(1001) is None
    await app.runtime.redis.delete(held)  # the hold lapsed: Slack's next retry does it
    await client_writes(app, text, event_id="EvElsewhere1", retry_num=2, ts=ts)
    await triage_post(app, 1001)
    assert (await ticket(app.runtime, 1001)).message_ts == ts


async def test_a_retry_waits_for_a_delivery_that_lets_go_and_does_its_work(
        app: RunningApp) -> None:
    # The first delivery fails a moment after the retry arrives and releases its hold:
    # the retry, still waiting for it, opens the ticket (and answers 200).
    await register_client(app.runtime)
    held = once_key("event:EvLetGo0001")
    await app.runtime.redis.set(held, "running:first-delivery", px=60_000)

    async def let_go() -> None:
        await asyncio.sleep(0.3)
        await app.runtime.redis.delete(held)

    releasing = asyncio.create_task(let_go())
    ts = await client_writes(app, "Uploads fail for every file", event_id="EvLetGo0001",
                             retry_num=1)  # asserts a 200
    await releasing
    await triage_post(app, 1001)
    assert (await ticket(app.runtime, 1001)).message_ts == ts
