"""A ticket's transitions: claimed, moved between the working statuses, resolved, reopened,
its severity changed, and who spoke last in its client thread (support's responses, the
client's messages that wait for one).

Pure domain, as ``bot.domain.tickets``: every time is an argument; refusals are
``TicketError``s whose text carries no markup.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain.text import blank
from bot.domain.tickets import (
    AlreadyClaimed,
    Assignment,
    Severity,
    SeverityChange,
    Status,
    StatusChange,
    Ticket,
    TicketError,
)

WORKING_MOVES: dict[Status, frozenset[Status]] = {
    Status.CLAIMED: frozenset({Status.WAITING_ON_CLIENT, Status.WITH_ENGINEERING}),
    Status.WAITING_ON_CLIENT: frozenset({Status.CLAIMED, Status.WITH_ENGINEERING}),
    Status.WITH_ENGINEERING: frozenset({Status.CLAIMED, Status.WAITING_ON_CLIENT}),
}
"""Moves between the working statuses; claim, resolve and reopen have rules of their own."""


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
        raise TicketError("{key} is {status} and cannot be claimed", key=ticket.key,
                          status=ticket.status)
    claimed = replace(moved(ticket, Status.CLAIMED, user, now), assignee=user, claimed_at=now,
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


def moved(ticket: Ticket, new: Status, by: str, now: float) -> Ticket:
    """The ticket in status ``new``, the move recorded in its history."""
    change = StatusChange(at=now, by=by, old=ticket.status, new=new)
    return replace(ticket, status=new, status_changes=(*ticket.status_changes, change))


def change_status(ticket: Ticket, new: Status, by: str, now: float) -> Ticket:
    """Move between the working statuses (claim, resolve and reopen have their own rules)."""
    if new is ticket.status:
        return ticket
    if new in (Status.RESOLVED, Status.OPEN) or ticket.status is Status.RESOLVED:
        raise TicketError("{key}: use resolve or reopen for that", key=ticket.key)
    if ticket.assignee is None:
        raise TicketError("{key} must be claimed first", key=ticket.key)
    if new not in WORKING_MOVES.get(ticket.status, frozenset()):
        raise TicketError("{key} cannot go from {old} to {new}", key=ticket.key,
                          old=ticket.status, new=new)
    return moved(ticket, new, by, now)


def resolve(ticket: Ticket, by: str, now: float, resolution: str) -> Ticket:
    if ticket.status is Status.RESOLVED:
        raise TicketError("{key} is already resolved", key=ticket.key)
    if blank(resolution):
        raise TicketError("a resolution note is required")
    return replace(moved(ticket, Status.RESOLVED, by, now), resolved_at=now,
                   resolution=resolution.strip(), awaiting_since=None, awaiting_ts=None)


def reopen(ticket: Ticket, by: str, now: float, *, within: float) -> Ticket:
    """Reopen a resolved ticket within ``within`` seconds of its resolution.

    The initial-response clock is one-shot: a reopened ticket never runs it again.
    """
    if ticket.status is not Status.RESOLVED or ticket.resolved_at is None:
        raise TicketError("{key} is not resolved", key=ticket.key)
    if now - ticket.resolved_at > within:
        raise TicketError("{key} was resolved too long ago to reopen; please open a new "
                          "ticket", key=ticket.key)
    status = Status.CLAIMED if ticket.assignee else Status.OPEN
    return replace(moved(ticket, status, by, now), resolved_at=None, resolution=None,
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
        raise TicketError("{key} is resolved; reopen it to change its severity",
                          key=ticket.key)
    if new is ticket.severity:
        return ticket
    change = SeverityChange(at=now, by=by, old=ticket.severity, new=new)
    return replace(ticket, severity=new, severity_changes=(*ticket.severity_changes, change))
