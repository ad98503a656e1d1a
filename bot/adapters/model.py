"""What the store reads and writes besides tickets: versions, armed jobs, SLA events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.domain.jobs import Job
from bot.domain.tickets import Ticket

FIRST_NUMBER: Final = 1001


@dataclass(frozen=True)
class Versioned:
    ticket: Ticket
    version: int


@dataclass(frozen=True)
class Armed:
    """A job to arm with a change, due at ``due`` (epoch seconds; 0: now, by Redis's clock)."""

    job: Job
    due: float = 0.0


@dataclass(frozen=True)
class SlaEvent:
    """An SLA warning or breach as it happened: which clock and step, due and fired when."""

    notification: str
    clock: str
    step: str
    due: float
    fired: float

    @property
    def late_by(self) -> float:
        return max(0.0, self.fired - self.due)


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


class Conflict(Exception):
    """The ticket changed since it was read (optimistic concurrency): read again and retry."""
