"""Events API: replies in ticket threads (the first response), :ticket: reactions.

Slack's redeliveries are dropped on ``event_id``. A listener's work is written to Redis
before Slack gets its answer; when it fails, Slack gets a 500 and redelivers the event.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.services.staff import Actor
from handlers import desk_of

log = logging.getLogger(__name__)

EVENT_ID_TTL = 3600
"""Slack retries an event for about 6 minutes; an hour is ample."""

REPLY_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
"""Message subtypes that are a person writing (edits, deletions and bots are not)."""

TICKET_REACTION = "ticket"
"""The :ticket: emoji: a reaction with it offers to open a ticket from the message."""

Next = Callable[[], Awaitable[BoltResponse]]


def register(app: AsyncApp) -> None:
    app.middleware(drop_redelivered_events)
    app.event("message")(reply_in_thread)
    app.event("reaction_added")(ticket_reaction)


async def drop_redelivered_events(body: dict[str, Any], context: AsyncBoltContext,
                                  next: Next) -> BoltResponse | None:
    event_id = body.get("event_id")
    if not event_id:
        return await next()
    store = desk_of(context).store
    key = f"event:{event_id}"
    if not await store.remember_once(key, EVENT_ID_TTL):
        log.info("event %s already handled: Slack redelivery dropped", event_id)
        return BoltResponse(status=200, body="")
    try:
        response = await next()
    except BaseException:
        await store.forget_once(key)
        raise
    if response is not None and response.status >= 500:
        await store.forget_once(key)  # let Slack's retry through
    return response


async def reply_in_thread(event: dict[str, Any], context: AsyncBoltContext) -> None:
    if (event.get("subtype") in REPLY_SUBTYPES and not event.get("bot_id")
            and event.get("user") and event.get("thread_ts")
            and event["thread_ts"] != event["ts"]):
        await desk_of(context).tickets.record_reply(
            channel=event["channel"], thread_ts=event["thread_ts"], ts=event["ts"],
            actor=Actor(event["user"], event.get("user_team")))


async def ticket_reaction(event: dict[str, Any], context: AsyncBoltContext) -> None:
    item = event.get("item") or {}
    if event.get("reaction") == TICKET_REACTION and item.get("type") == "message":
        await desk_of(context).tickets.prompt_from_reaction(
            channel=item["channel"], ts=item["ts"], user=event["user"])
