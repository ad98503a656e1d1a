"""The ticket: severities, statuses, its record and history, its key; the client it is
for, and a ticket as read with its version. The transitions between statuses are
``bot.domain.transitions``.

Pure domain: no Slack, no Redis, no clock of its own (every time is an argument,
in epoch seconds). Refusals are ``TicketError``s whose text carries no markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from bot.domain.text import N_


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
    Severity.CRITICAL: N_("Core function down: no login, no video, no payments; unusable"),
    Severity.HIGH: N_("Major function broken: CMS, encoding or uploads fail"),
    Severity.MEDIUM: N_("Little or no business impact; mostly how-to questions"),
    Severity.LOW: N_("No business impact; how-to questions, cosmetic problems"),
}


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_ON_CLIENT = "waiting on client"
    WITH_ENGINEERING = "with engineering"
    RESOLVED = "resolved"


class TicketError(Exception):
    """A change the ticket's rules refuse; the message is fit to show a user.

    ``message`` is the text as written, with ``{name}`` fields filled from ``params``: the
    catalog translates the message, then fills it."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


class AlreadyClaimed(TicketError):
    """Someone else holds the ticket; ``assignee`` is their user ID (the UI names them)."""

    def __init__(self, key: str, assignee: str) -> None:
        super().__init__("{key} is already claimed", key=key)
        self.key = key
        self.assignee = assignee


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
    language: str | None = None
    """What the client reads is in this language; None: the desk's ``LANGUAGE``."""


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
