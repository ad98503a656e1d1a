"""Events API: replies in ticket threads (the first response), client messages in watched
channels (a request opens a ticket), :ticket: reactions.

Slack's redeliveries are dropped on ``event_id`` once the work is done (``once``). A
listener's work is written to Redis before Slack gets its answer; when it fails, Slack
gets a 500 and redelivers the event, and the redelivery does the work.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.domain.text import clean_line
from bot.domain.watch import is_pleasantry
from bot.services.staff import Actor
from bot.services.tickets import OverIntakeLimit
from bot.services.watch import ClientMessage, SharedFile, Watcher
from bot.slack_ui.text import as_written
from handlers.desk import OnceRecords, desk_of

log = logging.getLogger(__name__)

EVENT_ID_TTL = 3600
"""Slack retries an event for about 6 minutes; an hour is ample."""
RUNNING_TTL = 30.0
"""While an event's work runs, Slack's retries of it are dropped; should the process die
mid-work, the marker expires and a later retry does the work."""

OTHER_WAIT = 1.5
"""Seconds a delivery waits for another delivery of its event to finish before it answers
500 (Slack waits 3 s for an answer)."""
OTHER_POLL = 0.05

REPLY_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
"""Message subtypes that are a person writing (edits, deletions and bots are not)."""

TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")
"""A Slack message timestamp (its id within a channel)."""

TICKET_REACTION = "ticket"
"""The :ticket: emoji: a reaction with it offers to open a ticket from the message."""

TOP_SUBTYPES = frozenset({None, "file_share"})
"""Subtypes of a top-level message a person wrote (joins, edits, bots' messages are not)."""


def register(app: AsyncApp) -> None:
    app.event("message")(message)
    app.event("reaction_added")(ticket_reaction)
    app.event("channel_id_changed")(channel_moved)
    app.event("channel_shared")(channel_shared)


_abandoned: dict[str, tuple[str, float]] = {}
"""Holds this process could not release (the event's key: the failed delivery's holder,
until when its hold lasts): Slack's retry of the event, which often comes at once, takes
the hold over instead of being dropped for ``RUNNING_TTL``."""


async def once(body: dict[str, Any], context: AsyncBoltContext,
               work: Coroutine[Any, Any, object]) -> None:
    """Do an event's work once: marked done when the work is done, not when it arrives.

    A retry that comes while the work still runs waits for it a little
    (``_after_the_other``); a failure releases the event's hold, so Slack's retry does the
    work (the listener's error makes Bolt answer 500). When Redis refuses the release
    too, the hold is remembered here as abandoned, and a retry reaching this process
    takes it over.
    """
    event_id = body.get("event_id")
    records = desk_of(context).once
    key, holder = f"event:{event_id}", uuid.uuid4().hex
    try:
        begun = not event_id or await records.begin_once(key, RUNNING_TTL, holder)
        gone = None if begun else _abandoned.get(key)
        if gone and gone[1] > time.monotonic():
            begun = await records.take_over_once(key, RUNNING_TTL, gone[0], holder)
            if begun:
                _abandoned.pop(key, None)
                log.info("event %s: taking over a delivery that failed", event_id)
        if not begun:
            begun = await _after_the_other(records, key, holder, event_id)
    except BaseException:
        work.close()  # Redis did not answer, or another delivery still holds the event:
        raise         # Slack's retry does the work
    if not begun:
        work.close()
        log.info("event %s already handled: Slack redelivery dropped", event_id)
        return
    try:
        await work
    except BaseException:
        if event_id:
            await release(records, key, holder)
        raise
    if event_id:
        await records.finish_once(key, EVENT_ID_TTL)


class StillHandled(Exception):
    """Another delivery of the event still holds it: Slack gets a 500 and delivers it
    again later, when that delivery has finished it or its hold has lapsed."""


async def _after_the_other(records: OnceRecords, key: str, holder: str,
                           event_id: object) -> bool:
    """Another delivery holds the event (a retry while the first still works, perhaps in
    another process): wait for it a little. True when it failed and let go, and this
    delivery now does the work; False when it is done. Still held after ``OTHER_WAIT``:
    ``StillHandled``, so that Slack's next retry finds it done or takes it over (answering
    200 here would end Slack's retries, and a delivery that failed in another process
    would have lost the event)."""
    deadline = time.monotonic() + OTHER_WAIT
    while True:
        state = await records.once_state(key)
        if state == "done":
            return False
        if state is None and await records.begin_once(key, RUNNING_TTL, holder):
            log.info("event %s: taking over a delivery that let go of it", event_id)
            return True
        if time.monotonic() >= deadline:
            log.warning("event %s: another delivery still holds it; Slack delivers it "
                        "again later", event_id)
            raise StillHandled(key)
        await asyncio.sleep(OTHER_POLL)


async def release(records: OnceRecords, key: str, holder: str) -> None:
    """Release a failed delivery's hold; if Redis refuses, remember it as abandoned."""
    try:
        await records.forget_once(key, holder)
    except Exception:
        now = time.monotonic()
        for stale in [k for k, (_, until) in _abandoned.items() if until <= now]:
            del _abandoned[stale]
        _abandoned[key] = (holder, now + RUNNING_TTL)
        log.warning("%s: its hold could not be released; a retry here takes it over", key,
                    exc_info=True)


def texts(event: dict[str, Any], *names: str) -> list[str] | None:
    """The named fields, when each is a non-empty string (else None: not an event of ours)."""
    found = [event.get(name) for name in names]
    return [str(f) for f in found] if all(isinstance(f, str) and f for f in found) else None


async def message(body: dict[str, Any], event: dict[str, Any],
                  context: AsyncBoltContext) -> None:
    """Every message Slack tells of: a reply in a thread, a top-level message (watched in
    client channels), an edit or a deletion of one."""
    subtype = event.get("subtype")
    if not (subtype is None or isinstance(subtype, str)):
        return  # not a message Slack sends: nothing of ours
    if subtype in ("message_changed", "message_deleted"):
        await changed_message(body, event, context)
    elif event.get("thread_ts") not in (None, event.get("ts")):
        await reply_in_thread(body, event, context)
    elif subtype in TOP_SUBTYPES and not event.get("bot_id"):
        await top_level(body, event, context)


async def reply_in_thread(body: dict[str, Any], event: dict[str, Any],
                          context: AsyncBoltContext) -> None:
    fields = texts(event, "channel", "user", "ts", "thread_ts")
    if (fields and event.get("subtype") in REPLY_SUBTYPES and not event.get("bot_id")
            and fields[3] != fields[2] and TS.fullmatch(fields[2])):
        channel, user, ts, thread_ts = fields
        team, parent, text = event.get("user_team"), event.get("parent_user_id"), event.get(
            "text")
        await once(body, context, desk_of(context).tickets.record_reply(
            channel=channel, thread_ts=thread_ts, ts=ts,
            actor=Actor(user, team if isinstance(team, str) else None),
            parent=parent if isinstance(parent, str) else None,
            text=as_written(text) if isinstance(text, str) and not event.get("files")
            else None))


def shared_files(event: dict[str, Any]) -> tuple[SharedFile, ...]:
    files = event.get("files")
    found = []
    for f in files if isinstance(files, list) else []:
        if isinstance(f, dict):
            name = f.get("name") or f.get("title")
            link = f.get("permalink")
            found.append(SharedFile(clean_line(str(name or "a file")),
                                    link if isinstance(link, str) else None))
    return tuple(found)


async def top_level(body: dict[str, Any], event: dict[str, Any],
                    context: AsyncBoltContext) -> None:
    """A top-level message: in a watched client channel, a request opens a ticket (once,
    however often Slack delivers it); a pleasantry costs no round trip to Redis."""
    fields = texts(event, "channel", "user", "ts")
    watcher = desk_of(context).watcher
    if not fields or watcher is None or not TS.fullmatch(fields[2]):
        return
    channel, user, ts = fields
    raw, files = event.get("text"), shared_files(event)
    text = as_written(raw) if isinstance(raw, str) else ""
    if not await watcher.watched(channel) or (not files and is_pleasantry(text)):
        return
    team = event.get("user_team")
    taken = ClientMessage(channel, user, team if isinstance(team, str) else None, ts, text,
                          files)
    await once(body, context, watch_message(watcher, taken))


async def watch_message(watcher: Watcher, message: ClientMessage) -> None:
    try:
        taken = await watcher.take(message)
    except OverIntakeLimit:
        log.error("a message of %s in %s (ts %s) is past the intake limit and there is no "
                  "open ticket of theirs to join: it opened nothing", message.user,
                  message.channel, message.ts)
        return
    log.info("message %s in %s: %s", message.ts, message.channel, taken.value)


async def changed_message(body: dict[str, Any], event: dict[str, Any],
                          context: AsyncBoltContext) -> None:
    """An edit or a deletion of a message that opened a ticket."""
    channel, watcher = event.get("channel"), desk_of(context).watcher
    if not isinstance(channel, str) or watcher is None or not await watcher.watched(channel):
        return
    if event.get("subtype") == "message_deleted":
        ts = event.get("deleted_ts")
        if isinstance(ts, str) and TS.fullmatch(ts):
            await once(body, context, watcher.deleted(channel, ts))
        return
    new = event.get("message")
    fields = texts(new, "ts", "text") if isinstance(new, dict) else None
    if fields and TS.fullmatch(fields[0]):
        await once(body, context, watcher.edited(channel, fields[0], as_written(fields[1])))


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
