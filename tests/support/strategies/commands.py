"""The ``/ticket`` slash command: any text, from anyone, anywhere."""

from __future__ import annotations

import functools
import operator
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from tests.support.strategies.identities import channels, put, who
from tests.support.strategies.payload import Payload
from tests.support.strategies.text import EDGE_NUMBERS, ODD_TEXTS, WHITESPACE, hostile_text
from tests.support.strategies.world import FRESH, MISSING, World


@functools.cache
def command_texts() -> SearchStrategy[str]:
    """``/ticket`` text: a title, ``list``, a ticket key, and everything in between."""
    digits = st.text(st.characters(categories=("Nd", "No", "Nl")), min_size=1, max_size=12)
    return st.one_of(
        st.sampled_from(ODD_TEXTS),
        hostile_text(),
        st.builds(operator.add,
                  st.sampled_from(("T-", "t-", "T-0", " T-", "T–", "Ｔ－", "T-\u2028")), digits),
        st.builds("T-{}".format, st.integers() | st.sampled_from(EDGE_NUMBERS)),
        st.builds(lambda n: "T-" + "9" * n, st.sampled_from((4299, 4300, 4301, 20_000))),
        st.builds(lambda pad, word: pad + word + pad,
                  st.text(st.sampled_from(WHITESPACE), max_size=3),
                  st.sampled_from(("list", "LIST", "lIsT", "T-1001"))),
    )


@functools.cache
def commands(world: World) -> SearchStrategy[Payload]:
    """The ``/ticket`` slash command, with any text, from anyone, anywhere."""

    @st.composite
    def build(draw: DrawFn) -> Payload:
        person = draw(who(world))
        channel = draw(channels(world))
        form: dict[str, Any] = {
            "token": "legacy", "team_domain": "desk-test", "channel_id": channel,
            "channel_name": "x", "user_id": person.user, "user_name": str(person.user),
            "command": draw(st.sampled_from(("/ticket",) * 6 + ("/Ticket", "/tickets"))),
            "api_app_id": "A0APP00001", "is_enterprise_install": "false",
            "response_url": "https://hooks.example/commands/1", "trigger_id": FRESH,
        }
        put(form, "team_id", person.team if isinstance(person.team, str) else MISSING)
        put(form, "text", draw(command_texts() | st.just(MISSING)))
        return Payload("command /ticket", "form", form)

    return build()
