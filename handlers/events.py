"""Events API: replies in ticket threads (the first response), :ticket: reactions.

Slack's redeliveries are dropped on ``event_id`` once the work is done (``once``). A
listener's work is written to Redis before Slack gets its answer; when it fails, Slack
gets a 500 and redelivers the event, and the redelivery does the work.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.services.staff import Actor
from handlers.desk import desk_of

log = logging.getLogger(__name__)

EVENT_ID_TTL = 3600
"""Slack retries an event for about 6 minutes; an hour is ample."""
RUNNING_TTL = 30.0
"""While an event's work runs, Slack's retries of it are dropped; should the process die
mid-work, the marker expires and a later retry does the work."""

REPLY_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
"""Message subtypes that are a person writing (edits, deletions and bots are not)."""

TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")
"""A Slack message timestamp (its id within a channel)."""

TICKET_REACTION = "ticket"
"""The :ticket: emoji: a reaction with it offers to open a ticket from the message."""

def register(app: AsyncApp) -> None:
    app.event("message")(reply_in_thread)
    app.event("reaction_added")(ticket_reaction)
    app.event("channel_id_changed")(channel_moved)
    app.event("channel_shared")(channel_shared)


async def once(body: dict[str, Any], context: AsyncBoltContext,
               work: Coroutine[Any, Any, object]) -> None:
    """Do an event's work once: marked done when the work is done, not when it arrives.

    A retry that comes while the work still runs is dropped; a failure forgets the event,
    so Slack's retry does the work (the listener's error makes Bolt answer 500).
    """
    event_id = body.get("event_id")
    records = desk_of(context).once
    key = f"event:{event_id}"
    if event_id and not await records.begin_once(key, RUNNING_TTL):
        work.close()
        log.info("event %s already handled or being handled: Slack redelivery dropped",
                 event_id)
        return
    try:
        await work
    except BaseException:
        if event_id:
            await records.forget_once(key)
        raise
    if event_id:
        await records.finish_once(key, EVENT_ID_TTL)


def texts(event: dict[str, Any], *names: str) -> list[str] | None:
    """The named fields, when each is a non-empty string (else None: not an event of ours)."""
    found = [event.get(name) for name in names]
    return [str(f) for f in found] if all(isinstance(f, str) and f for f in found) else None


async def reply_in_thread(body: dict[str, Any], event: dict[str, Any],
                          context: AsyncBoltContext) -> None:
    fields = texts(event, "channel", "user", "ts", "thread_ts")
    if (fields and event.get("subtype") in REPLY_SUBTYPES and not event.get("bot_id")
            and fields[3] != fields[2] and TS.fullmatch(fields[2])):
        channel, user, ts, thread_ts = fields
        team, parent = event.get("user_team"), event.get("parent_user_id")
        await once(body, context, desk_of(context).tickets.record_reply(
            channel=channel, thread_ts=thread_ts, ts=ts,
            actor=Actor(user, team if isinstance(team, str) else None),
            parent=parent if isinstance(parent, str) else None,
            text=str(event.get("text") or "")))


async def ticket_reaction(event: dict[str, Any], context: AsyncBoltContext) -> None:
    # Once per message, by the reaction's own record (taken with its enqueue, in one step).
    item = event.get("item")
    fields = texts(item, "channel", "ts") if isinstance(item, dict) else None
    user = event.get("user")
    if (fields and isinstance(user, str) and event.get("reaction") == TICKET_REACTION
            and isinstance(item, dict) and item.get("type") == "message"
            and TS.fullmatch(fields[1])):
        await desk_of(context).tickets.prompt_from_reaction(
            channel=fields[0], ts=fields[1], user=user)


async def channel_moved(body: dict[str, Any], event: dict[str, Any],
                        context: AsyncBoltContext) -> None:
    old, new = event.get("old_channel_id"), event.get("new_channel_id")
    if isinstance(old, str) and isinstance(new, str) and old != new:
        await once(body, context, desk_of(context).channels.follow(old, new))


async def channel_shared(event: dict[str, Any]) -> None:
    log.info("channel %s is now shared with %s", event.get("channel"),
             event.get("connected_team_id"))
