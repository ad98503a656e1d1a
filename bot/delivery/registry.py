"""The registry of effect handlers by job kind, and what a handler runs with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.adapters.finish import Closing, Finished
from bot.adapters.hooks import Pager, Webhook
from bot.adapters.identity import Identity
from bot.adapters.mail import Mailer
from bot.adapters.slack import Slack
from bot.adapters.store import Store, Versioned
from bot.config import Settings
from bot.domain.jobs import Job, JobKind
from bot.domain.plans import Plan
from bot.domain.sla import Window, response_window
from bot.domain.tickets import Client, Ticket
from bot.services.changes import Changes
from bot.services.home import Homes
from bot.services.reminders import Reminders
from bot.services.reports import Reports
from bot.services.retention import Retention
from bot.services.staff import StaffCheck


class NotReady(Exception):
    """What the job needs is not there yet (the post it replies to): try again later."""


class LeaseLost(Exception):
    """Another worker may hold this job now: stop before any further effect."""


@dataclass(frozen=True)
class Deps:
    """What effect handlers work with."""

    settings: Settings
    store: Store
    slack: Slack
    mailer: Mailer | None
    changes: Changes
    reminders: Reminders
    staff: StaffCheck
    homes: Homes
    pager: Pager | None = None
    webhook: Webhook | None = None
    reports: Reports | None = None
    retention: Retention | None = None


Write = Callable[[Closing | None], Awaitable[Finished]]
"""A job's last write, given the lease to ack with it (None: no lease to ack here)."""


async def unleased(write: Write) -> Finished:
    return await write(None)


@dataclass(frozen=True)
class Run:
    """One run of one job."""

    deps: Deps
    again: bool
    """An earlier attempt may have reached Slack before failing: look before posting."""
    now: float
    """The queue's clock when the job was claimed: a timer fires by the clock that made it
    due."""
    fence: Callable[[], Awaitable[None]]
    """Renew the lease now; raises LeaseLost if it is gone. Called before an effect that
    cannot be looked up afterwards (an email)."""
    close: Callable[[Write], Awaitable[Finished]] = unleased
    """Run the job's last write, which acks the job in the same step (``Store.finish``)."""
    ticket: Versioned | None = None
    """The job's ticket, when it was read with the job's lease (a job taken on at once by
    the job before it): ``load`` does not read it again."""


@dataclass(frozen=True)
class Loaded:
    """A ticket with what rendering it needs."""

    current: Versioned
    client: Client | None
    plan: Plan
    identity: Identity

    @property
    def ticket(self) -> Ticket:
        return self.current.ticket

    @property
    def window(self) -> Window:
        return response_window(self.ticket, self.plan)

    def thread_link(self) -> str | None:
        t = self.ticket
        return self.identity.permalink(t.channel, t.client_ts) if t.client_ts else None

    def triage_link(self, triage_channel: str | None) -> str | None:
        t = self.ticket
        return (self.identity.permalink(triage_channel, t.triage_ts)
                if t.triage_ts and triage_channel else None)


async def load(run: Run, number: int) -> Loaded | None:
    read = run.ticket
    current = (read if read is not None and read.ticket.number == number
               else await run.deps.store.get(number))
    if current is None:
        return None
    client, plan = await run.deps.changes.client_and_plan(current.ticket.channel)
    return Loaded(current, client, plan, await run.deps.slack.identity())


J = TypeVar("J")
Handler = Callable[[Any, Run], Awaitable[None]]


class Registry:
    """Job kind -> the function that delivers it (arq's way: by name, not an if-chain)."""

    def __init__(self) -> None:
        self._handlers: dict[JobKind, Handler] = {}

    def handles(self, kind: JobKind) -> Callable[[Callable[[J, Run], Awaitable[None]]],
                                                 Callable[[J, Run], Awaitable[None]]]:
        def register(handler: Callable[[J, Run], Awaitable[None]]
                     ) -> Callable[[J, Run], Awaitable[None]]:
            if kind in self._handlers:
                raise ValueError(f"two handlers for {kind}")
            self._handlers[kind] = handler
            return handler

        return register

    async def run(self, job: Job, run: Run) -> None:
        await self._handlers[job.kind](job, run)

    def kinds(self) -> frozenset[JobKind]:
        return frozenset(self._handlers)


REGISTRY = Registry()
