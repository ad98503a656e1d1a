"""Watching client messages: what a client member writes at the top of a registered client
channel opens a ticket, joins the one they just opened, or lands on the ticket it names;
a pleasantry does nothing. Edits and deletions of a message that opened a ticket follow.

The rules of which message is which are ``bot.domain.watch``; a ticket is opened by the
same service as every other way in (``Tickets.open``), once per message: Slack's
redeliveries and two processes seeing the same event open one ticket.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.domain.jobs import Armed, ClientRelay, FollowUpNote, SeverityNotice, SyncTriage
from bot.domain.text import clean_block, clean_line
from bot.domain.tickets import Severity, Status, Ticket
from bot.domain.transitions import change_severity
from bot.domain.watch import (
    MessageRecords,
    Watch,
    edited,
    is_pleasantry,
    ticket_refs,
    title_from,
    withdrawn,
)
from bot.services.changes import Changes
from bot.services.plans import Plans
from bot.services.ports import Now, TicketStore
from bot.services.staff import Actor, StaffCheck
from bot.services.tickets import NewTicket, OverIntakeLimit, Tickets

log = logging.getLogger(__name__)

HOLD_WAIT = 1.0
"""How long a person's message waits for their previous one to be taken."""
HOLD_TTL = 5.0
"""A person's lock lasts at most this long (its holder died)."""
LATEST_TTL = 86_400
"""How long a person's latest ticket is remembered (follow-ups, the intake limit)."""


@dataclass(frozen=True)
class SharedFile:
    """A file shared with a message: its name, and its link in Slack if known."""

    name: str
    link: str | None = None


@dataclass(frozen=True)
class ClientMessage:
    """A top-level message in a channel, as the author wrote it (Slack's entities read)."""

    channel: str
    user: str
    team: str | None
    ts: str
    text: str
    files: tuple[SharedFile, ...] = ()


class Taken(StrEnum):
    """What a watched message did."""

    IGNORED = "ignored"
    """Not a watched channel, a plan not watched, staff or a bot, or nothing written."""
    PLEASANTRY = "pleasantry"
    NAMED = "named"
    """It named one of the client's open tickets: a client message on it."""
    JOINED = "joined"
    """A follow-up: it joined the author's unanswered ticket."""
    OPENED = "opened"
    SEEN = "seen"
    """Taken already (a redelivery): it opened, joined or named a ticket."""


def description_of(message: ClientMessage) -> str:
    """The whole message, and the files shared with it, one a line."""
    files = [f"File: {f.name}" + (f" ({f.link})" if f.link else "") for f in message.files]
    return "\n".join([message.text, *files]).strip()


class Watcher:
    def __init__(self, tickets: Tickets, changes: Changes, store: TicketStore, plans: Plans,
                 staff: StaffCheck, now: Now, *, group_minutes: float) -> None:
        """``group_minutes``: a person's message within this many minutes of their previous
        one on an unanswered ticket joins it."""
        self.tickets = tickets
        self.changes = changes
        self.store = store
        self.plans = plans
        self.staff = staff
        self.now = now
        self.group = group_minutes * 60

    async def watched(self, channel: str) -> bool:
        """Whether a channel's plain messages are watched (the client record is kept in the
        process: no round trip to Redis)."""
        client, plan = await self.plans.client_and_plan(channel)
        return (client is not None and client.watch == Watch.MESSAGES
                and plan.message_severity is not None)

    async def take(self, message: ClientMessage) -> Taken:
        """A top-level message in ``message.channel``."""
        if not message.files and is_pleasantry(message.text):
            return Taken.PLEASANTRY
        if not message.text.strip() and not message.files:
            return Taken.IGNORED
        client, plan = await self.plans.client_and_plan(message.channel)
        severity = plan.message_severity
        if (client is None or client.watch != Watch.MESSAGES or severity is None
                or not await self.staff.is_client_member(Actor(message.user, message.team))):
            return Taken.IGNORED
        # One message of a person at a time: a follow-up that comes while their request is
        # being opened joins it (Slack may deliver the two at once).
        person = f"watch:{message.channel}:{message.user}"
        held, records = await self.hold(person, message)
        try:
            taken = await self.taken(message, severity, records, person if held else None)
        except BaseException:
            if held:
                await self.store.unlock(person)
            raise
        if held and taken is not Taken.OPENED:  # opening releases it with its last write
            await self.store.unlock(person)
        return taken

    async def hold(self, name: str, message: ClientMessage) -> tuple[bool, MessageRecords]:
        """Take the lock ``name``, waiting up to ``HOLD_WAIT`` for it (False: went on
        without, its holder is slow or gone), and read the message's records with it."""
        for _ in range(round(HOLD_WAIT / 0.02)):
            locked, records = await self.store.lock_message(
                name, HOLD_TTL, message.channel, message.ts, message.user)
            if locked:
                return True, records
            await asyncio.sleep(0.02)
        return False, await self.store.message_records(message.channel, message.ts,
                                                       message.user)

    async def taken(self, message: ClientMessage, severity: Severity, records: MessageRecords,
                    lock: str | None) -> Taken:
        """A client member's message that is no pleasantry, under their ``lock`` (None:
        went on without it), read with it."""
        if records.thread is not None:
            return Taken.SEEN
        at = min(float(message.ts), self.now())
        for number in ticket_refs(message.text):
            if await self.named(number, message, at):
                return Taken.NAMED
        latest = records.latest
        if latest is not None and at - latest[1] <= self.group and await self.join(
                latest[0], message, at):
            return Taken.JOINED
        title = title_from(message.text) or title_from(message.files[0].name)
        try:
            opened = await self.tickets.open(NewTicket(
                channel=message.channel, reporter=message.user, title=title,
                severity=severity, description=description_of(message),
                once=f"message:{message.channel}:{message.ts}", at=at,
                message_ts=message.ts), Actor(message.user, message.team))
        except OverIntakeLimit:
            if latest is not None and await self.join(latest[0], message, at, limit=True):
                return Taken.JOINED
            raise
        # The message's thread is the ticket's: a staff reply there is its response. With
        # it, the person's latest ticket, and their lock released: one round trip.
        await self.store.tie_message(message.channel, message.ts, opened.ticket.number,
                                     message.user, at, LATEST_TTL, unlock=lock)
        return Taken.OPENED

    async def named(self, number: int, message: ClientMessage, at: float) -> bool:
        """A message naming one of this client's open tickets: a client message on it,
        posted in its thread with the author named. False if it is no such ticket."""
        current = await self.store.get(number)
        if (current is None or current.ticket.channel != message.channel
                or current.ticket.status is Status.RESOLVED):
            return False
        relay = ClientRelay(ticket=number, ts=message.ts, by=message.user,
                            text=description_of(message))
        await self.tickets.record_client_message(number, at, message.ts, message.user,
                                                 jobs=[Armed(relay)])
        await self.store.index_thread(message.channel, message.ts, number)
        log.info("T-%d: a message of %s in %s names it", number, message.user,
                 message.channel)
        return True

    async def join(self, number: int, message: ClientMessage, at: float, *,
                   limit: bool = False) -> bool:
        """A follow-up joins the author's unanswered ticket (shown in its triage thread);
        past the intake limit, their latest open ticket, answered or not."""
        current = await self.store.get(number)
        if (current is None or not joinable(current.ticket, message.channel, limit=limit)
                or current.ticket.message_ts == message.ts):  # opened by this message
            return False
        await asyncio.gather(
            self.store.index_thread(message.channel, message.ts, number),
            self.store.enqueue(Armed(FollowUpNote(ticket=number, ts=message.ts,
                                                  by=message.user,
                                                  text=description_of(message)))),
            self.store.set_latest_ticket(message.channel, message.user, number, at,
                                         LATEST_TTL))
        log.info("T-%d: a follow-up of %s joined it%s", number, message.user,
                 " (past the intake limit)" if limit else "")
        return True

    async def edited(self, channel: str, ts: str, text: str) -> None:
        """The message a ticket was opened from was edited: before support answered, the
        ticket's title and description follow."""
        number = await self.opened_by(channel, ts)
        if number is not None:
            message = ClientMessage(channel, "", None, ts, text)
            await self.changes.change(number, lambda t: edited(
                t, title_from(text) or t.title, description_of(message) or t.description),
                jobs=[Armed(SyncTriage(ticket=number))])

    async def deleted(self, channel: str, ts: str) -> None:
        """The message a ticket was opened from was deleted: before support answered, the
        ticket is closed as withdrawn."""
        number = await self.opened_by(channel, ts)
        if number is not None:
            now = self.now()
            await self.changes.change(
                number, lambda t: withdrawn(t, t.reporter, now),
                jobs=[Armed(SyncTriage(ticket=number))])

    async def edit(self, number: int, title: str | None, severity: Severity,
                   description: str | None, actor: Actor) -> None:
        """Staff edit a ticket opened from a message (the shortcut on that message): its
        title and description (None: kept as it is), and its severity by the
        severity-change rule."""
        await self.staff.require(actor, "Only the support team can edit a ticket.")
        now = self.now()

        def apply(t: Ticket) -> Ticket:
            return change_severity(replace(
                t, title=t.title if title is None else clean_line(title),
                description=t.description if description is None else clean_block(description)),
                severity, actor.user, now)

        def jobs(t: Ticket) -> list[Armed]:
            changes = len(t.severity_changes)
            moved = changes and t.severity_changes[-1].at == now
            return [Armed(SyncTriage(ticket=number)), *(
                [Armed(SeverityNotice(ticket=number, change=changes - 1))] if moved else [])]

        await self.changes.change(number, apply, jobs=jobs)
        log.info("T-%d edited by %s", number, actor.user)

    async def message_ticket(self, channel: str, ts: str) -> Ticket | None:
        """The ticket the message at ``ts`` opened, if any (for the shortcut on it)."""
        number = await self.opened_by(channel, ts)
        current = await self.store.get(number) if number is not None else None
        return current.ticket if current else None

    async def opened_by(self, channel: str, ts: str) -> int | None:
        """The ticket the message at ``ts`` opened, if any."""
        number = await self.store.ticket_for_thread(channel, ts)
        if number is None:
            return None
        current = await self.store.get(number)
        return number if current and current.ticket.message_ts == ts else None


def joinable(ticket: Ticket, channel: str, *, limit: bool) -> bool:
    return (ticket.channel == channel and ticket.status is not Status.RESOLVED
            and (limit or ticket.first_response_at is None))
