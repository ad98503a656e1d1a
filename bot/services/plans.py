"""Each client's plan: by its registration, from the plans the desk is set up with."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.domain.plans import STANDARD, Plan
from bot.domain.tickets import Client
from bot.services.ports import ClientBook

log = logging.getLogger(__name__)


class Plans:
    def __init__(self, clients: ClientBook, table: Mapping[str, Plan]) -> None:
        self.clients = clients
        self.table = table

    def of(self, client: Client | None) -> Plan:
        """A client's plan; an unregistered channel's, or an unknown plan: standard."""
        name = client.plan if client else STANDARD
        plan = self.table.get(name)
        if plan is None:
            log.warning("client %s is on unknown plan %r: using %s",
                        client.channel if client else "-", name, STANDARD)
            return self.table[STANDARD]
        return plan

    async def by_channel(self) -> dict[str, Plan]:
        """Every registered client's plan, in one read (an unregistered channel: standard)."""
        return {c.channel: self.of(c) for c in await self.clients.clients()}

    async def client_and_plan(self, channel: str) -> tuple[Client | None, Plan]:
        client = await self.clients.client(channel)
        return client, self.of(client)
