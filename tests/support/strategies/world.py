"""The world the payloads are drawn from: its channels, people and tickets (``World``), and
the names and markers every strategy shares (``MISSING``, ``FRESH``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

OTHER_TEAM: Final = "T0OTHER001"
VICTIM_CHANNEL: Final = "C0GLOBEX01"
"""The other client's channel: registered, with a ticket of its own; no payload comes from it."""
UNREGISTERED: Final = "C0NOBODY01"
"""A channel the app is in (the stand-in knows it) that is not registered as a client."""
PRIVATE: Final = "G0ACMEPRV1"
"""A private channel the app is in, not registered."""
UNKNOWN_CHANNEL: Final = "C0NOWHERE1"
"""A channel neither the desk nor the stand-in knows."""
DM: Final = "D0DIRECT01"
SECRET: Final = "ZQX7Globex"
"""In the victim's title and description: it must never be shown outside its channel."""
FRESH: Final = "\u27e8fresh\u27e9"
"""Replaced by ``deliver`` with an id of its own each time (trigger, view and event ids):
Slack never sends one twice, and replaying an example must not be deduplicated away."""


class _Missing:
    """A key that is left out of the payload."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@dataclass(frozen=True, eq=False)
class World:
    """What payloads are drawn from (hashed by identity: the strategies are cached per world)."""

    client_channel: str
    """The registered client channel the fuzzed requests come from (with the others below)."""
    victim_channel: str
    channels: tuple[str, ...]
    """Every channel a payload may come from: never the victim's."""
    staff: tuple[str, ...]
    """Users the desk may count as staff: what they send never names a victim ticket."""
    outsiders: tuple[str, ...]
    """Guests, members of other organisations, users nobody knows."""
    teams: Mapping[str, str]
    """Each known user's own team."""
    own_tickets: tuple[int, ...]
    """Tickets of the fuzzed client (open, claimed, resolved) and numbers fuzzing may create."""
    victim_tickets: tuple[int, ...]
    own_threads: tuple[str, ...]
    """ts of the own tickets' client threads and triage posts, and of client messages."""
    victim_threads: tuple[str, ...]
    """ts of the victim's client thread and triage post (payloads may name them, from other
    channels: a thread is only a ticket's in its own channel)."""
    places: tuple[tuple[str, str], ...]
    """(channel, ts) of real messages, each in its own channel: the own tickets' client
    threads and triage posts, a client's message; and the victim's threads' ts paired with
    other channels (the same ts in another channel is another thread)."""
    own_values: Mapping[str, tuple[str, ...]]
    """Action id -> the values the app put on its buttons and menus for the fuzzed client."""
    victim_values: Mapping[str, tuple[str, ...]]
    """The same for the victim: its triage post's, and its reaction prompt's."""

    def values(self, action_id: str, *, staff: bool) -> tuple[str, ...]:
        """Real values of ``action_id`` (any action's when it has none of its own)."""
        mine = self.own_values.get(action_id) or tuple(
            v for vs in self.own_values.values() for v in vs)
        if staff:
            return mine
        theirs = self.victim_values.get(action_id) or tuple(
            v for vs in self.victim_values.values() for v in vs)
        return mine + theirs
