"""The ticket: severities, statuses and the transitions between them.

Pure domain: no Slack, no Redis, no clock of its own (every time is an argument,
in epoch seconds). Refusals are ``TicketError``s whose text carries no markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from bot.domain.text import blank


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def meaning(self) -> str:
        """The meaning shown beside the option (Block Kit caps it at 75 characters)."""
        return _MEANINGS[self]


_MEANINGS = {
    Severity.CRITICAL: "Core function down: no login, no video, no payments; unusable",
    Severity.HIGH: "Major function broken: CMS, encoding or uploads fail",
    Severity.MEDIUM: "Little or no business impact; mostly how-to questions",
    Severity.LOW: "No business impact; how-to questions, cosmetic problems",
}


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_ON_CLIENT = "waiting on client"
    WITH_ENGINEERING = "with engineering"
    RESOLVED = "resolved"


class TicketError(Exception):
    """A change the ticket's rules refuse; the message is fit to show a user."""


class AlreadyClaimed(TicketError):
    """Someone else holds the ticket; ``assignee`` is their user ID (the UI names them)."""

    def __init__(self, key: str, assignee: str) -> None:
        super().__init__(f"{key} is already claimed")
        self.assignee = assignee


WORKING_MOVES: dict[Status, frozenset[Status]] = {
    Status.CLAIMED: frozenset({Status.WAITING_ON_CLIENT, Status.WITH_ENGINEERING}),
    Status.WAITING_ON_CLIENT: frozenset({Status.CLAIMED, Status.WITH_ENGINEERING}),
    Status.WITH_ENGINEERING: frozenset({Status.CLAIMED, Status.WAITING_ON_CLIENT}),
}
"""Moves between the working statuses; claim, resolve and reopen have rules of their own."""


@dataclass(frozen=True)
class StatusChange:
    at: float
    by: str
    old: Status
    new: Status


@dataclass(frozen=True)
class SeverityChange:
    at: float
    by: str
    old: Severity
    new: Severity


@dataclass(frozen=True)
class Assignment:
    """Who was given the ticket (``to``; None: nobody, it was unassigned), by whom (``by``;
    None: the desk, automatically) and when."""

    at: float
    by: str | None
    to: str | None


@dataclass(frozen=True)
class Rating:
    """One person's answer to "How did we do?" (1 poor .. 5 great), with their comment."""

    user: str
    score: int
    at: float
    comment: str | None = None


@dataclass(frozen=True)
class MailThread:
    """A ticket's email thread: the reporter's address, the Message-IDs of the client's
    emails in it (the first opened the ticket), its subject, and who was copied from the
    client's domains."""

    sender: str
    refs: tuple[str, ...]
    subject: str
    cc: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class Ticket:
    number: int
    channel: str
    reporter: str
    title: str
    description: str
    severity: Severity
    created_at: float
    status: Status = Status.OPEN
    assignee: str | None = None
    claimed_at: float | None = None
    first_response_at: float | None = None
    resolved_at: float | None = None
    client_ts: str | None = None
    triage_ts: str | None = None
    severity_changes: tuple[SeverityChange, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()
    resolution: str | None = None
    reopened_at: float | None = None
    last_update_at: float | None = None
    """When staff last wrote to the client in the ticket's thread."""
    engineering_ts: str | None = None
    source_link: str | None = None
    """The client's message the ticket was opened from (shortcut or reaction), if any."""
    previous_resolution: str | None = None
    """The resolution of before the ticket was reopened."""
    awaiting_since: float | None = None
    """When the client wrote, after support's last message, and is waiting for an answer
    (the start of the next-response clock); None when support spoke last."""
    sent: frozenset[str] = field(default_factory=frozenset)
    """What has gone out for this ticket, each once ever: SLA notifications fired
    (``step:generation``) and the effects delivered (their job ids)."""
    ratings: tuple[Rating, ...] = ()
    """CSAT: one rating per person who answered, in the order they first answered."""
    staff_ts: str | None = None
    """Slack's timestamp of support's latest message in the client thread (a reply, or an
    update the desk relayed), once known: the thread's order is Slack's, by Slack's clock."""
    awaiting_ts: str | None = None
    """Slack's timestamp of the client's message ``awaiting_since`` stands for."""
    message_ts: str | None = None
    """The client's message in the channel the ticket was opened from by watching the
    channel (its thread is the ticket's client thread); None for a ticket asked for."""
    card_ts: str | None = None
    """The card's timestamp, in that message's thread (a ticket asked for: its card is
    ``client_ts``, the thread's first message)."""
    mail: MailThread | None = None
    """The email thread of a ticket opened by email: where its answers go."""
    not_request_at: float | None = None
    """When staff closed the ticket as not a request (it is resolved, and counts in no
    report figure)."""
    assignments: tuple[Assignment, ...] = ()
    """Who held the ticket in turn: each assignment, claim and unassignment."""

    @property
    def card_at(self) -> str | None:
        """Where the ticket's card is in the client channel, once posted."""
        return self.card_ts if self.message_ts else self.client_ts

    @property
    def key(self) -> str:
        return ticket_key(self.number)

    @property
    def status_since(self) -> float:
        return self.status_changes[-1].at if self.status_changes else self.created_at


FIRST_NUMBER: Final = 1001
"""The desk's first ticket is T-1001."""


def ticket_key(number: int) -> str:
    return f"T-{number}"


_TICKET_KEY = re.compile(r"T-([0-9]{1,12})", re.ASCII | re.IGNORECASE)


def parse_ticket_key(text: str) -> int | None:
    """``T-1042`` (any case, surrounding spaces allowed) -> 1042; anything else -> None.

    Only ASCII digits, at most 12 of them: ``T-²`` or a number of a thousand digits is
    not a ticket key.
    """
    found = _TICKET_KEY.fullmatch(text.strip())
    return int(found.group(1)) if found else None


def claim(ticket: Ticket, user: str, now: float, *, claim_is_response: bool) -> Ticket:
    """Assign an open ticket to ``user``; a claim does not stop the clock unless configured.

    Claiming again what one already holds (a double click) changes nothing; the assignee's
    Claim of a ticket someone else gave them is recorded: they have taken it up.
    """
    if ticket.assignee == user:
        if awaits_claim(ticket):
            return replace(ticket, assignments=(*ticket.assignments, Assignment(now, user, user)))
        return ticket
    if ticket.assignee is not None:
        raise AlreadyClaimed(ticket.key, ticket.assignee)
    if ticket.status is not Status.OPEN:
        raise TicketError(f"{ticket.key} is {ticket.status.value} and cannot be claimed")
    claimed = replace(_moved(ticket, Status.CLAIMED, user, now), assignee=user, claimed_at=now,
                      assignments=(*ticket.assignments, Assignment(now, user, user)))
    if claim_is_response:
        claimed = record_response(claimed, now)
    return claimed


def awaits_claim(ticket: Ticket) -> bool:
    """Given to its assignee by someone else (or by the desk), and not yet taken up by them
    with their own Claim."""
    if ticket.assignee is None or not ticket.assignments:
        return False
    last = ticket.assignments[-1]
    return last.to == ticket.assignee and last.by != ticket.assignee


def _moved(ticket: Ticket, new: Status, by: str, now: float) -> Ticket:
    change = StatusChange(at=now, by=by, old=ticket.status, new=new)
    return replace(ticket, status=new, status_changes=(*ticket.status_changes, change))


def change_status(ticket: Ticket, new: Status, by: str, now: float) -> Ticket:
    """Move between the working statuses (claim, resolve and reopen have their own rules)."""
    if new is ticket.status:
        return ticket
    if new in (Status.RESOLVED, Status.OPEN) or ticket.status is Status.RESOLVED:
        raise TicketError(f"{ticket.key}: use resolve or reopen for that")
    if ticket.assignee is None:
        raise TicketError(f"{ticket.key} must be claimed first")
    if new not in WORKING_MOVES.get(ticket.status, frozenset()):
        raise TicketError(f"{ticket.key} cannot go from {ticket.status.value} to {new.value}")
    return _moved(ticket, new, by, now)


def resolve(ticket: Ticket, by: str, now: float, resolution: str) -> Ticket:
    if ticket.status is Status.RESOLVED:
        raise TicketError(f"{ticket.key} is already resolved")
    if blank(resolution):
        raise TicketError("a resolution note is required")
    return replace(_moved(ticket, Status.RESOLVED, by, now), resolved_at=now,
                   resolution=resolution.strip(), awaiting_since=None, awaiting_ts=None)


def reopen(ticket: Ticket, by: str, now: float, *, within: float) -> Ticket:
    """Reopen a resolved ticket within ``within`` seconds of its resolution.

    The initial-response clock is one-shot: a reopened ticket never runs it again.
    """
    if ticket.status is not Status.RESOLVED or ticket.resolved_at is None:
        raise TicketError(f"{ticket.key} is not resolved")
    if now - ticket.resolved_at > within:
        raise TicketError(f"{ticket.key} was resolved too long ago to reopen; "
                          "please open a new ticket")
    status = Status.CLAIMED if ticket.assignee else Status.OPEN
    return replace(_moved(ticket, status, by, now), resolved_at=None, resolution=None,
                   reopened_at=now, previous_resolution=ticket.resolution)


def record_response(ticket: Ticket, at: float, ts: str | None = None) -> Ticket:
    """Record a staff message to the client at ``at`` (``ts``: its timestamp in Slack, when
    it is in the thread already): the earliest one is the first response (whatever order
    they come in), the latest is the last update; it answers the client's messages before
    it."""
    first, last = ticket.first_response_at, ticket.last_update_at
    changed = replace(ticket, first_response_at=at if first is None or at < first else first,
                      last_update_at=at if last is None or at > last else last)
    if ts is not None:
        changed = record_staff_message(changed, ts)
    elif changed.awaiting_since is not None and at >= changed.awaiting_since:
        changed = replace(changed, awaiting_since=None, awaiting_ts=None)
    return ticket if changed == ticket else changed


def record_staff_message(ticket: Ticket, ts: str) -> Ticket:
    """Support's message at ``ts`` (Slack's clock) in the client thread, the desk's relayed
    update as much as a reply: it answers the client's message it follows in the thread."""
    latest = ts if ticket.staff_ts is None or float(ts) > float(ticket.staff_ts) else None
    waiting = ticket.awaiting_since
    answers = waiting is not None and (float(ts) >= float(ticket.awaiting_ts)
                                       if ticket.awaiting_ts else float(ts) >= waiting)
    if latest is None and not answers:
        return ticket
    changed = replace(ticket, staff_ts=latest) if latest else ticket
    return replace(changed, awaiting_since=None, awaiting_ts=None) if answers else changed


def record_client_message(ticket: Ticket, at: float, ts: str | None = None) -> Ticket:
    """A message from the client's side in the thread at ``at`` (``ts``: Slack's timestamp):
    after support's latest message, it starts the wait for support's next response (the
    earliest such message counts). After is in Slack's order when support's latest message
    is known there, since the desk's clock and Slack's differ; else by the desk's clock."""
    last = ticket.last_update_at
    if ticket.status is Status.RESOLVED or last is None:
        return ticket
    if ts is not None and ticket.staff_ts is not None:
        after = float(ts) > float(ticket.staff_ts)
    else:
        after = ts is not None or at >= last
    earlier = (ticket.awaiting_since is None
               or (float(ts) < float(ticket.awaiting_ts) if ts and ticket.awaiting_ts
                   else at < ticket.awaiting_since))
    if not (after and earlier):
        return ticket
    return replace(ticket, awaiting_since=at, awaiting_ts=ts)


def change_severity(ticket: Ticket, new: Severity, by: str, now: float) -> Ticket:
    """Set a new severity, recorded with who and when (the SLA recomputes the deadline)."""
    if ticket.status is Status.RESOLVED:
        raise TicketError(f"{ticket.key} is resolved; reopen it to change its severity")
    if new is ticket.severity:
        return ticket
    change = SeverityChange(at=now, by=by, old=ticket.severity, new=new)
    return replace(ticket, severity=new, severity_changes=(*ticket.severity_changes, change))


@dataclass(frozen=True)
class Client:
    """A customer organisation bound to a Slack channel, on a plan, with an account manager."""

    channel: str
    name: str
    plan: str
    account_manager: str | None = None
    phone: str | None = None
    welcome_ts: str | None = None
    email_domains: tuple[str, ...] = ()
    """Senders of these domains write for this client (their email opens its tickets)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "email_domains", tuple(self.email_domains))
    watch: str = "tickets"
    """``messages``: a client member's plain message opens a ticket; ``tickets``: only the
    ways in that ask for one (a client registered before watching existed)."""


@dataclass(frozen=True)
class Versioned:
    """A ticket as read, with the version it was read at (a change is saved only if the
    version is still that one)."""

    ticket: Ticket
    version: int


class Conflict(Exception):
    """The ticket changed since it was read (optimistic concurrency): read again and retry."""


@dataclass(frozen=True)
class IntakeLimit:
    """At most ``most`` tickets per reporter in each ``window`` seconds."""

    most: int
    window: int = 3600


class TooMany(Exception):
    """The reporter reached the intake limit."""

    def __init__(self, most: int) -> None:
        super().__init__(f"more than {most} tickets")
        self.most = most
