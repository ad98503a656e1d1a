"""Firing an SLA timer: the fencing check, then one job per message the step sends.

The timer's notification is marked fired, its messages armed and the redraws it calls
for (the Homes that show the ticket, a breach's card) armed too, in one script checked
against the ticket's version: a change that lands in between (a staff reply) makes the
timer look again, so nothing stale goes out, nothing goes out twice, and a worker that
stops right after loses nothing. The firing moves the version in turn: a change read
before it (a resolve, whose outcome counts breaches) is made again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.domain.jobs import (
    Armed,
    BreachEmail,
    FireTimer,
    GroupAlert,
    Job,
    RefreshHomes,
    ReminderDM,
    Role,
    SyncCard,
    SyncTriage,
    TriageNote,
)
from bot.domain.plans import Plan
from bot.domain.sla import SlaClock, SlaEvent, Step, Timer, desired_timers
from bot.domain.tickets import Client, Ticket, ticket_key
from bot.services.changes import CONFLICT_RETRIES
from bot.services.plans import Plans
from bot.services.ports import TicketStore
from bot.services.sinks import Sinks

log = logging.getLogger(__name__)


TOLD: dict[Step, tuple[Role, ...]] = {
    Step.WARNING: (Role.ACCOUNT_MANAGER, Role.ASSIGNEE),
    Step.NEXT_WARNING: (Role.ACCOUNT_MANAGER, Role.ASSIGNEE),
    Step.BREACH: (Role.HEAD_OF_SUPPORT,),
    Step.NEXT_BREACH: (Role.HEAD_OF_SUPPORT,),
    Step.UPDATE: (Role.ASSIGNEE,),
    Step.RESOLVE_WARNING: (Role.ASSIGNEE,),
    Step.RESOLVE_BREACH: (Role.ASSIGNEE, Role.HEAD_OF_SUPPORT),
}
"""Who each SLA step tells by DM (docs/clocks.md, "Warnings and breaches")."""
EMAILED = frozenset({Step.BREACH, Step.NEXT_BREACH})
"""The steps that also email the head of support (when they notify them)."""
ROLE_NAMES = {Role.ACCOUNT_MANAGER: "account_manager", Role.ASSIGNEE: "assignee",
              Role.HEAD_OF_SUPPORT: "head_of_support"}
"""How a ladder names each role (PLANS' ``escalation``)."""


def event_name(timer: Timer, sent: Collection[str]) -> str:
    """The ticket event a firing is: a ladder's first warning is ``warning``; the first of a
    deadline's breach notifications to fire is ``breach`` (after an outage that may be a
    re-notification: the ones before it were skipped); the others are ``escalation``."""
    if timer.step is Step.UPDATE:
        return "update_overdue"
    if timer.step.is_breach:
        own = f"{timer.step.value}:{timer.generation}"
        told = any(s == own or s.startswith(own + ":r") for s in sent)
        return "escalation" if told else "breach"
    return "escalation" if timer.rung or timer.repeat else "warning"


class NotDue(Exception):
    """A timer came up before its due time (the ticket changed since it was armed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"due in {seconds:.3f} s")
        self.seconds = seconds


def redraws(ticket: Ticket, timer: Timer) -> list[Job]:
    """What a fired step changes besides its messages: at risk or breached now, the ticket
    moves on the Homes that show it; breached, its card says so."""
    n = ticket.number
    return [*([SyncCard(ticket=n)] if timer.step.is_breach else []), RefreshHomes(ticket=n)]


@dataclass(frozen=True)
class Fired:
    timer: Timer
    jobs: list[Job]
    """The step's messages."""
    follow: list[Job]
    """The redraws it armed with them (``redraws``)."""


class Reminders:
    def __init__(self, store: TicketStore, plans: Plans, sinks: Sinks, *, warn_at: float,
                 support_lead: str | None, breach_email_to: str | None) -> None:
        """``support_lead``: the head of support (``SUPPORT_LEAD``); ``breach_email_to``:
        where breach emails go (None: none is sent, SMTP or the address is not set)."""
        self.store = store
        self.plans = plans
        self.sinks = sinks
        self.warn_at = warn_at
        self.support_lead = support_lead
        self.breach_email_to = breach_email_to

    async def fire(self, job: FireTimer, now: float) -> Fired | None:
        """Fire the timer if the ticket still wants it at ``now`` (the queue's clock).

        Returns what was armed, or None when the timer is no longer wanted.
        Raises NotDue when it came up early.
        """
        store = self.store
        for _ in range(CONFLICT_RETRIES):
            current = await store.get(job.ticket)
            if current is None:
                log.warning("%s: timer for a ticket that does not exist, dropped",
                            ticket_key(job.ticket))
                return None
            ticket = current.ticket
            client, plan = await self.plans.client_and_plan(ticket.channel)
            timer = next((t for t in desired_timers(ticket, plan, now, self.warn_at)
                          if (t.step, t.generation, t.rung, t.repeat)
                          == (job.step, job.generation, job.rung, job.repeat)), None)
            if timer is None:
                log.info("%s: %s timer (generation %s) no longer wanted, dropped", ticket.key,
                         job.step.value, job.generation)
                return None
            # The queue scores due times in whole milliseconds: compare at that grain.
            if round(timer.due * 1000) > round(now * 1000):
                raise NotDue(timer.due - now)
            notify = self.notified(ticket, plan, timer)
            jobs = self.effects(ticket, client, timer, notify)
            follow = redraws(ticket, timer)
            fired = SlaEvent(timer.notification, timer.step.clock.value, timer.step.value,
                          timer.due, now)
            event = self.sinks(ticket, event_name(timer, ticket.sent), now, page="pager" in notify,
                                clock=timer.step.clock.value, step=timer.step.value,
                                due=timer.due, rung=timer.rung, repeat=timer.repeat)
            committed = await store.commit_effects(
                current, marks=[timer.notification],
                jobs=[*(Armed(j) for j in [*jobs, *follow]), *event], fired=fired)
            if committed is None:
                log.warning("%s: %s had fired already (a second run of it), nothing sent",
                            ticket.key, timer.step.value)
                return None
            if committed:
                log.info("%s: %s fired (%d messages)", ticket.key, timer.step.value, len(jobs))
                return Fired(timer, jobs, follow)
        log.error("%s: the ticket kept changing while its %s fired; the next claim retries",
                  ticket_key(job.ticket), job.step.value)
        raise NotDue(0.1)

    def notified(self, ticket: Ticket, plan: Plan, timer: Timer) -> tuple[str, ...]:
        """Whom the timer's step notifies: its rung of the plan's escalation ladder for the
        response clocks; the fixed table for the update cadence and the resolution clock."""
        if timer.step.clock in (SlaClock.INITIAL, SlaClock.NEXT):
            ladder = plan.ladder(ticket.severity, self.warn_at)
            rungs = [r for r in ladder if r.at_breach == timer.step.is_breach]
            if timer.rung < len(rungs):
                return rungs[timer.rung].notify
        return tuple(ROLE_NAMES[role] for role in TOLD[timer.step])

    def effects(self, ticket: Ticket, client: Client | None, timer: Timer,
                notify: Sequence[str] | None = None) -> list[Job]:
        """The messages of one SLA step, each a job of its own."""
        n, step, gen = ticket.number, timer.step, timer.generation
        rung = {"rung": timer.rung, "repeat": timer.repeat}
        names = tuple(ROLE_NAMES[r] for r in TOLD[step]) if notify is None else tuple(notify)
        who = {Role.ACCOUNT_MANAGER: client.account_manager if client else None,
               Role.ASSIGNEE: ticket.assignee, Role.HEAD_OF_SUPPORT: self.support_lead}
        wanted = [role for role in Role if ROLE_NAMES[role] in names]
        told = [(who[role], role) for role in wanted if who[role]]
        if Role.HEAD_OF_SUPPORT in wanted and not who[Role.HEAD_OF_SUPPORT]:
            log.warning("%s: %s, and SUPPORT_LEAD is not set: no one to DM", ticket.key,
                        step.value)
        people = list(dict.fromkeys(str(u) for u, _ in told))
        roles = dict(reversed(told))  # the first role named for each person
        jobs: list[Job] = [ReminderDM(ticket=n, step=step, generation=gen, user=u, role=roles[u],
                                      **rung) for u in people]
        groups = tuple(t for t in names if t[:1] in ("S", "C"))
        jobs += [GroupAlert(ticket=n, step=step, generation=gen, target=t, **rung)
                 for t in groups]
        email: BreachEmail | None = None
        if step in EMAILED and Role.HEAD_OF_SUPPORT in wanted:
            to = self.breach_email_to
            if to:
                email = BreachEmail(ticket=n, generation=gen, to=to, step=step, **rung)
            else:
                log.warning("%s breached; no email sent (SMTP_URL or SUPPORT_LEAD_EMAIL not set)",
                            ticket.key)
        jobs.append(TriageNote(ticket=n, step=step, generation=gen, told=tuple(people),
                               alerted=groups, emailed=email.to if email else None, **rung))
        if email is not None:
            jobs.append(email)
        if step.is_breach:
            jobs.append(SyncTriage(ticket=n))
        return jobs
