"""What the listeners work with (``Desk``, built by ``bot.bootstrap``), handed to each of
them through Bolt's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, cast

from slack_bolt.context.async_context import AsyncBoltContext

from bot.domain.identity import Identity
from bot.services.assignment import Assignments
from bot.services.channels import Channels
from bot.services.csat import Ratings
from bot.services.home import Homes
from bot.services.queries import Queries
from bot.services.reports import Reports
from bot.services.tickets import Tickets
from bot.services.watch import Watcher
from bot.slack_ui.words import Words


class OnceRecords(Protocol):
    """Slack's deliveries of an event, handled once (by its event id)."""

    async def begin_once(self, key: str, running_ttl: float, holder: str) -> bool: ...

    async def take_over_once(self, key: str, running_ttl: float, gone: str,
                             holder: str) -> bool: ...

    async def once_state(self, key: str) -> str | None: ...

    async def finish_once(self, key: str, ttl: int) -> None: ...

    async def forget_once(self, key: str, holder: str) -> None: ...


class Prefills(Protocol):
    """What an Open a ticket button pre-fills, by the key its value names."""

    async def prefill(self, key: str) -> str | None: ...


@dataclass(frozen=True)
class Desk:
    tickets: Tickets
    queries: Queries
    homes: Homes
    reports: Reports
    ratings: Ratings
    channels: Channels
    once: OnceRecords
    prefills: Prefills
    identity: Callable[[], Awaitable[Identity]]
    """Who the app is (cached ``auth.test``): for permalinks."""
    tell: Callable[[str, str], Awaitable[object]]
    """A direct message to a person (user ID, text): a refusal decided after the ack."""
    words: Callable[[str | None], Awaitable[Words]]
    """What is said in a channel (or, for None, outside any: DMs, App Home): a client's
    channel speaks the client's language, anywhere else speaks ``LANGUAGE``."""
    staff_words: Words
    """``LANGUAGE``: what is said where no channel is known."""
    assignments: Assignments
    """Assign to and Unassign."""
    watcher: Watcher | None = None
    """Watching client messages (None: plain messages open nothing)."""


def provide(desk: Desk) -> Callable[..., Awaitable[None]]:
    """A middleware that hands the desk to every listener (``desk_of(context)``)."""

    async def provide_desk(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
                           ) -> None:
        context["desk"] = desk
        await next()

    return provide_desk


def desk_of(context: AsyncBoltContext) -> Desk:
    return cast(Desk, context["desk"])
