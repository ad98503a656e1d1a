"""Events and envelopes: the events ``manifest.yml`` subscribes to (``message`` of every
subtype, ``reaction_added``, ...), fields missing or of the wrong type, in registered and
unregistered channels; and what Slack sends beside them (``url_verification``,
``ssl_check``, ``app_rate_limited``, envelopes odd or redelivered)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from bot.sandbox.standin import BOT_USER, TEAM_ID
from tests.support.cli import ROOT
from tests.support.strategies.identities import (
    channels,
    mangle,
    places,
    put,
    staff_member,
    timestamps,
    who,
)
from tests.support.strategies.payload import Payload
from tests.support.strategies.text import JSON_LEAF, JSON_VALUES, NOT_A_STRING, hostile_text
from tests.support.strategies.world import (
    FRESH,
    MISSING,
    OTHER_TEAM,
    PRIVATE,
    UNKNOWN_CHANNEL,
    UNREGISTERED,
    World,
)

MESSAGE_SUBTYPES: Final = (
    None, "bot_message", "me_message", "message_changed", "message_deleted",
    "message_replied", "thread_broadcast", "file_share", "file_comment", "file_mention",
    "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
    "channel_archive", "channel_unarchive", "channel_convert_to_private",
    "channel_convert_to_public", "channel_posting_permissions", "channel_canvas_updated",
    "group_join", "group_leave", "group_topic", "group_purpose", "group_name",
    "group_archive", "group_unarchive", "ekm_access_denied", "pinned_item", "unpinned_item",
    "reminder_add", "slackbot_response", "sh_room_created", "huddle_thread",
    "assistant_app_thread", "tombstone", "joiner_notification", "bot_add", "bot_remove",
)
"""Every message subtype Slack documents (and the retired ones it may still send)."""


def envelope(event: Any, *, event_id: Any = FRESH) -> dict[str, Any]:
    """An Events API body around ``event`` (left out when MISSING)."""
    body = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP00001",
            "type": "event_callback", "event_time": 1700000000,
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER, "is_bot": True}],
            "is_ext_shared_channel": False, "event_context": "4-fuzz"}
    put(body, "event", event)
    return put(body, "event_id", event_id)


@functools.cache
def message_events(world: World, channel_types: tuple[str, ...] = ("channel", "group")
                   ) -> SearchStrategy[Payload]:
    """``message`` events (``message.channels``, ``message.groups``) of every subtype, by
    anyone, in registered and unregistered channels, in and out of threads (the desk's
    own and other channels' threads), their fields missing or of the wrong type."""
    kinds = tuple(dict.fromkeys((*channel_types, "channel", "group", "im", "mpim",
                                 "app_home")))

    @st.composite
    def build(draw: DrawFn) -> Payload:
        subtype = draw(st.sampled_from((None, "thread_broadcast", "file_share"))
                       | st.sampled_from(MESSAGE_SUBTYPES) | st.sampled_from(MESSAGE_SUBTYPES)
                       | st.text(max_size=20))
        person = draw(who(world) | staff_member(world))
        in_place = draw(st.booleans())
        channel, thread = draw(places(world)) if in_place else (draw(channels(world)), None)
        ts = draw(timestamps(world))
        team = person.team if isinstance(person.team, str) else MISSING
        event: dict[str, Any] = {
            "type": "message", "channel": channel, "channel_type": draw(st.sampled_from(kinds)),
            "user": person.user, "text": draw(hostile_text()), "ts": ts, "event_ts": ts,
            "client_msg_id": "0c1b2a39-0000-4000-8000-000000000000", "blocks": [],
        }
        put(event, "user_team", team)
        put(event, "team", team)
        if thread is not None:
            event["thread_ts"] = thread
        elif draw(st.integers(0, 2)) > 0:
            event["thread_ts"] = draw(st.just(ts) | timestamps(world))
        if subtype is not None:
            event["subtype"] = subtype
        if subtype in ("bot_message", "slackbot_response") or draw(st.integers(0, 5)) == 5:
            event["bot_id"] = "B0BOT00001"
        if subtype in ("message_changed", "message_deleted", "message_replied"):
            inner = mangle(draw, {"type": "message", "user": person.user, "text": "edited",
                                  "ts": draw(timestamps(world)),
                                  "thread_ts": draw(timestamps(world)),
                                  "edited": {"user": person.user, "ts": ts}})
            event.update({"hidden": True, "message": inner, "previous_message": inner})
            if subtype == "message_deleted":
                event["deleted_ts"] = inner.get("ts")
        if subtype == "thread_broadcast":
            event["root"] = {"type": "message", "ts": event.get("thread_ts", ts), "text": "x"}
        if subtype in ("file_share", "file_mention"):
            event["files"] = [{"id": "F0FILE0001", "name": draw(hostile_text(30))}]
        event = mangle(draw, event)
        return Payload(f"event message {subtype or '(none)'}"[:60], "event", envelope(event),
                       retry_num=draw(st.none() | st.sampled_from((1, 2, 3))))

    return build()


REACTIONS: Final = ("ticket", "ticket", "tickets", "admission_tickets", "ticket::skin-tone-2",
                    "white_check_mark", "")


@functools.cache
def reaction_events(world: World) -> SearchStrategy[Payload]:
    """``reaction_added``: :ticket: and other reactions on messages (and files), by anyone,
    in registered and unregistered channels, fields missing or of the wrong type."""

    @st.composite
    def build(draw: DrawFn) -> Payload:
        person = draw(who(world))
        author = draw(who(world))
        item_type = draw(st.sampled_from(("message", "message", "file", "file_comment")))
        item: dict[str, Any] = {"type": item_type}
        if item_type == "message":
            channel, ts = draw(places(world) | st.tuples(channels(world), timestamps(world)))
            item.update(channel=channel, ts=ts)
        else:
            item.update(file="F0FILE0001", file_comment="Fc0COMMENT1")
        odd_item = draw(st.integers(0, 9)) == 9
        event: dict[str, Any] = {
            "type": "reaction_added", "user": person.user,
            "reaction": draw(st.sampled_from(REACTIONS) | hostile_text(20)),
            "item": draw(st.sampled_from((None, "item", [], {}))) if odd_item
            else mangle(draw, item, keep=("type",)),
            "item_user": author.user, "event_ts": draw(timestamps(world)),
        }
        return Payload("event reaction_added", "event", envelope(mangle(draw, event)),
                       retry_num=draw(st.none() | st.sampled_from((1, 2))))

    return build()


MOVED_TO: Final = ("C0MOVED001", "G0MOVED002", "C0MOVED003")
"""New channel IDs nobody has (``channel_id_changed``)."""


@functools.cache
def channel_id_events(world: World) -> SearchStrategy[Payload]:
    """``channel_id_changed``: a channel (registered or not, or none) gets a new ID (new,
    one that exists, the same, odd, or of the wrong type); fields missing. The victim's
    channel is never named, neither as the old ID nor as the new."""

    @st.composite
    def build(draw: DrawFn) -> Payload:
        old = draw(st.sampled_from((UNREGISTERED, UNKNOWN_CHANNEL, PRIVATE, *MOVED_TO,
                                    world.client_channel)) | channels(world))
        new = draw(st.sampled_from(MOVED_TO) | channels(world) | st.just(old) | NOT_A_STRING)
        event = mangle(draw, {"type": "channel_id_changed", "old_channel_id": old,
                              "new_channel_id": new, "event_ts": draw(timestamps(world))},
                       keep=("type",))
        return Payload("event channel_id_changed", "event", envelope(event))

    return build()


@functools.cache
def channel_shared_events(world: World) -> SearchStrategy[Payload]:
    """``channel_shared``: a channel shared with another organisation; fields missing."""

    @st.composite
    def build(draw: DrawFn) -> Payload:
        event = mangle(draw, {
            "type": "channel_shared", "channel": draw(channels(world)),
            "connected_team_id": draw(st.sampled_from((OTHER_TEAM, "E0GRID0001", TEAM_ID))
                                      | hostile_text(20)),
            "event_ts": draw(timestamps(world))}, keep=("type",))
        return Payload("event channel_shared", "event", envelope(event))

    return build()


@functools.cache
def other_events(world: World, event_type: str) -> SearchStrategy[Payload]:
    """An event of a type subscribed to that no strategy here knows: the usual fields and
    any others."""

    @st.composite
    def build(draw: DrawFn) -> Payload:
        person = draw(who(world))
        fields = {"type": event_type, "user": person.user, "channel": draw(channels(world)),
                  "event_ts": draw(timestamps(world)),
                  **draw(st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=4))}
        fields["type"] = event_type
        return Payload(f"event {event_type}", "event",
                       envelope(mangle(draw, fields, keep=("type",))))

    return build()


def subscribed_events(manifest: Path = ROOT / "manifest.yml") -> tuple[str, ...]:
    """The bot events ``manifest.yml`` subscribes to (``message.channels``, ...)."""
    found: list[str] = []
    inside, indent = False, 0
    for line in manifest.read_text().splitlines():
        text = line.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        depth = len(text) - len(text.lstrip())
        if text.strip() == "bot_events:":
            inside, indent = True, depth
        elif inside and depth > indent and text.strip().startswith("- "):
            found.append(text.strip()[2:].strip().strip("'\""))
        elif inside and depth <= indent:
            inside = False
    return tuple(found)


def event_types(subscriptions: Iterable[str] | None = None) -> tuple[str, ...]:
    """The event types Slack sends for ``subscriptions`` (``message.groups`` -> ``message``),
    by default the manifest's."""
    subs = subscribed_events() if subscriptions is None else tuple(subscriptions)
    return tuple(dict.fromkeys(s.split(".", 1)[0] for s in subs))


@functools.cache
def events(world: World, event_type: str) -> SearchStrategy[Payload]:
    """Events of ``event_type`` as Slack sends them, and odd."""
    if event_type == "message":
        suffixes = [s.split(".", 1)[1] for s in subscribed_events() if s.startswith("message.")]
        return message_events(world, tuple(
            {"channels": "channel", "groups": "group"}.get(t, t) for t in suffixes))
    known = {"reaction_added": reaction_events, "channel_id_changed": channel_id_events,
             "channel_shared": channel_shared_events}
    if event_type in known:
        return known[event_type](world)
    return other_events(world, event_type)


@functools.cache
def envelopes(world: World) -> SearchStrategy[Payload]:
    """What Slack sends beside the events: URL verification, SSL checks, rate-limit notices,
    and event envelopes with their own fields missing (the event too) or redelivered."""
    inner = st.one_of(*(events(world, t) for t in event_types())).map(
        lambda p: p.body.get("event"))

    @st.composite
    def event_callback(draw: DrawFn) -> Payload:
        event: Any = draw(inner | st.sampled_from((None, {}, "x", [])))
        return Payload("envelope event_callback", "event",
                       mangle(draw, envelope(event), keep=("type",)),
                       retry_num=draw(st.none() | st.sampled_from((1, 5))))

    return st.one_of(
        st.builds(lambda c: Payload("envelope url_verification", "event", {
            "token": "legacy", "challenge": c, "type": "url_verification"}), hostile_text()),
        st.just(Payload("envelope ssl_check", "form", {"ssl_check": "1", "token": "legacy"})),
        st.builds(lambda n: Payload("envelope app_rate_limited", "event", {
            "token": "legacy", "type": "app_rate_limited", "team_id": TEAM_ID,
            "minute_rate_limited": n, "api_app_id": "A0APP00001"}), JSON_LEAF),
        event_callback(),
    )
