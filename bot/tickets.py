"""The ticket: severities, statuses and the transitions between them.

Pure domain: no Slack, no Redis, no clock of its own (every time is an argument,
in epoch seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


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
    def __init__(self, assignee: str) -> None:
        super().__init__(f"already claimed by <@{assignee}>")
        self.assignee = assignee


@dataclass(frozen=True)
class SeverityChange:
    at: float
    by: str
    old: Severity
    new: Severity


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
    sent: frozenset[str] = field(default_factory=frozenset)
    """Notifications already delivered, as ``step:generation`` (one each, ever)."""

    @property
    def key(self) -> str:
        return ticket_key(self.number)

    @property
    def responded(self) -> bool:
        return self.first_response_at is not None


def ticket_key(number: int) -> str:
    return f"T-{number}"


def parse_ticket_key(text: str) -> int | None:
    """``T-1042`` (any case, surrounding spaces allowed) -> 1042; anything else -> None."""
    text = text.strip().upper()
    if text.startswith("T-") and text[2:].isdigit():
        return int(text[2:])
    return None


def claim(ticket: Ticket, user: str, now: float, *, claim_is_response: bool) -> Ticket:
    """Assign an open ticket to ``user``; a claim does not stop the clock unless configured.

    Claiming again what one already holds (a double click) changes nothing.
    """
    if ticket.assignee == user:
        return ticket
    if ticket.assignee is not None:
        raise AlreadyClaimed(ticket.assignee)
    if ticket.status is not Status.OPEN:
        raise TicketError(f"{ticket.key} is {ticket.status.value} and cannot be claimed")
    claimed = replace(ticket, status=Status.CLAIMED, assignee=user, claimed_at=now)
    if claim_is_response:
        claimed = record_response(claimed, now)
    return claimed


def record_response(ticket: Ticket, at: float) -> Ticket:
    """Record a staff response at ``at``; the earliest one wins, whatever order they come in."""
    if ticket.first_response_at is not None and ticket.first_response_at <= at:
        return ticket
    return replace(ticket, first_response_at=at)


def change_severity(ticket: Ticket, new: Severity, by: str, now: float) -> Ticket:
    """Set a new severity, recorded with who and when (the SLA recomputes the deadline)."""
    if ticket.status is Status.RESOLVED:
        raise TicketError(f"{ticket.key} is resolved; reopen it to change its severity")
    if new is ticket.severity:
        return ticket
    change = SeverityChange(at=now, by=by, old=ticket.severity, new=new)
    return replace(ticket, severity=new, severity_changes=(*ticket.severity_changes, change))


def mark_sent(ticket: Ticket, notification: str) -> Ticket:
    return replace(ticket, sent=ticket.sent | {notification})


@dataclass(frozen=True)
class Client:
    """A customer organisation bound to a Slack channel, on a plan, with an account manager."""

    channel: str
    name: str
    plan: str
    account_manager: str | None = None
    phone: str | None = None
    welcome_ts: str | None = None
