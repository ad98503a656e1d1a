"""Assignment: a ticket given to someone, by hand or by the desk, and the rule that chooses
who is next. Pure: no I/O, every time an argument."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.domain.text import N_
from bot.domain.tickets import Assignment, Status, StatusChange, Ticket, TicketError


class Rule(StrEnum):
    """``ASSIGNMENT``: how the desk assigns a new ticket, if it does."""

    NONE = "none"
    ROUND_ROBIN = "round-robin"
    LEAST_BUSY = "least-busy"


def assign(ticket: Ticket, to: str, by: str | None, now: float) -> Ticket:
    """Give the ticket to ``to`` (``by``: who did it; None: the desk). An open ticket becomes
    claimed by them, as their own Claim would make it; it is not a response."""
    if ticket.status is Status.RESOLVED:
        raise TicketError("{key} is resolved; reopen it to assign it", key=ticket.key)
    if ticket.assignee == to:
        return ticket
    changed = ticket
    if ticket.status is Status.OPEN:
        move = StatusChange(at=now, by=by or to, old=Status.OPEN, new=Status.CLAIMED)
        changed = replace(ticket, status=Status.CLAIMED,
                          status_changes=(*ticket.status_changes, move))
    return replace(changed, assignee=to, claimed_at=now,
                   assignments=(*ticket.assignments, Assignment(now, by, to)))


def unassign(ticket: Ticket, by: str, now: float) -> Ticket:
    """Take the ticket from its assignee: a claimed ticket is open again (Claim is offered)."""
    if ticket.status is Status.RESOLVED:
        raise TicketError("{key} is resolved; reopen it first", key=ticket.key)
    if ticket.assignee is None:
        raise TicketError("{key} is not assigned to anyone", key=ticket.key)
    changed = ticket
    if ticket.status is Status.CLAIMED:
        move = StatusChange(at=now, by=by, old=Status.CLAIMED, new=Status.OPEN)
        changed = replace(ticket, status=Status.OPEN,
                          status_changes=(*ticket.status_changes, move))
    return replace(changed, assignee=None, claimed_at=None,
                   assignments=(*ticket.assignments, Assignment(now, by, None)))


def current_assignment(ticket: Ticket) -> Assignment | None:
    """The assignment that gave the ticket to its assignee, if it is still theirs."""
    last = ticket.assignments[-1] if ticket.assignments else None
    if last is None or last.to is None or last.to != ticket.assignee:
        return None
    for earlier in reversed(ticket.assignments):
        if earlier.to != last.to:
            break
        last = earlier  # their own Claim after it does not make it theirs anew
    return last


def held_by(ticket: Ticket) -> frozenset[str]:
    """Everyone the ticket has been given to."""
    return frozenset(a.to for a in ticket.assignments if a.to is not None)


def silent_since(ticket: Ticket, at: float) -> bool:
    """No staff message to the client since ``at``."""
    return ticket.last_update_at is None or ticket.last_update_at < at


def handover_due(ticket: Ticket, after: float) -> tuple[int, float] | None:
    """The hand-over check an open ticket should still have to come, ``after`` seconds
    (``REASSIGN_AFTER``) from its automatic assignment to whoever holds it now: that
    assignment's index and the check's due; None when it has none (assigned by hand,
    taken up with its assignee's own Claim, or answered since)."""
    if ticket.status is Status.RESOLVED or not ticket.assignments:
        return None
    index = len(ticket.assignments) - 1
    held = ticket.assignments[index]
    if held.by is not None or held.to is None or held.to != ticket.assignee:
        return None
    if not silent_since(ticket, held.at):
        return None
    return index, held.at + after


def holder_at(ticket: Ticket, at: float) -> str | None:
    """Who held the ticket at ``at`` (its assignee then), by its assignments."""
    holder = None
    for assignment in ticket.assignments:
        if assignment.at > at:
            break
        holder = assignment.to
    return holder


@dataclass(frozen=True)
class Availability:
    """Who may be given a ticket now, or why nobody may."""

    people: tuple[str, ...]
    """In ascending user-ID order."""
    nobody: str | None = None
    """Why nobody is available: ``nobody on shift``, ``everyone away``..."""


def available(team: Collection[str], *, on_shift: Collection[str], away: Collection[str],
              unreachable: Collection[str], excluded: Collection[str] = ()) -> Availability:
    """The support team's members who are on shift, not away, reachable, not ``excluded``
    (those who held the ticket already, for a hand-over)."""
    members = sorted(set(team) - set(excluded))
    if not members:
        return Availability((), N_("nobody else in the support team") if excluded
                            else N_("nobody in the support team"))
    working = [u for u in members if u in on_shift]
    if not working:
        return Availability((), N_("nobody on shift"))
    present = [u for u in working if u not in away]
    if not present:
        return Availability((), N_("everyone away"))
    reachable = tuple(u for u in present if u not in unreachable)
    if not reachable:
        return Availability((), N_("nobody on shift can be reached by direct message"))
    return Availability(reachable)


def choose(candidates: Sequence[str], last: str | None,
           busy: Mapping[str, int] | None = None) -> str | None:
    """Who is next: in turn, in ascending user-ID order, after ``last`` (the previous
    choice), wrapping around. With ``busy`` (open tickets each holds), only the least busy
    are in the running, ties in turn. None when there is no candidate."""
    pool = sorted(set(candidates))
    if not pool:
        return None
    if busy is not None:
        least = min(busy.get(u, 0) for u in pool)
        pool = [u for u in pool if busy.get(u, 0) == least]
    after = [u for u in pool if last is not None and u > last]
    return after[0] if after else pool[0]
