"""What the services need from the world, as protocols (Redis and Slack implement them;
the tests' in-memory fakes do too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from bot.adapters.identity import Identity
from bot.adapters.store import Armed, IntakeLimit, SlaEvent, Versioned
from bot.domain.reports import Outcome
from bot.domain.sla import Timer
from bot.domain.staff import Member, Organisation
from bot.domain.tickets import Client, Ticket
from bot.domain.urgency import Urgency

Clock = Callable[[], float]
"""Epoch seconds now (Redis's clock, as ``bot.adapters.clock`` reads it)."""


class TicketStore(Protocol):
    async def create(self, draft: Ticket, *, once: str | None, once_ttl: int,
                     jobs: Sequence[Armed], timers: Sequence[Timer],
                     limit: IntakeLimit | None = None,
                     urgency: Urgency | None = None) -> tuple[Versioned, bool]: ...

    async def save(self, current: Versioned, ticket: Ticket, *, jobs: Sequence[Armed] = (),
                   timers: Sequence[Timer], urgency: Urgency | None = None,
                   outcome: Outcome | None = None) -> Versioned: ...

    async def sla_events(self, number: int) -> list[SlaEvent]: ...

    async def commit_effects(self, current: Versioned, *, marks: Sequence[str] = (),
                             jobs: Sequence[Armed] = (),
                             timers: Sequence[Timer] | None = None,
                             fired: SlaEvent | None = None) -> bool | None: ...

    async def rebuild_many(self, items: Sequence[tuple[Versioned, Sequence[Armed],
                                                       Sequence[Timer]]],
                           urgencies: Sequence[Urgency] | None = None) -> list[bool]: ...

    async def enqueue(self, armed: Armed) -> None: ...

    async def get(self, number: int) -> Versioned | None: ...

    async def get_many(self, numbers: Sequence[int]) -> list[Versioned | None]: ...

    async def open_numbers(self) -> list[int]: ...

    async def ticket_for_thread(self, channel: str, thread_ts: str) -> int | None: ...

    async def enqueue_once(self, once: str, ttl: int, armed: Armed) -> bool: ...

    async def client(self, channel: str) -> Client | None: ...

    async def clients(self) -> list[Client]: ...

    async def put_client(self, client: Client) -> None: ...

    async def remove_client(self, channel: str) -> bool: ...

    async def index_thread(self, channel: str, thread_ts: str, number: int) -> None: ...

    async def set_message_ts(self, ticket: Ticket, name: str, ts: str) -> bool: ...


class TicketIndex(Protocol):
    async def most_urgent(self, most: int, channel: str | None = None
                          ) -> tuple[list[int], int]: ...


class Directory(Protocol):
    async def organisation(self) -> Organisation: ...

    async def member(self, user: str) -> Member | None: ...

    async def support_team(self) -> frozenset[str] | None: ...


class Cards(Protocol):
    """Slack's copy of the desk's posts: which ticket's card a message is."""

    async def identity(self) -> Identity: ...

    async def card_at(self, channel: str, ts: str) -> str | None: ...
