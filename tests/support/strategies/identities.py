"""People, channels, timestamps: who sends a payload, from where, about which message; and
the fields of a payload as Slack sends them, or mangled (``put``, ``mangle``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from bot.sandbox.standin import TEAM_ID
from tests.support.strategies.text import HUGE_DIGITS, NOT_A_STRING
from tests.support.strategies.world import MISSING, OTHER_TEAM, World


@dataclass(frozen=True)
class Who:
    user: Any
    team: Any
    """The team the payload names: the user's own, another, a forged one, or MISSING."""
    staff: bool
    """Whether the user could be staff (then no victim ticket is named)."""


ODD_USERS: Final = ("", "U", "U0" + "9" * 300, "\u2028", "U0STAFF001\x00")


@functools.cache
def who(world: World) -> SearchStrategy[Who]:
    """Someone sending a payload: staff, outsiders, unknown and odd user ids, naming their
    own team, another, a forged one or none."""

    @st.composite
    def build(draw: DrawFn) -> Who:
        user = draw(st.sampled_from(world.staff + world.outsiders + ODD_USERS))
        team = draw(st.sampled_from((world.teams.get(user, OTHER_TEAM), OTHER_TEAM, TEAM_ID,
                                     MISSING, None, "", "E0GRID0001")))
        return Who(user, team, user in world.staff)

    return build()


@functools.cache
def staff_member(world: World) -> SearchStrategy[Who]:
    """Staff, as Slack names them: what reaches the deeper paths (a first response)."""
    return st.builds(lambda user: Who(user, world.teams.get(user, TEAM_ID), True),
                     st.sampled_from(world.staff))


@functools.cache
def users(world: World) -> SearchStrategy[str]:
    return st.sampled_from(world.staff + world.outsiders + ("", "U", "\u2028"))


@functools.cache
def channels(world: World) -> SearchStrategy[str]:
    """Where a payload comes from: registered, unregistered, unknown, a DM, odd; never the
    victim's channel."""
    return st.sampled_from((*world.channels, "", "C", "CXYZ", "\u2028"))


@functools.cache
def places(world: World) -> SearchStrategy[tuple[str, str]]:
    """A real message and its channel (``World.places``)."""
    return st.sampled_from(world.places)


@functools.cache
def timestamps(world: World) -> SearchStrategy[str]:
    """Message timestamps: real ones of the desk's posts (the victim's too), plausible, odd."""
    return st.one_of(
        st.sampled_from(world.own_threads + world.victim_threads),
        st.builds("{}.{:06d}".format, st.integers(0, 2**33), st.integers(0, 999_999)),
        st.sampled_from(("", "0", "1", "abc", "nan", "inf", "-inf", "-1", "1e309", "1.2.3",
                         " 1.000001", "1.000001 ", HUGE_DIGITS, "0x10", "1_000.5", "１.２")),
    )


def put(target: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """Set ``key`` unless ``value`` is MISSING."""
    if value is not MISSING:
        target[key] = value
    return target


def user_object(person: Who) -> dict[str, Any]:
    user = {"id": person.user, "username": str(person.user).lower(),
            "name": str(person.user).lower()}
    return put(user, "team_id", person.team)


def team_object(person: Who) -> dict[str, Any]:
    return put({"domain": "desk-test"}, "id", person.team)


def mangle(draw: DrawFn, fields: Mapping[str, Any], keep: tuple[str, ...] = ()
           ) -> dict[str, Any]:
    """``fields`` as Slack sends them, or with some left out, or one of a wrong type.

    Drawn so that shrinking leads back to the untouched fields.
    """
    keys = tuple(sorted(k for k in fields if k not in keep))
    out = dict(fields)
    if not keys:
        return out
    if draw(st.integers(0, 3)) == 3:
        for key in draw(st.sets(st.sampled_from(keys), min_size=1, max_size=3)):
            out.pop(key, None)
    if draw(st.integers(0, 4)) == 4:
        out[draw(st.sampled_from(keys))] = draw(st.one_of(NOT_A_STRING, st.text(max_size=5)))
    return out
