"""What the services need from the world, as protocols: Redis, Slack and the metrics
implement them (``bot.adapters``), and so do the tests' in-memory fakes. Nothing here
imports an adapter: what crosses a port is the domain's own records."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Protocol

from bot.domain.home import Viewer
from bot.domain.identity import Identity
from bot.domain.jobs import Armed
from bot.domain.reports import OpenedBetween, Outcome, Unresolved
from bot.domain.sla import SlaEvent, Timer
from bot.domain.staff import Member, Organisation
from bot.domain.stamps import Swept
from bot.domain.tickets import Client, IntakeLimit, Ticket, Versioned
from bot.domain.urgency import Ranked, Ranking, Urgency
from bot.domain.watch import MessageRecords

Now = Callable[[], float]
"""Epoch seconds now (the desk's clock: Redis's, as ``bot.adapters`` reads it)."""

Count = Callable[[str], object]
"""Counts one more of what a label names (a metric)."""


class ClientBook(Protocol):
    """The registered clients, by channel."""

    async def client(self, channel: str) -> Client | None: ...

    async def clients(self) -> list[Client]: ...


class TicketStore(ClientBook, Protocol):
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
                           urgencies: Sequence[Urgency] | None = None,
                           swept: Sequence[Swept] | None = None) -> list[bool]: ...

    async def unswept(self, numbers: Sequence[int], rules: Mapping[str, str], other: str
                      ) -> tuple[list[Versioned], int]: ...

    async def enqueue(self, armed: Armed) -> None: ...

    async def get(self, number: int) -> Versioned | None: ...

    async def get_many(self, numbers: Sequence[int]) -> list[Versioned | None]: ...

    async def open_numbers(self) -> list[int]: ...

    async def ticket_for_thread(self, channel: str, thread_ts: str) -> int | None: ...

    async def enqueue_once(self, once: str, ttl: int, armed: Armed) -> bool: ...

    async def put_client(self, client: Client) -> None: ...

    async def remove_client(self, channel: str) -> bool: ...

    async def index_thread(self, channel: str, thread_ts: str, number: int) -> None: ...

    async def set_message_ts(self, ticket: Ticket, name: str, ts: str) -> bool: ...

    async def clear_message_ts(self, number: int, name: str) -> None: ...

    async def latest_ticket(self, channel: str, user: str) -> tuple[int, float] | None: ...

    async def lock(self, name: str, ttl: float) -> bool: ...

    async def unlock(self, name: str) -> None: ...

    async def set_latest_ticket(self, channel: str, user: str, number: int, at: float,
                                ttl: int) -> None: ...

    async def lock_message(self, name: str, ttl: float, channel: str, ts: str, user: str
                           ) -> tuple[bool, MessageRecords]: ...

    async def message_records(self, channel: str, ts: str, user: str) -> MessageRecords: ...

    async def tie_message(self, channel: str, ts: str, number: int, user: str, at: float,
                          ttl: int, *, unlock: str | None = None) -> None: ...


class TicketIndex(Protocol):
    """The open tickets, most urgent first, without reading them all."""

    async def most_urgent(self, most: int, channel: str | None = None
                          ) -> tuple[list[int], int]: ...


class Rankings(Protocol):
    """Rankings of open tickets by urgency, read together (App Home's sections)."""

    async def ranked(self, asks: Sequence[tuple[Ranking, float | None, int]]
                     ) -> list[Ranked]:
        """For each (ranking, up to a deadline (None: all), how many): its first tickets
        and how many it has in all."""
        ...

    async def at_risk(self, now: float, most: int) -> Ranked:
        """Tickets past their first warning and before their deadline, soonest first."""
        ...


class HomeViewers(Protocol):
    """Who looks at App Home (whose Home is kept current), and which page of each section."""

    async def opened(self, user: str, *, staff: bool, now: float) -> None: ...

    async def turn(self, user: str, section: str, page: int) -> None: ...

    async def pages(self, user: str) -> dict[str, int]: ...

    async def viewers(self) -> list[Viewer]: ...


class Directory(Protocol):
    async def organisation(self) -> Organisation: ...

    async def member(self, user: str) -> Member | None: ...

    async def support_team(self) -> frozenset[str] | None: ...


class Cards(Protocol):
    """Slack's copy of the desk's posts: which ticket's card a message is."""

    async def identity(self) -> Identity: ...

    async def card_at(self, channel: str, ts: str) -> str | None: ...


class ChannelNames(Protocol):
    """The names of the channels the app is in, by channel ID."""

    async def channel_names(self) -> Mapping[str, str]: ...


class OutcomeReader(Protocol):
    """The tickets opened in a period, as reports count them."""

    async def opened(self, start: float, end: float) -> OpenedBetween: ...

    def unresolved(self, numbers: Sequence[int]) -> AsyncIterator[Unresolved]: ...


class ChannelOutcomes(Protocol):
    """What resolved tickets leave for reports, by channel."""

    async def of_channel(self, channel: str) -> list[int]: ...

    async def relabel(self, numbers: Sequence[int], old: str, new: str) -> int: ...


class Archive(Protocol):
    """Resolved tickets archived to their outcomes; outcomes dropped past keeping."""

    async def archive(self, before: float) -> int: ...

    async def retire(self, before: float) -> int: ...

    async def index_created(self) -> int: ...


class FileStash(Protocol):
    """Where an email's attachments wait until they are uploaded into the ticket's thread."""

    async def put_file(self, key: str, name: str, data: bytes, ttl: int) -> None: ...

    async def file(self, key: str) -> tuple[str, bytes] | None: ...


class MailRefs(Protocol):
    """Which ticket's email thread a client's Message-ID is in (a reply to the client's own
    email, not to the desk's, is found by it)."""

    async def put_mail_ref(self, message_id: str, number: int, ttl: int) -> None: ...

    async def mail_ref(self, message_ids: Sequence[str]) -> int | None: ...


class Presence(Protocol):
    """Whether a person shows they are away: their Slack status emoji (read at most once
    a minute per person)."""

    async def status_emoji(self, user: str) -> str: ...


class Roster(Protocol):
    """Automatic assignment's shared state: whose turn it is, who is skipped for a while,
    how many open tickets each person holds."""

    async def take_turn(self, pick: Callable[[str | None], str | None]) -> str | None:
        """Atomically, across processes: the next one ``pick`` chooses after the previous
        choice (None: none yet), recorded as the previous choice."""
        ...

    async def skip(self, user: str, seconds: float) -> None: ...

    async def skipped(self, users: Sequence[str]) -> frozenset[str]: ...

    async def busy(self, users: Sequence[str]) -> dict[str, int]: ...
