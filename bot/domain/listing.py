"""A listing of tickets (``/ticket list``, ``/ticket T-1042``): each with its SLA state,
and how many there are in all."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.calendar import Calendar
from bot.domain.sla import ClockState, Window
from bot.domain.tickets import Ticket


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    window: Window
    breached: bool
    clocks: list[ClockState] = field(default_factory=list)
    """The next-response, update and resolution clocks that apply."""
    hours: Calendar | None = None
    """The business hours the ticket's clocks count, if not 24x7."""


@dataclass(frozen=True)
class Listed:
    rows: list[TicketRow]
    total: int
    """How many tickets there are in all (``rows`` are the most urgent of them)."""
