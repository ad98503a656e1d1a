"""Forged values: ticket numbers a payload may name, and the typed payloads of
``bot/slack_ui/ids.py`` that buttons, menus and modals carry, as JSON: valid, of the wrong
type, with other tickets' numbers, broken, or any JSON at all."""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy
from pydantic import BaseModel, ValidationError

from bot.slack_ui import ids
from bot.slack_ui.ids import ActionId
from tests.support.strategies.identities import channels, mangle, timestamps, users
from tests.support.strategies.text import (
    EDGE_NUMBERS,
    HUGE_DIGITS,
    JSON_LEAF,
    JSON_VALUES,
    hostile_text,
)
from tests.support.strategies.world import World


@functools.cache
def ticket_numbers(world: World, staff: bool) -> SearchStrategy[int]:
    """Ticket numbers a payload may name: its own, none at all, edges; a victim's unless
    ``staff`` (staff may legitimately change any ticket)."""
    known = world.own_tickets + (() if staff else world.victim_tickets)
    numbers = st.one_of(st.sampled_from(known), st.sampled_from(EDGE_NUMBERS), st.integers())
    if staff:
        return numbers.filter(lambda n: n not in world.victim_tickets)
    return numbers


RENDERINGS: Final[tuple[Callable[[int], Any], ...]] = (
    str, float, lambda n: f" {n} ", lambda n: f"T-{n}", lambda n: [n], lambda n: {"ticket": n},
    lambda n: n + 0.5, lambda n: f"{n}.0", lambda n: f"0x{n:x}" if n >= 0 else str(n),
    lambda n: True, lambda n: None, lambda n: "",
)
"""A ticket number as a payload might carry it, right or wrong."""
BROKEN_JSON: Final = (
    "", "{}", "null", "[]", " ", "1001", '"1001"', "T-1001", '{"ticket": 1001',
    '{"ticket": 1001, "ticket": "x"}', '{"prefill": null}', '{"prefill": 1}',
    '{"severity": "high"}', '{"channel": null}', "\ufeff{}", '{"ticket": NaN}',
    '{"ticket": -Infinity}', '{"ticket": 1e400}', '{"ticket": ' + HUGE_DIGITS + "}",
    '{"a": ' * 600 + "1" + "}" * 600,
)
"""JSON that is not JSON, or not the shape asked for; the simplest first (shrinking ends on
the first that fails)."""

TYPED_PAYLOADS: Final[dict[str, type[BaseModel]]] = {
    name: model for name, model in vars(ids).items()
    if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == ids.__name__
}
"""The typed payloads buttons, menus and modals carry (``bot/slack_ui/ids.py``), by name:
read from the module, so that a payload added there is fuzzed too."""
NATURAL: Final[dict[str, tuple[str, ...]]] = {
    ActionId.CHANGE_SEVERITY.value: ("SeverityChoice",),
    ActionId.OPEN_TICKET.value: ("OpenTicketButton", "OpenTicketValue"),
}
"""The payloads an action's value is meant to carry (``TicketRef`` when not named here)."""


def models(*names: str) -> tuple[type[BaseModel], ...]:
    """The typed payloads of ``names`` that exist (all of them when none does)."""
    return tuple(TYPED_PAYLOADS[n] for n in names if n in TYPED_PAYLOADS) or tuple(
        TYPED_PAYLOADS.values())


@functools.cache
def typed_payload(model: type[BaseModel], world: World, staff: bool
                  ) -> SearchStrategy[dict[str, Any]]:
    """A ``model`` as the JSON object it is carried as: its tickets, channels and people
    drawn from ``world`` (never a victim's ticket when sent by someone who may be
    ``staff``). Valid when the model accepts what was drawn (then as the model writes it),
    else as drawn: a number out of the model's range is a forged payload too."""
    required: dict[str, SearchStrategy[Any]] = {}
    optional: dict[str, SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        kinds = typing.get_args(info.annotation) or (info.annotation,)
        value: SearchStrategy[Any]
        if name == "ticket":
            value = ticket_numbers(world, staff)
        elif name == "channel":
            value = channels(world)
        elif name in ("reporter", "user", "by"):
            value = users(world)
        elif name == "prefill":
            value = st.one_of(st.builds("{}:{}".format, channels(world), timestamps(world)),
                              hostile_text())
        elif str in kinds:
            value = hostile_text()
        else:
            value = st.from_type(info.annotation)  # type: ignore[arg-type]
        value = st.none() | value if type(None) in kinds else value
        (required if info.is_required() else optional)[name] = value

    def as_carried(drawn: dict[str, Any]) -> dict[str, Any]:
        try:
            return model.model_validate(drawn).model_dump(mode="json")
        except ValidationError:
            return drawn

    return st.fixed_dictionaries(required, optional=optional).map(as_carried)


@functools.cache
def forged_json(world: World, staff: bool, kinds: tuple[type[BaseModel], ...]
                ) -> SearchStrategy[str]:
    """One of the typed payloads ``kinds``, as JSON: valid, with keys missing or of the
    wrong type, with the ticket number rendered wrong, broken, or any JSON at all."""
    typed = st.sampled_from(kinds).flatmap(lambda m: typed_payload(m, world, staff))

    @st.composite
    def broken(draw: DrawFn) -> str:
        return json.dumps(mangle(draw, draw(typed)))

    return st.one_of(
        typed.map(json.dumps),
        broken(),
        st.builds(lambda n, render: json.dumps({"ticket": render(n)}),
                  ticket_numbers(world, staff), st.sampled_from(RENDERINGS)),
        st.builds(lambda d, extra: json.dumps({**extra, **d}), typed,
                  st.dictionaries(st.text(max_size=10), JSON_LEAF, min_size=1, max_size=3)),
        st.sampled_from(BROKEN_JSON),
        JSON_VALUES.map(json.dumps),
        hostile_text(),
    )
