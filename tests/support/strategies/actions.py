"""Block actions: clicks and menu choices on the app's messages, for every ``ActionId``, with
real, forged or missing values; and the victim's own values replayed by outsiders."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from bot.sandbox.standin import BOT_USER
from bot.slack_ui.ids import ActionId
from tests.support.strategies.forged import NATURAL, forged_json, models
from tests.support.strategies.identities import (
    channels,
    mangle,
    places,
    put,
    team_object,
    timestamps,
    user_object,
    who,
)
from tests.support.strategies.payload import Payload
from tests.support.strategies.text import JSON_VALUES, NOT_A_STRING
from tests.support.strategies.world import FRESH, MISSING, OTHER_TEAM, UNREGISTERED, World
from tests.support.workspace import CLIENT_USER, EXTERNAL, GUEST


@functools.cache
def action_values(world: World, action_id: str, staff: bool) -> SearchStrategy[Any]:
    """The ``value`` of an action: a real one the app put on a button (another client's too,
    unless sent by someone who may be ``staff``), forged JSON of what it carries or of any
    typed payload, garbage, a wrong type, or no value at all."""
    real = world.values(action_id, staff=staff)
    natural = forged_json(world, staff, models(*NATURAL.get(action_id, ("TicketRef",))))
    return st.one_of(st.sampled_from(real) if real else natural, natural, st.just(MISSING),
                     forged_json(world, staff, models()), NOT_A_STRING)


@functools.cache
def selected_options(world: World, staff: bool) -> SearchStrategy[Any]:
    """The ``selected_option`` of the severity menu: real, forged, null, wrong types, left
    out."""
    return st.one_of(
        st.builds(lambda v: put({"text": {"type": "plain_text", "text": "High", "emoji": True}},
                                "value", v),
                  action_values(world, ActionId.CHANGE_SEVERITY.value, staff)),
        st.just(MISSING),
        st.builds(lambda v: {"value": v}, NOT_A_STRING),
        st.sampled_from((None, {}, [], "high", {"text": {"type": "plain_text", "text": "x"}})),
        JSON_VALUES,
    )


@functools.cache
def block_actions(world: World, action_ids: tuple[str, ...] | None = None
                  ) -> SearchStrategy[Payload]:
    """A click (or menu choice) on the app's messages, for every ``ActionId`` (and unknown
    ids), by anyone, in any channel, with a real, forged or missing ``value`` or
    ``selected_option``, on the desk's posts (the victim's too) or any message."""
    ids = action_ids if action_ids is not None else tuple(a.value for a in ActionId)

    @st.composite
    def build(draw: DrawFn) -> Payload:
        action_id = draw(st.sampled_from(ids))
        person = draw(who(world))
        channel, ts = draw(places(world) | st.tuples(channels(world), timestamps(world)))
        action: dict[str, Any] = {
            "action_id": action_id, "block_id": draw(st.sampled_from(("b", "actions", ""))),
            "type": draw(st.sampled_from(("button", "static_select", "overflow"))),
            "action_ts": "1700000000.000100",
        }
        put(action, "value", draw(action_values(world, action_id, person.staff)))
        option = draw(selected_options(world, person.staff)) if (
            action_id == ActionId.CHANGE_SEVERITY or draw(st.integers(0, 5)) == 5) else MISSING
        put(action, "selected_option", option)
        body = {
            "type": "block_actions", "team": team_object(person), "user": user_object(person),
            "api_app_id": "A0APP00001", "token": "legacy", "trigger_id": FRESH,
            "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "x"},
            "message": {"type": "message", "ts": ts, "text": "", "user": BOT_USER,
                        "bot_id": "B0BOT00001", "blocks": []},
            "state": {"values": {}}, "response_url": "https://hooks.example/actions/1",
            "actions": [action],
        }
        if draw(st.integers(0, 9)) == 9:  # the envelope itself odd, now and then
            body = mangle(draw, body, keep=("type", "actions"))
        return Payload(f"block_actions {action_id}", "interaction", body)

    return build()


def click(action_id: str, value: str, *, user: str, team: str, channel: str,
          message_ts: str) -> Payload:
    """A click as Slack sends it, on a button (or menu option) with ``value``."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b",
                              "action_ts": "1700000000.000100"}
    if action_id == ActionId.CHANGE_SEVERITY:
        action.update(type="static_select", selected_option={
            "text": {"type": "plain_text", "text": "x"}, "value": value})
    else:
        action.update(type="button", value=value)
    return Payload(f"block_actions {action_id}", "interaction", {
        "type": "block_actions", "team": {"id": team, "domain": "desk-test"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A0APP00001", "token": "legacy", "trigger_id": FRESH,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "channel": {"id": channel, "name": "x"},
        "message": {"type": "message", "ts": message_ts, "text": "", "user": BOT_USER,
                    "bot_id": "B0BOT00001", "blocks": []},
        "state": {"values": {}}, "response_url": "https://hooks.example/actions/1",
        "actions": [action]})


def replayed_elsewhere(world: World) -> list[Payload]:
    """Every value the app put on the victim's buttons and menus, clicked by each outsider
    (a client's member, a member of another organisation, a guest) in the fuzzed client's
    channel and in an unregistered one: another client's ticket must not move, nor show."""
    ts = next((t for c, t in world.places if c == world.client_channel), "1.000001")
    return [click(action_id, value, user=user, team=world.teams.get(user, OTHER_TEAM),
                  channel=channel, message_ts=ts)
            for action_id, values in sorted(world.victim_values.items())
            for value in values
            for user in (CLIENT_USER, EXTERNAL, GUEST)
            for channel in (world.client_channel, UNREGISTERED)]
