"""The desk under fuzzing: ``prepare_world`` sets up the world on it; ``deliver`` signs and
sends a payload as Slack does; ``settle`` waits until what it set off is done; and the
checks that nothing reached the victim (``victim_state``, ``leaks``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from bot.bootstrap import Runtime
from bot.domain.tickets import Ticket
from bot.sandbox.slack_side import SlackClientSide, signed_headers
from bot.sandbox.standin import BOT_USER, TEAM_ID, Message, SlackStandIn
from bot.services.staff import Actor
from handlers import acking
from tests.support.desk import drained, register_client, ticket
from tests.support.flows import open_ticket
from tests.support.slackreq import SIGNING_SECRET
from tests.support.strategies.events import envelope
from tests.support.strategies.payload import Payload
from tests.support.strategies.world import (
    DM,
    OTHER_TEAM,
    PRIVATE,
    SECRET,
    UNKNOWN_CHANNEL,
    UNREGISTERED,
    VICTIM_CHANNEL,
    World,
)
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    LEAD,
    STAFF,
    STAFF_2,
    TRIAGE,
)


class Desk(Protocol):
    """A running desk as the fuzzing sees it (``tests.support.desk.RunningApp``)."""

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

    The stand-in must know the users of ``tests.support.workspace`` (the ``slack`` fixture
    adds them).
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
    headers = signed_headers(text, content_type=content_type, secret=SIGNING_SECRET)
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
    while acking._running:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"after-ack work still running after {timeout} s")
        await asyncio.wait(set(acking._running), timeout=left)
    await drained(runtime, max(0.1, deadline - time.monotonic()))


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
    channel, the triage channel and staff's App Home (the queue of every client's)."""
    found = []
    for call in slack.calls[since:]:
        if str(call.args.get("channel", "")) in (world.victim_channel, TRIAGE):
            continue
        if call.method == "views.publish" and call.args.get("user_id") in world.staff:
            continue
        text = json.dumps(call.args, default=str, ensure_ascii=False)
        if SECRET in text:
            found.append(f"{call.method} {text[:300]}")
    return found
