"""How urgent an open ticket is: the soonest deadline of its running clocks, and when it
turns at risk (its first warning). Pure: the queue's order (App Home, ``/ticket list``)
and its sections are read from these two times and the time now.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.plans import Plan
from bot.domain.sla import Running, ladder_of, running
from bot.domain.tickets import Status, Ticket


class Standing(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    """Past its first warning, before its deadline."""
    BREACHED = "breached"
    """Past the deadline of a clock that still runs."""


@dataclass(frozen=True)
class Urgency:
    due: float | None
    """The soonest deadline of the clocks that run now (None: none runs)."""
    warn: float | None
    """When the ticket turns at risk: the earliest first warning of those clocks."""

    def standing(self, now: float) -> Standing:
        if self.due is not None and now >= self.due:
            return Standing.BREACHED
        if self.warn is not None and now >= self.warn:
            return Standing.AT_RISK
        return Standing.ON_TRACK

    def left(self, now: float) -> float | None:
        """Seconds to the soonest deadline (negative once past it)."""
        return None if self.due is None else self.due - now


NOT_RUNNING = Urgency(None, None)


def urgency(ticket: Ticket, plan: Plan, warn_at: float, clocks: Running | None = None
            ) -> Urgency:
    """The ticket's urgency under ``plan``: the initial-response, next-response and
    resolution clocks warn at their ladder's first share; an update owed has no warning.
    (``clocks``: its ``running``, if worked out already.)"""
    if ticket.status is Status.RESOLVED:
        return NOT_RUNNING
    now_running, update = clocks or running(ticket, plan)
    dues: list[float] = []
    warns: list[float] = []
    for clock, window in now_running.items():
        shares = [r.share for r in ladder_of(ticket, plan, clock, warn_at)
                  if r.share is not None]
        dues.append(window.deadline)
        warns.append(window.warning_due(min(shares)) if shares else window.deadline)
    if update is not None:
        dues.append(update.due)
        warns.append(update.due)
    return Urgency(min(dues, default=None), min(warns, default=None))


@dataclass(frozen=True)
class ByDeadline:
    """Every open ticket, soonest deadline first."""


@dataclass(frozen=True)
class ByHolder:
    """The open tickets ``user`` holds (None: those nobody holds), soonest deadline first."""

    user: str | None


@dataclass(frozen=True)
class ByClients:
    """The open tickets of these client channels, as one ranking, soonest deadline first."""

    channels: tuple[str, ...]


Ranking = ByDeadline | ByHolder | ByClients
"""A ranking of open tickets by urgency: what the queue's sections and lists read."""


@dataclass(frozen=True)
class Ranked:
    """The first tickets of a ranking, and how many it has in all."""

    numbers: list[int]
    total: int
