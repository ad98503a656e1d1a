"""The message shortcut **Open support ticket** (and the same callback as a global
shortcut)."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from bot.slack_ui.ids import CallbackId
from tests.support.strategies.identities import (
    channels,
    mangle,
    places,
    team_object,
    timestamps,
    user_object,
    who,
)
from tests.support.strategies.payload import Payload
from tests.support.strategies.text import hostile_text
from tests.support.strategies.world import FRESH, OTHER_TEAM, World


@functools.cache
def message_shortcuts(world: World) -> SearchStrategy[Payload]:
    """The message shortcut **Open support ticket** on any message, its fields odd or left
    out (and the same callback sent as a global shortcut, with no message at all)."""

    @st.composite
    def build(draw: DrawFn) -> Payload:
        person = draw(who(world))
        author = draw(who(world))
        channel, ts = draw(places(world) | st.tuples(channels(world), timestamps(world)))
        message = mangle(draw, {
            "type": "message", "user": author.user, "text": draw(hostile_text()), "ts": ts,
            "team": author.team if isinstance(author.team, str) else OTHER_TEAM,
        }, keep=("type",))
        if draw(st.integers(0, 3)) == 3:
            message["thread_ts"] = draw(timestamps(world))
        kind = draw(st.sampled_from(("message_action", "message_action", "shortcut")))
        body: dict[str, Any] = {
            "type": kind, "token": "legacy", "action_ts": "1700000000.000100",
            "team": team_object(person), "user": user_object(person),
            "callback_id": draw(st.sampled_from((CallbackId.OPEN_SUPPORT_TICKET.value,
                                                 CallbackId.OPEN_SUPPORT_TICKET.value,
                                                 "other_shortcut"))),
            "trigger_id": FRESH, "response_url": "https://hooks.example/shortcut/1",
        }
        if kind == "message_action":
            body.update({"message_ts": ts, "channel": {"id": channel, "name": "x"},
                         "message": message})
        if draw(st.integers(0, 9)) == 9:
            body = mangle(draw, body, keep=("type", "callback_id"))
        return Payload(f"shortcut {kind}", "interaction", body)

    return build()
