"""A client channel's new ID (Slack gives a channel another one when it becomes shared):
its client record and every ticket of it follow, whether open, resolved or archived, so
that its statement, reports, ratings and reopens all know them as the client's."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.services.changes import Changes
from bot.services.ports import ChannelOutcomes, TicketStore

log = logging.getLogger(__name__)


class Channels:
    def __init__(self, changes: Changes, store: TicketStore, outcomes: ChannelOutcomes) -> None:
        self.changes = changes
        self.store = store
        self.outcomes = outcomes

    async def follow(self, old: str, new: str) -> int:
        """Channel ``old`` is ``new`` now: its client, its tickets (open and resolved: their
        channel and their client thread) and the outcomes of its archived tickets follow.

        Done again (Slack's retry of a delivery that failed midway), it moves what is left.
        Returns how many tickets moved (archived ones aside)."""
        client = await self.store.client(old)
        if client is not None:
            if await self.store.client(new) is not None:
                log.warning("channel %s is said to be now %s, but %s is another client's "
                            "channel: nothing moved", old, new, new)
                return 0
            await self.store.put_client(replace(client, channel=new))
            await self.store.remove_client(old)
        resolved = await self.outcomes.of_channel(old)
        moved = 0
        for current in await self.store.get_many([*await self.store.open_numbers(),
                                                  *resolved]):
            if current is None or current.ticket.channel != old:
                continue  # archived (its outcome follows below), or another channel's
            saved = await self.changes.change(
                current.ticket.number,
                lambda t: replace(t, channel=new) if t.channel == old else t)
            if saved.ticket.client_ts:
                await self.store.index_thread(new, saved.ticket.client_ts, saved.ticket.number)
            moved += 1
        # Last: an outcome still under the old ID is what a retry finds its ticket by.
        archived = await self.outcomes.relabel(resolved, old, new)
        log.info("channel %s is now %s: its client%s, %d ticket(s) and %d archived ticket(s) "
                 "follow", old, new, "" if client else " (none registered)", moved, archived)
        return moved
