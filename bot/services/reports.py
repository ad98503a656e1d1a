"""SLA reports: ``/ticket report`` for staff, and each client's monthly statement.

A report covers the tickets opened in its period, resolved or not. It is gathered from
the indexes by creation, never from a scan of the tickets: the outcomes of the resolved
ones (archived ones too), and the tickets still unresolved, whose outcome so far is
worked out at the time of the report. Its figures are the domain's
(``bot.domain.reports``). It goes out by DM as a job: a summary, then the CSV.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.assignee_reports import ByAssignee, assignee_csv
from bot.domain.jobs import Armed, ReportDM
from bot.domain.periods import USAGE, Period, next_statement, parse_report
from bot.domain.reports import Row, figures, tickets_in, to_csv
from bot.domain.tickets import Client, TicketError
from bot.services.opened import opened_in
from bot.services.plans import Plans
from bot.services.ports import ChannelNames, Now, OutcomeReader, TicketStore
from bot.services.staff import Actor, StaffCheck

log = logging.getLogger(__name__)

STATEMENT_TTL = 62 * 86_400
"""How long a statement's arming is remembered: past its month, so it is armed once."""
MOST_NAMED = 10
"""Clients a refusal names; it says how many more there are."""
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{6,})$")


@dataclass(frozen=True)
class Report:
    label: str
    client: Client | None
    rows: list[Row]
    csv: str
    tickets: int
    assignees: list[Row] = field(default_factory=list)
    """A row per assignee (who held each ticket at its first response, else its assignee)."""
    assignee_csv: str = ""

    @property
    def filename(self) -> str:
        who = re.sub(r"[^A-Za-z0-9]+", "-", self.client.name).strip("-").lower() \
            if self.client else "all-clients"
        return f"sla-report-{who or 'client'}-{re.sub(r'[^0-9A-Za-z-]+', '-', self.label)}.csv"

    @property
    def assignee_filename(self) -> str:
        return self.filename.replace("sla-report-", "sla-report-by-assignee-", 1)


class Reports:
    def __init__(self, store: TicketStore, plans: Plans, staff: StaffCheck,
                 outcomes: OutcomeReader, now: Now, names: ChannelNames | None = None) -> None:
        self.store = store
        self.plans = plans
        self.staff = staff
        self.outcomes = outcomes
        self.now = now
        self.names = names

    async def request(self, actor: Actor, text: str, ref: str) -> tuple[Period, Client | None]:
        """``/ticket report [period] [client]``: staff only. The report goes to the asker's
        DMs (a job); returns what it covers. Raises a refusal for a bad period or client."""
        await self.staff.require(actor, "Only the support team can see reports.")
        period, who = parse_report(text, self.now())
        client = await self.client_named(who) if who else None
        await self.store.enqueue(Armed(ReportDM(
            ref=ref, user=actor.user, start=period.start, end=period.end, label=period.label,
            channel=client.channel if client else None)))
        log.info("report %s for %s asked by %s", period.label,
                 client.name if client else "every client", actor.user)
        return period, client

    async def client_named(self, text: str) -> Client:
        """The client a report names: by its channel (``#acme-support`` as typed, which
        Slack sends as it is; ``<#C…|acme-support>``; an ID) or its name (any case, spaces
        or hyphens alike); exactly, else by a unique beginning. Refusals name at most
        ``MOST_NAMED`` clients."""
        typed = text.strip()
        clients = sorted(await self.store.clients(), key=lambda c: c.name.lower())
        found = _CHANNEL.match(typed)
        if found:
            channel = found.group(1) or found.group(2)
            match = [c for c in clients if c.channel == channel]
        else:
            match = await self._by_name(typed, clients)
        if len(match) == 1:
            return match[0]
        if match:
            raise TicketError("{typed} names more than one client ({listed}); give more "
                              "of the name", typed=repr(typed), listed=_listed(match))
        raise TicketError("No client {typed} (clients: {listed}). Usage: {usage}",
                          typed=repr(typed), listed=_listed(clients) or "none registered",
                          usage=USAGE)

    async def _by_name(self, typed: str, clients: list[Client]) -> list[Client]:
        """By the client's name; by its channel's too (Slack's, read only for a ``#name``
        or a name no client has)."""
        wanted = _folded(typed)
        names = {c.channel: {_folded(c.name)} for c in clients}
        if self.names and (typed.startswith("#") or not _matching(wanted, clients, names)):
            for channel, name in (await self.names.channel_names()).items():
                if channel in names:
                    names[channel].add(_folded(name))
        return _matching(wanted, clients, names)

    async def build(self, start: float, end: float, label: str,
                    channel: str | None = None) -> Report:
        """The figures of the tickets opened from ``start`` to ``end``, of one client's
        channel or of every client."""
        clients = await self.store.clients()
        names = {c.channel: c.name for c in clients}
        plans = {c.channel: self.plans.of(c) for c in clients}
        standard = self.plans.of(None)
        found = await opened_in(self.outcomes, start, end,
                                lambda ch: plans.get(ch, standard), self.now(),
                                channel)
        holders = ByAssignee()
        rows = figures(holders.watching(found), names)
        client = next((c for c in clients if c.channel == channel), None)
        assignees = holders.rows()
        return Report(label, client, rows, to_csv(rows), tickets_in(rows), assignees,
                      assignee_csv(assignees))

    async def arm_statements(self) -> int:
        """Arm each client's next monthly statement (the 1st, 09:00 in its calendar's
        timezone, UTC without one), once ever per client and month, whoever arms it and
        however often. How many were armed now."""
        now = self.now()
        armed = 0
        for client in await self.store.clients():
            calendar = self.plans.of(client).calendar
            due, month = next_statement(now, calendar.timezone if calendar else "UTC")
            ref = f"statement:{client.channel}:{month.label}"
            armed += await self.store.enqueue_once(ref, STATEMENT_TTL, Armed(ReportDM(
                ref=ref, user=None, start=month.start, end=month.end, label=month.label,
                channel=client.channel), due))
        return armed


def _folded(name: str) -> str:
    """A name as typed or registered, compared: no ``#``, any case, spaces, hyphens and
    underscores alike."""
    return re.sub(r"[\s_-]+", "-", name.strip().removeprefix("#").strip().lower())


def _listed(clients: Sequence[Client]) -> str:
    """At most ``MOST_NAMED`` clients' names, and how many more."""
    more = len(clients) - MOST_NAMED
    return ", ".join(c.name for c in clients[:MOST_NAMED]) + (
        f" and {more} more" if more > 0 else "")


def _matching(wanted: str, clients: list[Client], names: Mapping[str, set[str]]
              ) -> list[Client]:
    """The clients one of whose names is ``wanted``, else begins with it."""
    return [c for c in clients if wanted in names[c.channel]] or [
        c for c in clients if any(n.startswith(wanted) for n in names[c.channel])]
