"""Ticket events to their sinks: the webhook receiver and PagerDuty, each ticket's events
in order (one delivery job per ticket and sink works its outbox, oldest first)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial

from bot.adapters.hooks import Pager, Webhook
from bot.adapters.slack import Undeliverable
from bot.delivery.job_run import Loaded, Run, load
from bot.delivery.registry import Consequences, Handlers
from bot.domain.jobs import Armed, DeliverOutbox, Job, JobKind, ProblemNote, Sink, TicketEvent
from bot.domain.text import N_
from bot.domain.tickets import Severity, ticket_key
from bot.services.sinks import PAGER_ACTIONS

log = logging.getLogger(__name__)

PER_RUN = 50
"""Events one run sends before it hands over to a new run (others' jobs go meanwhile)."""

PAGER_SEVERITY = {Severity.CRITICAL: "critical", Severity.HIGH: "error",
                  Severity.MEDIUM: "warning", Severity.LOW: "info"}


def record(event: TicketEvent) -> dict[str, object]:
    """The webhook body: the event, named by its idempotency key."""
    key = ticket_key(event.ticket)
    return {"id": f"{key}:{event.seq}", "event": event.event, "ticket": key,
            "seq": event.seq, "at": event.at, "data": event.data}


async def page(pager: Pager, run: Run, event: TicketEvent, loaded: Loaded | None) -> None:
    key, action = ticket_key(event.ticket), PAGER_ACTIONS[event.event]
    if action != "trigger" or loaded is None:
        await pager.send(action, key)
        return
    ticket = loaded.ticket
    who = loaded.client.name if loaded.client else ticket.channel
    links = [{"href": link, "text": text} for link, text in (
        (loaded.thread_link(), "Client thread"),
        (loaded.triage_link(run.deps.config.triage_channel), "Triage post")) if link]
    await pager.send(action, key, {
        "summary": f"{key} {ticket.severity.label} — {who}: {ticket.title}"[:1024],
        "source": "support-desk", "severity": PAGER_SEVERITY[ticket.severity],
        "timestamp": datetime.fromtimestamp(event.at, UTC).isoformat(),
        "component": who, "group": ticket.channel, "class": event.event,
        "custom_details": {"ticket": key, **event.data},
    }, links)


async def deliver_outbox(pager: Pager | None, webhook: Webhook | None, job: DeliverOutbox,
                         run: Run) -> None:
    """The ticket's events still to send to the job's sink, oldest first (a sink that is
    not set up sends nothing; the events are dropped from its outbox)."""
    store = run.deps.store
    for _ in range(PER_RUN):
        head = await store.outbox_head(job.sink.value, job.ticket)
        if head is None:
            return
        event = TicketEvent.model_validate_json(head)
        try:
            if job.sink is Sink.WEBHOOK:
                if webhook is not None:
                    await webhook.send(record(event))
            elif pager is not None:
                await page(pager, run, event, await load(run, job.ticket))
        except Undeliverable as exc:
            # This event is refused for good; the ones after it still go, in order.
            log.error("%s: the %s refused event %d (%s) for good: %s", ticket_key(job.ticket),
                      job.sink.value, event.seq, event.event, exc.error)
            await store.mark_done(job.ticket, f"failed:{job.sink.value}:{event.id}")
            await store.enqueue(Armed(ProblemNote(
                ticket=job.ticket, what=N_("send the {event} event to the {sink}"),
                params={"event": str(event.event), "sink": job.sink.value},
                error=exc.error, recipient=job.sink.value)))
        await store.outbox_sent(job.sink.value, job.ticket, head)
    await store.enqueue(Armed(job))


async def misqueued_event(job: TicketEvent, run: Run) -> None:
    """A ticket event is never a job in the queue itself: the change that makes it appends
    it to its sinks' outboxes (``deliver_outbox`` sends them). One found there was armed
    by mistake; it is dead-lettered at once, for an operator to look at."""
    raise Undeliverable("a ticket event goes out through its sinks' outboxes, not the queue")


def outbox_failed(job: DeliverOutbox, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("send this ticket's events to the {sink}"),
                        params={"sink": job.sink.value}, error=error,
                        hint=N_("They stay queued, and go out with the ticket's next event."),
                        recipient=job.sink.value)]


def handlers(pager: Pager | None, webhook: Webhook | None) -> Handlers:
    """The outbox's handlers by job kind, bound to the sinks set up (None: not set up)."""
    return {JobKind.DELIVER_OUTBOX: partial(deliver_outbox, pager, webhook),
            JobKind.TICKET_EVENT: misqueued_event}


CONSEQUENCES: Consequences = {JobKind.DELIVER_OUTBOX: outbox_failed}
"""What an outbox's failing for good leads to: a note in the triage thread."""
