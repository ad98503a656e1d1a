"""In-memory fakes of what the desk keeps besides tickets, as ``bot.adapters.desk_records``
keeps it in Redis (clients, once-records, the thread index), and of the staff directory."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.domain.staff import Member, Organisation
from bot.domain.tickets import Client
from bot.domain.watch import MessageRecords


class FakeRecords:
    """Clients, once-records and the thread index in dicts."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.client_records: dict[str, Client] = {}
        self.remembered: dict[str, float] = {}
        """Once-records: key -> when it expires."""
        self.threads: dict[tuple[str, str], int] = {}
        self.latest: dict[tuple[str, str], tuple[int, float]] = {}
        """Watching messages: (channel, person) -> their latest ticket, and when."""

    async def client(self, channel: str) -> Client | None:
        return self.client_records.get(channel)

    async def put_client(self, client: Client) -> None:
        self.client_records[client.channel] = client

    async def clients(self) -> list[Client]:
        return sorted(self.client_records.values(), key=lambda c: c.name)

    async def remove_client(self, channel: str) -> bool:
        return self.client_records.pop(channel, None) is not None

    async def ticket_for_thread(self, channel: str, thread_ts: str) -> int | None:
        return self.threads.get((channel, thread_ts))

    async def index_thread(self, channel: str, thread_ts: str, number: int) -> None:
        self.threads[(channel, thread_ts)] = number

    async def latest_ticket(self, channel: str, user: str) -> tuple[int, float] | None:
        return self.latest.get((channel, user))

    async def set_latest_ticket(self, channel: str, user: str, number: int, at: float,
                                ttl: int) -> None:
        self.latest[(channel, user)] = (number, at)

    async def lock(self, name: str, ttl: float) -> bool:
        return await self._remember_once(f"lock:{name}", round(ttl))

    async def lock_message(self, name: str, ttl: float, channel: str, ts: str, user: str
                           ) -> tuple[bool, MessageRecords]:
        return await self.lock(name, ttl), await self.message_records(channel, ts, user)

    async def message_records(self, channel: str, ts: str, user: str) -> MessageRecords:
        return MessageRecords(self.threads.get((channel, ts)), self.latest.get((channel, user)))

    async def tie_message(self, channel: str, ts: str, number: int, user: str, at: float,
                          ttl: int, *, unlock: str | None = None) -> None:
        await self.index_thread(channel, ts, number)
        await self.set_latest_ticket(channel, user, number, at, ttl)
        if unlock is not None:
            await self.unlock(unlock)

    async def unlock(self, name: str) -> None:
        self.remembered.pop(f"lock:{name}", None)

    async def _remember_once(self, key: str, ttl: int) -> bool:
        expires = self.remembered.get(key)
        if expires is not None and expires > self.clock():
            return False
        self.remembered[key] = self.clock() + ttl
        return True


class FakeDirectory:
    """The ``ports.Directory`` protocol: the members you add, and the support group."""

    def __init__(self, org: Organisation, *, group: frozenset[str] | None = None) -> None:
        self.org = org
        self.members: dict[str, Member] = {}
        self.group = group
        """The members of the ``SUPPORT_TEAM`` user group; None when it is not a group."""
        self.statuses: dict[str, str] = {}
        """User -> their Slack status emoji."""

    def add(self, *members: Member) -> None:
        for member in members:
            self.members[member.id] = member

    async def organisation(self) -> Organisation:
        return self.org

    async def member(self, user: str) -> Member | None:
        return self.members.get(user)

    async def support_team(self) -> frozenset[str] | None:
        return self.group

    async def status_emoji(self, user: str) -> str:
        return self.statuses.get(user, "")


class FakeRoster:
    """The ``ports.Roster`` protocol in memory: the last choice, the skipped, and the open
    tickets each person holds as the store has them."""

    def __init__(self, clock: Callable[[], float],
                 held: Callable[[str], int] = lambda user: 0) -> None:
        self.clock = clock
        self.held = held
        self.last: str | None = None
        self.skips: dict[str, float] = {}

    async def take_turn(self, pick: Callable[[str | None], str | None]) -> str | None:
        chosen = pick(self.last)
        if chosen is not None:
            self.last = chosen
        return chosen

    async def skip(self, user: str, seconds: float) -> None:
        self.skips[user] = self.clock() + seconds

    async def skipped(self, users: Sequence[str]) -> frozenset[str]:
        return frozenset(u for u in users if self.skips.get(u, 0.0) > self.clock())

    async def busy(self, users: Sequence[str]) -> dict[str, int]:
        return {u: self.held(u) for u in users}
