"""Hypothesis strategies for every payload the desk accepts, and what fuzzing needs around them.

The payloads are the ones Slack sends to ``/slack/events`` (see ``handlers/`` and
``manifest.yml``): the ``/ticket`` command, ``block_actions`` for every ``ActionId``, a
``view_submission`` for every ``CallbackId``, the message shortcut, the events the manifest
subscribes to (``message.channels``, ``message.groups``: ``message`` events of every
subtype; ``reaction_added``) and the envelopes Slack wraps or sends beside them
(``url_verification``, ``ssl_check``, ``app_rate_limited``). What a user or the app's own
earlier output controls is generated odd or hostile: any text (control characters, U+2028,
huge digit strings, ``T-²``), forged button values and ``private_metadata`` (valid JSON of
the typed payloads of ``bot/slack_ui/ids.py``, wrong types, other tickets' numbers,
garbage, missing keys), modal state with missing, null, oversized, unicode and wrong-typed
values, events with fields missing or of the wrong type, in registered and unregistered
channels.

Every strategy draws from a ``World``: the channels, people, tickets and threads of a
running desk (``prepare_world`` builds one). One client's ticket, the *victim*, lives in a
registered channel no payload comes from; payloads by staff never name its number (staff may
change any ticket: that is no breach), payloads by anyone else may. The fuzz then checks
that nothing reached it (``victim_state``, ``leaks``).

``deliver`` signs and sends a payload as Slack does; ``settle`` waits until what it set off
is done; ``problems`` picks out the log records the desk must never write.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import operator
import time
import traceback
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol
from urllib.parse import urlencode

import aiohttp
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy
from pydantic import BaseModel, ValidationError

import handlers
from bot.bootstrap import Runtime
from bot.domain.tickets import Severity, Ticket
from bot.services.staff import Actor
from bot.slack_ui import ids
from bot.slack_ui.ids import ActionId, BlockId, CallbackId
from tests.conftest import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    LEAD,
    STAFF,
    STAFF_2,
    TRIAGE,
    drained,
    register_client,
    ticket,
)
from tests.flows import open_ticket
from tests.slack_standin import BOT_USER, TEAM_ID, Message, SlackStandIn
from tests.slackreq import SlackClientSide, signed_headers

ROOT: Final = Path(__file__).resolve().parent.parent
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

# -- the world the payloads are drawn from ------------------------------------------------


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


class Desk(Protocol):
    """A running desk as the fuzzing sees it (``tests.conftest.RunningApp``)."""

    @property
    def runtime(self) -> Runtime: ...

    @property
    def slack(self) -> SlackStandIn: ...

    @property
    def client(self) -> SlackClientSide: ...


def harvest(messages: Iterable[Message]) -> dict[str, tuple[str, ...]]:
    """The values on the buttons and menu options of ``messages``, by action id."""
    found: dict[str, list[str]] = {}
    for message in messages:
        for block in message.blocks:
            for element in [*block.get("elements", []), block.get("accessory") or {}]:
                if not isinstance(element, dict) or "action_id" not in element:
                    continue
                values = [o.get("value") for o in element.get("options", [])]
                values.append(element.get("value"))
                found.setdefault(element["action_id"], []).extend(
                    v for v in values if isinstance(v, str))
    return {action: tuple(dict.fromkeys(values)) for action, values in found.items()}


async def react(app: Desk, channel: str, text: str, user: str) -> list[Message]:
    """A client's message, and a :ticket: reaction on it; the prompts the desk answers with."""
    ts = app.slack.add_message(channel, user, text)
    await deliver(app.client.session, app.client.url, Payload("setup", "event", envelope({
        "type": "reaction_added", "user": user, "reaction": "ticket",
        "item": {"type": "message", "channel": channel, "ts": ts}, "item_user": user,
        "event_ts": ts})), 0)
    with contextlib.suppress(AssertionError):
        await app.slack.wait_for(lambda: app.slack.posts(channel, thread_ts=ts), timeout=5)
    await drained(app.runtime)
    return app.slack.posts(channel, thread_ts=ts)


async def prepare_world(app: Desk) -> World:
    """Register two clients and open their tickets; the second client's is the victim.

    The stand-in must know the users of ``tests.conftest`` (its ``slack`` fixture adds them).
    """
    for channel, name in ((VICTIM_CHANNEL, "globex-support"), (UNREGISTERED, "nobody"),
                          (PRIVATE, "acme-private")):
        app.slack.add_channel(channel, name)
    await register_client(app.runtime, channel=CLIENT_CHANNEL, name="Acme Media")
    await register_client(app.runtime, channel=VICTIM_CHANNEL, name="Globex", phone=None)
    staff = Actor(STAFF, TEAM_ID)
    own_open = await open_ticket(app, "Acme: videos stutter", "High", "Since 9:00.")
    victim = await open_ticket(app, f"Payroll export {SECRET}", "Low",
                               f"The export of {SECRET} fails.", channel=VICTIM_CHANNEL)
    own_claimed = await open_ticket(app, "Acme: CMS is slow", "Medium", "Saving takes 30 s.")
    await app.runtime.desk.tickets.claim(own_claimed, staff)
    own_resolved = await open_ticket(app, "Acme: a typo", "Low", "On the login page.")
    await app.runtime.desk.tickets.claim(own_resolved, staff)
    await app.runtime.desk.tickets.resolve(own_resolved, "Fixed the typo.", staff)
    await drained(app.runtime)
    own_prompts = await react(app, CLIENT_CHANNEL, "Uploads fail\nSince noon.", CLIENT_USER)
    victim_prompts = await react(app, VICTIM_CHANNEL, f"{SECRET} is down\nAll of it.",
                                 EXTERNAL)
    own = (own_open, own_claimed, own_resolved)
    mine = [await ticket(app.runtime, n) for n in own]
    theirs = await ticket(app.runtime, victim)
    assert theirs.client_ts and theirs.triage_ts, theirs

    def posts_of(t: Ticket) -> list[Message]:
        return [m for m in app.slack.messages.values()
                if (m.channel, m.thread_ts or m.ts) in {(t.channel, t.client_ts),
                                                        (TRIAGE, t.triage_ts)}]

    last = max(own, default=0)
    return World(
        client_channel=CLIENT_CHANNEL, victim_channel=VICTIM_CHANNEL,
        channels=(CLIENT_CHANNEL, TRIAGE, UNREGISTERED, PRIVATE, UNKNOWN_CHANNEL, DM),
        staff=(STAFF, STAFF_2, AM, LEAD, BOT_USER),
        outsiders=(CLIENT_USER, EXTERNAL, GUEST, "U0NOBODY01", "W0ENTERPR1", "USLACKBOT"),
        teams={STAFF: TEAM_ID, STAFF_2: TEAM_ID, AM: TEAM_ID, LEAD: TEAM_ID,
               BOT_USER: TEAM_ID, GUEST: TEAM_ID, CLIENT_USER: OTHER_TEAM,
               EXTERNAL: OTHER_TEAM},
        own_tickets=(*own, *range(last + 1, last + 6)),
        victim_tickets=(victim,),
        own_threads=tuple(ts for t in mine for ts in (t.client_ts, t.triage_ts) if ts)
        + tuple(m.thread_ts for m in own_prompts if m.thread_ts),
        victim_threads=(theirs.client_ts, theirs.triage_ts),
        places=tuple((t.channel, t.client_ts) for t in mine if t.client_ts)
        + tuple((TRIAGE, t.triage_ts) for t in mine if t.triage_ts)
        + tuple((m.channel, m.thread_ts) for m in own_prompts if m.thread_ts)
        + ((CLIENT_CHANNEL, theirs.client_ts), (TRIAGE, theirs.triage_ts)),
        own_values=harvest([m for t in mine for m in posts_of(t)] + own_prompts),
        victim_values=harvest(posts_of(theirs) + victim_prompts),
    )


# -- text, numbers, odd values ------------------------------------------------------------
#
# The builders are cached (``functools.cache``, a ``World`` hashes by identity): hypothesis
# then builds each strategy once, not on every draw.

WHITESPACE: Final = (" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029"
                     "\u202f\u205f\u3000\u200b\ufeff")
"""What ``str.strip`` removes, and two it does not (zero-width space, BOM)."""
ODD_CATEGORIES: Final = ("Cc", "Cf", "Zl", "Zp", "Zs", "Mn", "Me", "Co", "So", "Nd", "No")
HUGE_DIGITS: Final = "9" * 5000
"""More digits than ``int()`` converts (4300 by default)."""
ODD_TEXTS: Final = (
    "", " ", "list", "LIST", " List ", "list me", "T-", "T-²", "T-①", "T-٣", "T-１２",
    "t-1001", "T-0", "T-00", "T--1", "T-1e3", "T-1_000", "T- 1", "T-+1", "T-" + HUGE_DIGITS,
    HUGE_DIGITS, "\u2028", "\u2029", "T-1001\u2028", "\u2028list", "\x00", "\x1b[31mred",
    "\ufeff", "\u202eevil", "<!channel>", "<!here>", "<@U0STAFF001>", "<#C0TRIAGE01>",
    "*bold* _it_ ~s~", "```code```", "&amp;&lt;&gt;", "%00", "null", "{}", "[]", "\\", '"',
    "'; DROP TABLE tickets; --", "\U0001f3ab" * 50, "e\u0301" * 100, "\r\n" * 10,
    "a\x00b", "\U0001f3ab T-1001", "list\x00",
)
"""Texts known to be odd: empty, ``list`` and ticket keys in every spelling, digits that
are not ASCII (``int('²')`` fails), too many digits, line separators, control and
direction characters, Slack markup and mentions."""
SIZES: Final = (149, 150, 151, 1500, 2999, 3000, 3001, 4000, 4301, 12_000, 40_000)
"""Lengths around Slack's limits (a title 150, a text 3,000) and far over them."""


@functools.cache
def hostile_text(max_size: int = 200) -> SearchStrategy[str]:
    """Any text: plain, unicode, control and format characters, the odd ones, oversized."""
    return st.one_of(
        st.text(max_size=max_size),
        st.sampled_from(ODD_TEXTS),
        st.text(st.characters(categories=ODD_CATEGORIES), max_size=max_size),
        st.builds(operator.add, st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=3),
                  st.sampled_from(ODD_TEXTS)),
        oversized_text(),
    )


@functools.cache
def oversized_text() -> SearchStrategy[str]:
    """Text around and far over Slack's limits (150 for a title, 3000 for a text)."""
    return st.builds(lambda unit, n: (unit * n)[:n],
                     st.sampled_from(("x", "9", "é", "\U0001f3ab", "\u2028", " ", "<", "\x00",
                                      "ab ")),
                     st.sampled_from(SIZES) | st.integers(0, 12_000))


JSON_LEAF: Final[SearchStrategy[Any]] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON_VALUES: Final[SearchStrategy[Any]] = st.recursive(
    JSON_LEAF, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=8)
"""Any JSON value (NaN and Infinity too)."""
NOT_A_STRING: Final[SearchStrategy[Any]] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(),
    st.lists(JSON_LEAF, max_size=3), st.dictionaries(st.text(max_size=8), JSON_LEAF, max_size=3))
"""A value of the wrong type where a string belongs."""

EDGE_NUMBERS: Final = (0, -1, 1, 999, 1000, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63,
                       2**64, -(2**63), 10**100)


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


# -- people, channels, timestamps -----------------------------------------------------------


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


# -- the payloads -----------------------------------------------------------------------------

Kind = Literal["form", "interaction", "event"]


@dataclass(frozen=True)
class Payload:
    """One request to ``/slack/events``: form fields (a slash command, ``ssl_check``), an
    interaction (``payload=`` JSON in a form) or an Events API JSON body."""

    family: str
    kind: Kind
    body: Mapping[str, Any]
    retry_num: int | None = None
    """``X-Slack-Retry-Num``: Slack redelivering an event."""

    def encoded(self, serial: int) -> tuple[str, str]:
        """The body with its fresh ids, and its content type."""
        body = fresh(self.body, serial)
        if self.kind == "form":
            return (urlencode({k: str(v) for k, v in body.items()}),
                    "application/x-www-form-urlencoded")
        if self.kind == "interaction":
            return urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
        return json.dumps(body), "application/json"


def fresh(value: Any, serial: int) -> Any:
    """``value`` with every ``FRESH`` replaced by an id of ``serial``'s own (and any MISSING
    left out)."""
    if value == FRESH:
        return f"{serial}.fuzz{serial:06d}"
    if isinstance(value, Mapping):
        return {k: fresh(v, serial) for k, v in value.items() if v is not MISSING}
    if isinstance(value, list):
        return [fresh(v, serial) for v in value if v is not MISSING]
    return value


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


def families(world: World) -> dict[str, SearchStrategy[Payload]]:
    """Every payload family, by name, one per handler Slack can reach: ``/ticket``, each
    ``ActionId`` (and an unknown one), each ``CallbackId`` (and an unknown one), the
    shortcut, each event type the manifest subscribes to, and the envelopes."""
    return {
        "command /ticket": commands(world),
        **{f"block_actions {a.value}": block_actions(world, (a.value,)) for a in ActionId},
        "block_actions (unknown id)": block_actions(world, ("unknown_action", "")),
        **{f"view_submission {c.value}": view_submissions(world, (c.value,))
           for c in CallbackId},
        "view_submission (unknown id)": view_submissions(world, ("unknown_modal", "")),
        "shortcut": message_shortcuts(world),
        **{f"event {t}": events(world, t) for t in event_types()},
        "envelope": envelopes(world),
    }


# -- sending, settling, checking ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    """The HTTP status; 0 when no answer came at all."""
    seconds: float
    body: str


async def deliver(session: aiohttp.ClientSession, url: str, payload: Payload, serial: int,
                  *, timeout: float = 20.0) -> Answer:
    """Sign ``payload`` as Slack signs it and post it to ``url`` (``.../slack/events``)."""
    text, content_type = payload.encoded(serial)
    headers = signed_headers(text, content_type=content_type)
    if payload.retry_num is not None:
        headers.update({"X-Slack-Retry-Num": str(payload.retry_num),
                        "X-Slack-Retry-Reason": "http_timeout"})
    started = time.perf_counter()
    try:
        async with session.post(url, data=text.encode(), headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            body = await response.text(errors="replace")
            return Answer(response.status, time.perf_counter() - started, body)
    except (TimeoutError, aiohttp.ClientError) as exc:
        return Answer(0, time.perf_counter() - started, repr(exc))


async def settle(runtime: Runtime, timeout: float = 10.0) -> None:
    """Wait for the work a request set off: what listeners started after the ack, and the
    jobs due now (a job retried later is not waited for)."""
    deadline = time.monotonic() + timeout
    while handlers._running:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"after-ack work still running after {timeout} s")
        await asyncio.wait(set(handlers._running), timeout=left)
    await drained(runtime, max(0.1, deadline - time.monotonic()))


def _frames(record: logging.LogRecord) -> list[str]:
    if record.exc_info and record.exc_info[2] is not None:
        return [f.filename for f in traceback.extract_tb(record.exc_info[2])]
    return []


def from_standin(record: logging.LogRecord) -> bool:
    """A record of the Slack stand-in's own server failing (not the desk's)."""
    return any(name.endswith("slack_standin.py") for name in _frames(record))


def is_problem(record: logging.LogRecord) -> bool:
    """A record the desk must never write: ERROR or above, or any carrying a traceback."""
    if from_standin(record):
        return False
    return (record.levelno >= logging.ERROR or record.exc_info is not None
            or bool(record.exc_text) or bool(record.stack_info)
            or "Traceback (most recent call last)" in record.getMessage())


def problems(records: Iterable[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if is_problem(r)]


def first_line(record: logging.LogRecord) -> str:
    lines = record.getMessage().splitlines()
    return lines[0] if lines else ""


def origin(record: logging.LogRecord) -> str:
    """Where the record's exception was raised: the innermost frame of the project's own
    code (else the innermost at all), as ``path:line in function: source``."""
    if not record.exc_info or record.exc_info[2] is None:
        return ""
    frames = traceback.extract_tb(record.exc_info[2])
    own = [f for f in frames if "/site-packages/" not in f.filename
           and not f.filename.startswith("<")] or list(frames)
    frame = own[-1]
    path = Path(frame.filename)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return f"{shown}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()[:120]}"


def exception_lines(record: logging.LogRecord, most: int = 3) -> list[str]:
    """The exception's type and the first lines of its message."""
    if not record.exc_info or record.exc_info[1] is None:
        return []
    exc = record.exc_info[1]
    lines = [line for line in str(exc).splitlines() if line.strip()][:most] or [""]
    return [f"{type(exc).__name__}: {lines[0][:200]}", *(line[:200] for line in lines[1:])]


def describe(record: logging.LogRecord) -> str:
    """The record's logger, level and first line; where its exception came from, and what
    it says."""
    text = f"{record.name} {record.levelname}: {first_line(record)[:300]}"
    if record.exc_info:
        text += "\n    at " + origin(record)
        text += "".join(f"\n    {line}" for line in exception_lines(record))
    return text


@dataclass(frozen=True)
class VictimState:
    tickets: tuple[Ticket, ...]
    messages: tuple[tuple[str, str, str | None, str, int], ...]
    """The victim's posts and every message in their threads: channel, ts, thread, text,
    how often updated."""


async def victim_state(app: Desk, world: World) -> VictimState:
    tickets = tuple([await ticket(app.runtime, n) for n in world.victim_tickets])
    threads = {(t.channel, t.client_ts) for t in tickets} | {(TRIAGE, t.triage_ts)
                                                             for t in tickets}
    messages = sorted((m.channel, m.ts, m.thread_ts, m.text, m.updates)
                      for m in app.slack.messages.values()
                      if (m.channel, m.thread_ts or m.ts) in threads)
    return VictimState(tickets, tuple(messages))


def leaks(slack: SlackStandIn, world: World, since: int) -> list[str]:
    """Calls to Slack since call ``since`` that show the victim's ticket outside its own
    channel and the triage channel."""
    found = []
    for call in slack.calls[since:]:
        if str(call.args.get("channel", "")) in (world.victim_channel, TRIAGE):
            continue
        text = json.dumps(call.args, default=str, ensure_ascii=False)
        if SECRET in text:
            found.append(f"{call.method} {text[:300]}")
    return found


ENVELOPE_KEYS: Final = tuple(envelope({}))


def essentials(payload: Payload) -> dict[str, Any]:
    """The parts of ``payload`` that vary from one payload to the next (the rest is the same
    boilerplate every time); keys left out are shown as ``"(missing)"``."""
    body = payload.body

    def get(source: Any, key: str) -> Any:
        if isinstance(source, Mapping):
            return source.get(key, "(missing)")
        return f"(not an object: {source!r:.40})"

    def pick(source: Any, *keys: str) -> dict[str, Any]:
        return {k: get(source, k) for k in keys}

    kind = body.get("type")
    if payload.kind == "form":
        found = {k: body[k] for k in ("command", "text", "user_id", "team_id", "channel_id",
                                      "ssl_check") if k in body}
        return {**found, **({} if "text" in body or "ssl_check" in body
                            else {"text": "(missing)"})}
    if kind == "block_actions":
        return {"user": get(body, "user"), "channel": get(get(body, "channel"), "id"),
                "message_ts": get(get(body, "container"), "message_ts"),
                "actions": get(body, "actions")}
    if kind == "view_submission":
        return {"user": get(body, "user"),
                **pick(get(body, "view"), "type", "callback_id", "private_metadata", "state")}
    if kind in ("message_action", "shortcut"):
        return pick(body, "type", "callback_id", "user", "channel", "message")
    if kind == "event_callback" or "event" in body:
        missing = [k for k in ENVELOPE_KEYS if k not in body]
        return {"event": get(body, "event"),
                **({"envelope without": missing} if missing else {}),
                **({"retry": payload.retry_num} if payload.retry_num else {})}
    return dict(body)


def essence(payload: Payload, limit: int = 600) -> str:
    """``essentials`` in a line (odd characters escaped), cut to ``limit`` characters."""
    text = f"{payload.family}: " + json.dumps(essentials(payload), default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def summary(payload: Payload, limit: int = 600) -> str:
    """The payload in a line (for reports), cut to ``limit`` characters."""
    text = json.dumps(payload.body, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
