"""App Home as a person sees it: the sections of their queue, a page of each, and who
looks at App Home (whose Home is kept current)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.tickets import Client, Ticket
from bot.domain.urgency import Urgency

PAGE = 10
"""Tickets per section and page: five sections stay well within Home's 100 blocks."""


class Section(StrEnum):
    MINE = "My tickets"
    UNASSIGNED = "Unassigned"
    AT_RISK = "At risk"
    BREACHED = "Breached"
    CLIENTS = "My clients"


@dataclass(frozen=True)
class HomeRow:
    ticket: Ticket
    client: Client | None
    urgency: Urgency


@dataclass(frozen=True)
class Part:
    """A page of a section: its rows, how many tickets it has in all, which page this is."""

    section: Section
    rows: list[HomeRow]
    total: int
    page: int


@dataclass(frozen=True)
class Home:
    user: str
    staff: bool
    parts: list[Part]
    now: float

    @property
    def shown(self) -> dict[int, None]:
        """The tickets on it (in order, once each)."""
        return {row.ticket.number: None for part in self.parts for row in part.rows}


@dataclass(frozen=True)
class Viewer:
    """A person whose App Home is kept current."""

    user: str
    staff: bool
    shown: frozenset[int]
    """The tickets their Home showed when last published."""
