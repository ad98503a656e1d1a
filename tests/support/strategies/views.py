"""View submissions: a modal submitted, for every ``CallbackId``, its state values missing,
null, oversized, unicode and wrong-typed, its ``private_metadata`` forged and broken."""

from __future__ import annotations

import functools
import json
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from bot.domain.tickets import Severity
from bot.sandbox.standin import TEAM_ID
from bot.slack_ui.ids import ActionId, BlockId, CallbackId
from tests.support.strategies.forged import forged_json, models, typed_payload
from tests.support.strategies.identities import mangle, put, team_object, user_object, who
from tests.support.strategies.payload import Payload
from tests.support.strategies.text import (
    JSON_VALUES,
    NOT_A_STRING,
    SIZES,
    hostile_text,
    oversized_text,
)
from tests.support.strategies.world import FRESH, MISSING, World


@functools.cache
def input_states(action: str, max_size: int) -> SearchStrategy[Any]:
    """One text input's block in a submitted view's state: as Slack sends it (text up to
    ``max_size``, and odd), null, wrong-typed, oversized, the action missing or unknown."""
    text = st.text(min_size=1, max_size=max_size) | hostile_text()
    return st.one_of(
        st.builds(lambda v: {action: {"type": "plain_text_input", "value": v}}, text),
        st.builds(lambda v: {action: {"type": "plain_text_input", "value": v}},
                  st.none() | NOT_A_STRING | oversized_text()),
        st.just(MISSING),
        st.sampled_from((None, {}, {action: None}, {action: {}}, "x", [], 0)),
        st.builds(lambda v: {action: v}, JSON_VALUES),
        st.builds(lambda v: {"other_input": {"type": "plain_text_input", "value": v}}, text),
    )


@functools.cache
def severity_states() -> SearchStrategy[Any]:
    """The severity radio buttons' block: a choice, an unknown or wrong-typed one, null."""
    action = ActionId.SEVERITY.value
    option = st.builds(lambda s: {"text": {"type": "plain_text", "text": s.label},
                                  "value": s.value}, st.sampled_from(Severity))
    return st.one_of(
        st.builds(lambda o: {action: {"type": "radio_buttons", "selected_option": o}}, option),
        st.builds(lambda v: {action: {"type": "radio_buttons", "selected_option": {"value": v}}},
                  JSON_VALUES | hostile_text(20)),
        st.builds(lambda o: {action: {"type": "radio_buttons", "selected_option": o}},
                  st.sampled_from((None, "high", [], 3, {}))),
        st.just(MISSING),
        st.sampled_from((None, {}, {action: None}, "high")),
    )


@functools.cache
def metadata(world: World, staff: bool, names: tuple[str, ...]) -> SearchStrategy[Any]:
    """``private_metadata`` carrying the typed payloads ``names``: valid, forged, broken,
    oversized (Slack keeps 3,000 characters), null, of the wrong type, or left out."""
    kinds = models(*names)
    return st.one_of(
        forged_json(world, staff, kinds),
        st.builds(lambda d, n: json.dumps({**d, "pad": "x" * n}),
                  st.sampled_from(kinds).flatmap(lambda m: typed_payload(m, world, staff)),
                  st.sampled_from(SIZES)),
        st.just(MISSING),
        st.sampled_from((None, "", 0, [], {})),
    )


NOTE_INPUTS: Final = {
    CallbackId.RESOLVE_MODAL.value: (BlockId.RESOLUTION.value, ActionId.RESOLUTION.value),
    CallbackId.UPDATE_MODAL.value: (BlockId.UPDATE.value, ActionId.UPDATE.value),
}
"""The one input of each note modal (other callbacks get the ticket modal's)."""
ODD_STATES: Final[tuple[Any, ...]] = (MISSING, None, {}, {"values": None}, {"values": []},
                                      "state", [])


@functools.cache
def view_submissions(world: World, callback_ids: tuple[str, ...] | None = None
                     ) -> SearchStrategy[Payload]:
    """A modal submitted, for every ``CallbackId`` (and unknown ones): state values missing,
    null, oversized, unicode and wrong-typed; ``private_metadata`` forged and broken."""
    ids = callback_ids if callback_ids is not None else tuple(c.value for c in CallbackId)

    @st.composite
    def build(draw: DrawFn) -> Payload:
        callback = draw(st.sampled_from(ids))
        person = draw(who(world))
        values: dict[str, Any] = {}
        if callback in NOTE_INPUTS:
            block, action = NOTE_INPUTS[callback]
            put(values, block, draw(input_states(action, 3000)))
            private = draw(metadata(world, person.staff, ("TicketRef",)))
        else:
            put(values, BlockId.TITLE.value, draw(input_states(ActionId.TITLE.value, 150)))
            put(values, BlockId.SEVERITY.value, draw(severity_states()))
            put(values, BlockId.DESCRIPTION.value,
                draw(input_states(ActionId.DESCRIPTION.value, 3000)))
            private = draw(metadata(world, person.staff, ("ModalMetadata",)))
        state: Any = {"values": values}
        if draw(st.integers(0, 9)) == 9:
            state = draw(st.sampled_from(ODD_STATES))
        view: dict[str, Any] = {
            "id": FRESH, "team_id": TEAM_ID, "type": "modal", "callback_id": callback,
            "blocks": [], "title": {"type": "plain_text", "text": "Open a support ticket"},
            "hash": "1.h", "app_id": "A0APP00001", "bot_id": "B0BOT00001",
            "root_view_id": FRESH, "previous_view_id": None, "external_id": "",
            "clear_on_close": False, "notify_on_close": False,
        }
        put(view, "private_metadata", private)
        put(view, "state", state)
        if draw(st.integers(0, 9)) == 9:  # the view itself odd, now and then
            view = mangle(draw, view, keep=("callback_id", "private_metadata", "state"))
        body: dict[str, Any] = {
            "type": "view_submission", "team": team_object(person), "user": user_object(person),
            "api_app_id": "A0APP00001", "token": "legacy", "trigger_id": FRESH, "view": view,
            "response_urls": [], "is_enterprise_install": False,
        }
        if draw(st.integers(0, 9)) == 9:
            body = mangle(draw, body, keep=("type", "view"))
        return Payload(f"view_submission {callback}", "interaction", body)

    return build()
