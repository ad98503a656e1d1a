"""Posts of watching client messages: a follow-up shown in the triage thread, a message
naming a ticket posted in its client thread, a card taken away (not a request)."""

from __future__ import annotations

import logging

from bot.adapters.slack import marker
from bot.delivery.job_run import NotReady, Run, client_words, load, staff_words
from bot.delivery.posts import in_client_thread, since
from bot.delivery.registry import Consequences, Handlers
from bot.domain.jobs import ClientRelay, FollowUpNote, Job, JobKind, ProblemNote, RemoveCard
from bot.domain.text import N_
from bot.slack_ui import watch

log = logging.getLogger(__name__)


async def follow_up_note(job: FollowUpNote, run: Run) -> None:
    loaded = await load(run, job.ticket)
    channel = run.deps.config.triage_channel
    if loaded is None or job.id in loaded.ticket.sent or channel is None:
        return
    ticket = loaded.ticket
    if ticket.triage_ts is None:
        raise NotReady(f"{ticket.key} has no triage post yet")
    text, body = watch.follow_up_note(staff_words(run), job.by, job.text)
    await run.deps.slack.post_once(channel, text, body, thread_ts=ticket.triage_ts,
                                   mark=marker(ticket.key, f"follow_up:{job.ts}"),
                                   again=run.again, oldest=since(ticket))
    await run.close(lambda lease: run.deps.store.finish(ticket, lease, mark=job.id))


async def client_relay(job: ClientRelay, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None:
        return
    text, body = watch.client_relay(client_words(run, loaded.client), loaded.ticket, job.by,
                                    job.text)
    await in_client_thread(run, loaded.ticket, job.id, f"client_relay:{job.ts}", text, body)


async def remove_card(job: RemoveCard, run: Run) -> None:
    """Take the card out of the client thread, while the ticket is still not a request."""
    loaded = await load(run, job.ticket)
    if loaded is None or loaded.ticket.not_request_at is None:
        return
    ticket = loaded.ticket
    if ticket.card_ts is not None:
        await run.deps.slack.delete(ticket.channel, ticket.card_ts)
        await run.deps.store.clear_message_ts(ticket.number, "card_ts")
        log.info("%s: its card left the client thread (not a request)", ticket.key)


def relay_failed(job: ClientRelay, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket,
                        what=N_("post the client's message in the ticket's client thread"),
                        error=error, hint=N_("It is only in the channel."))]


def removal_failed(job: RemoveCard, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("take the card out of the client thread"),
                        error=error, hint=N_("Delete it by hand."))]


def handlers() -> Handlers:
    return {
        JobKind.FOLLOW_UP_NOTE: follow_up_note,
        JobKind.CLIENT_RELAY: client_relay,
        JobKind.REMOVE_CARD: remove_card,
    }


CONSEQUENCES: Consequences = {
    JobKind.CLIENT_RELAY: relay_failed,
    JobKind.REMOVE_CARD: removal_failed,
}
