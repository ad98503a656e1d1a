"""One run of one job: what its effect handler works with, and the ticket it loads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.adapters.finish import Closing, Finished
from bot.adapters.slack import Slack
from bot.adapters.store import Store
from bot.config.languages import SOURCE
from bot.domain.identity import Identity
from bot.domain.plans import Plan
from bot.domain.sla import Window, response_window
from bot.domain.tickets import Client, Ticket, Versioned
from bot.services.plans import Plans
from bot.services.ports import Now
from bot.slack_ui.words import Words, words_for


class NotReady(Exception):
    """What the job needs is not there yet (the post it replies to): try again later."""


class LeaseLost(Exception):
    """Another worker may hold this job now: stop before any further effect."""


@dataclass(frozen=True)
class DeliveryConfig:
    """The settings effect handlers read."""

    triage_channel: str | None
    engineering_channel: str | None
    reopen_days: int
    """How long a resolved ticket can be reopened (its notice says so)."""
    language: str = SOURCE
    """``LANGUAGE``: staff surfaces' language, and clients' without one of their own."""


@dataclass(frozen=True)
class Deps:
    """What every effect handler works with. What only some use (a service, the mailer,
    the pager) is bound to their handlers by the composition root (``handlers`` of each
    module)."""

    config: DeliveryConfig
    store: Store
    slack: Slack
    plans: Plans
    now: Now


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
    client, plan = await run.deps.plans.client_and_plan(current.ticket.channel)
    return Loaded(current, client, plan, await run.deps.slack.identity())


def staff_words(run: Run) -> Words:
    """What staff read (triage, DMs, the head of support's email): ``LANGUAGE``."""
    return words_for(run.deps.config.language)


def client_words(run: Run, client: Client | None) -> Words:
    """What a client reads: their language, else ``LANGUAGE``."""
    return words_for(client.language if client and client.language
                     else run.deps.config.language)
