"""Posts about a ticket: its client thread, its triage post (kept current), the notices
in the client thread, the engineering hand-off, updates relayed, reaction prompts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial

from bot.adapters.finish import Choice, Finished, Posted
from bot.adapters.slack import CARD, Author, marker
from bot.delivery.job_run import Loaded, NotReady, Run, client_words, load, staff_words
from bot.delivery.registry import Consequences, Handlers
from bot.domain import transitions as rules
from bot.domain.jobs import (
    Armed,
    EngineeringHandoff,
    Job,
    JobKind,
    PostClientThread,
    PostTriage,
    ProblemNote,
    ReactionPrompt,
    RelayUpdate,
    SeverityNotice,
    StatusNotice,
    SyncCard,
    SyncTriage,
)
from bot.domain.sla import clock_states, is_breached, response_window
from bot.domain.text import N_, clean_block, clean_line
from bot.domain.tickets import Ticket
from bot.services.changes import Changes
from bot.services.ports import Directory
from bot.slack_ui import messages
from bot.slack_ui.card import client_card
from bot.slack_ui.ids import OpenTicketButton, OpenTicketValue
from bot.slack_ui.text import as_written, cut_plain, escape

log = logging.getLogger(__name__)

PREFILL_TTL = 30 * 86_400
"""How long a reaction prompt's Open a ticket button keeps the message it was made from."""


SLACK_CLOCK_MARGIN = 3600.0
"""How far behind the desk's clock (Redis's) Slack's may be, which stamps the messages a
rerun looks for: a rerun reads this much more history rather than miss its post."""


def since(ticket: Ticket) -> float:
    """Where to look for a message of this ticket's that an earlier attempt may have posted
    (a message's ts is Slack's clock, the ticket's creation the desk's)."""
    return ticket.created_at - SLACK_CLOCK_MARGIN


async def post_client_thread(job: PostClientThread, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None:
        return
    ticket, n, posted = loaded.ticket, job.ticket, None
    if ticket.not_request_at is not None:
        return  # closed as not a request before its card went out: no card
    if ticket.card_at is None:
        # A ticket opened from a message has its card in that message's thread.
        text, body = card_view(loaded, run)
        ts = await run.deps.slack.post_once(
            ticket.channel, text, body, mark=marker(ticket.key, CARD),
            again=run.again, oldest=since(ticket), thread_ts=ticket.message_ts)
        posted = Posted("card_ts" if ticket.message_ts else "client_ts", ts)
    # (Else posted by an earlier run, which may have stopped before what follows.)
    # With its ts: the triage post, which links to this thread, posted now (by this worker,
    # next) or brought up to date; and the card redrawn if a rerun may have found the card
    # of an interrupted attempt, drawn before what has happened since, or if the ticket
    # changed while the card was on its way (the latest state is shown).
    redraw = [Armed(SyncCard(ticket=n))]
    done = await run.close(lambda lease: run.deps.store.finish(
        ticket, lease, posted=posted, jobs=redraw if run.again else (),
        seen=loaded.current, changed=redraw,
        choose=Choice("triage_ts", Armed(SyncTriage(ticket=n)), Armed(PostTriage(ticket=n)),
                      take=True)))
    recorded(ticket, posted, done)


async def post_triage(job: PostTriage, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or (loaded.ticket.triage_ts is not None and not run.again):
        return
    ticket, posted = loaded.ticket, None
    if ticket.triage_ts is None:
        text, body = triage_view(loaded, run)
        ts = await run.deps.slack.post_once(
            run.deps.config.triage_channel or "", text, body,
            mark=marker(ticket.key, "triage"), again=run.again, oldest=since(ticket))
        posted = Posted("triage_ts", ts)
    # As the card's: a post found again, or a change while it was on its way (the client
    # thread it links to included).
    redraw = [Armed(SyncTriage(ticket=ticket.number))]
    done = await run.close(lambda lease: run.deps.store.finish(
        ticket, lease, posted=posted, jobs=redraw if run.again else (),
        seen=loaded.current, seen_field="client_ts", changed=redraw))
    recorded(ticket, posted, done)


async def sync_triage(job: SyncTriage, run: Run) -> None:
    """Re-render the triage post from the ticket's state (idempotent; a change made while
    this runs arms it again, so the post always ends showing the latest state)."""
    loaded = await load(run, job.ticket)
    if loaded is None or loaded.ticket.triage_ts is None:
        return  # the post is still to come, and will show the current state
    text, body = triage_view(loaded, run)
    await run.deps.slack.update(run.deps.config.triage_channel or "", loaded.ticket.triage_ts,
                                text, body)


async def sync_card(job: SyncCard, run: Run) -> None:
    """Re-render the ticket's card in the client thread from its state (as the triage post
    is: idempotent, and armed again by a change made while it runs)."""
    loaded = await load(run, job.ticket)
    card = loaded.ticket.card_at if loaded else None
    if loaded is None or card is None or loaded.ticket.not_request_at is not None:
        return  # the card is still to come (and will show the current state), or gone
    text, body = card_view(loaded, run)
    await run.deps.slack.update(loaded.ticket.channel, card, text, body)


def card_view(loaded: Loaded, run: Run) -> tuple[str, list[dict[str, object]]]:
    ticket, now = loaded.ticket, run.deps.now()
    calendar = loaded.plan.calendar_for(ticket.severity)
    w = client_words(run, loaded.client)
    return client_card(w, ticket, loaded.client, loaded.window,
                       breached=is_breached(ticket, loaded.plan, now),
                       clocks=clock_states(ticket, loaded.plan, now),
                       hours=w.hours(calendar) if calendar else None)


def triage_view(loaded: Loaded, run: Run) -> tuple[str, list[dict[str, object]]]:
    config = run.deps.config
    ticket = loaded.ticket
    engineering = (loaded.identity.permalink(config.engineering_channel, ticket.engineering_ts)
                   if ticket.engineering_ts and config.engineering_channel else None)
    now = run.deps.now()
    calendar = loaded.plan.calendar_for(ticket.severity)
    return messages.triage_message(
        staff_words(run), ticket, loaded.client, loaded.window, loaded.identity,
        breached=is_breached(ticket, loaded.plan, now), engineering_link=engineering,
        clocks=clock_states(ticket, loaded.plan, now),
        hours=staff_words(run).hours(calendar) if calendar else None)


def recorded(ticket: Ticket, posted: Posted | None, done: Finished) -> None:
    """Log a message posted whose place was recorded already (by an earlier attempt)."""
    if posted is not None and not done.recorded and done.value != posted.ts:
        # (The same ts: recorded by a reply under it.)
        log.warning("%s: %s was already recorded; a second message %s may exist",
                    ticket.key, posted.field, posted.ts)


async def in_client_thread(run: Run, ticket: Ticket, job_id: str, name: str, text: str,
                           body: list[dict[str, object]] | None = None,
                           author: Author | None = None,
                           posted: Callable[[str], Awaitable[object]] | None = None) -> None:
    """Post once in the ticket's client thread; ``name`` marks the message in Slack.
    ``posted``: what to record of the post (its ts) before it counts as done."""
    if job_id in ticket.sent:
        return
    if ticket.client_ts is None:
        raise NotReady(f"{ticket.key} has no client thread yet to post {name} in")
    ts = await run.deps.slack.post_once(
        ticket.channel, text, body, thread_ts=ticket.client_ts, mark=marker(ticket.key, name),
        again=run.again, oldest=since(ticket), author=author)
    if posted is not None:
        await posted(ts)
    await run.close(lambda lease: run.deps.store.finish(ticket, lease, mark=job_id))


async def status_notice(job: StatusNotice, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.change >= len(loaded.ticket.status_changes):
        return
    ticket = loaded.ticket
    text, body = messages.status_notice(client_words(run, loaded.client), ticket,
                                        ticket.status_changes[job.change],
                                        run.deps.config.reopen_days, csat=loaded.plan.csat)
    await in_client_thread(run, ticket, job.id, f"status:{job.change}", text, body)


async def severity_notice(job: SeverityNotice, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.change >= len(loaded.ticket.severity_changes):
        return
    ticket = loaded.ticket
    shown = replace(ticket, severity_changes=ticket.severity_changes[: job.change + 1])
    text = messages.severity_notice(client_words(run, loaded.client), shown,
                                    response_window(shown, loaded.plan))
    await in_client_thread(run, ticket, job.id, f"severity_notice:{job.change}", text)


async def relay_update(changes: Changes, directory: Directory, job: RelayUpdate, run: Run
                       ) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None:
        return
    member = await directory.member(job.by)
    w = client_words(run, loaded.client)
    name = member.name if member and member.name else w._("Support")
    number = loaded.ticket.number

    async def posted(ts: str) -> None:
        # Slack's clock stamps the client's answers: the update's place is Slack's too.
        await changes.change(number, lambda t: rules.record_staff_message(t, ts))

    await in_client_thread(
        run, loaded.ticket, job.id, f"update:{job.ref}", escape(cut_plain(job.text, 3000)),
        messages.message_sections(job.text),
        author=Author(w._("{name} (support)", name=name), member.image if member else None),
        posted=posted)


async def engineering_handoff(job: EngineeringHandoff, run: Run) -> None:
    channel = run.deps.config.engineering_channel
    loaded = await load(run, job.ticket)
    if loaded is None or loaded.ticket.engineering_ts:
        return
    ticket = loaded.ticket
    if channel is None:
        log.warning("%s sent to engineering, but ENGINEERING_CHANNEL is not set", ticket.key)
        return
    text, body = messages.engineering_message(
        staff_words(run), ticket, loaded.client, job.by,
        loaded.triage_link(run.deps.config.triage_channel))
    ts = await run.deps.slack.post_once(channel, text, body,
                                        mark=marker(ticket.key, "engineering"),
                                        again=run.again, oldest=since(ticket))
    posted = Posted("engineering_ts", ts)
    done = await run.close(lambda lease: run.deps.store.finish(
        ticket, lease, posted=posted, jobs=[Armed(SyncTriage(ticket=ticket.number))]))
    recorded(ticket, posted, done)


async def reaction_prompt(job: ReactionPrompt, run: Run) -> None:
    slack = run.deps.slack
    message = await slack.message(job.channel, job.ts)
    if message is None:
        log.info("reaction on %s/%s: the message is gone, no prompt", job.channel, job.ts)
        return
    text = clean_block(as_written(str(message.get("text") or "")))
    identity = await slack.identity()
    prefill = OpenTicketValue(
        title=clean_line(text.split("\n", 1)[0]), description=text,
        source_link=identity.permalink(job.channel, job.ts))
    key = f"{job.channel}:{job.ts}"
    await run.deps.store.put_prefill(key, prefill.model_dump_json(), PREFILL_TTL)
    client, _ = await run.deps.plans.client_and_plan(job.channel)
    body_text, body = messages.reaction_prompt(client_words(run, client),
                                               OpenTicketButton(prefill=key))
    await slack.post_once(
        job.channel, body_text, body, thread_ts=message.get("thread_ts") or job.ts,
        mark=marker(f"{job.channel}:{job.ts}", "reaction_prompt"), again=run.again,
        oldest=float(job.ts) - 1)


def client_thread_failed(job: PostClientThread, error: str) -> list[Job]:
    """The triage post goes out all the same, and says the client has not seen it."""
    return [PostTriage(ticket=job.ticket), ProblemNote(
        ticket=job.ticket, what=N_("post this ticket in the client channel"), error=error,
        hint=N_("The client has not seen it. Invite the app to that channel."))]


def card_failed(job: SyncCard, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket,
                        what=N_("bring the ticket's card in the client thread up to date"),
                        error=error, hint=N_("The client sees an older state there."))]


def notice_failed(job: StatusNotice | SeverityNotice | RelayUpdate, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("post in the client thread"), error=error,
                        hint=N_("The client has not been told."))]


def handlers(changes: Changes, directory: Directory) -> Handlers:
    """The posts' handlers by job kind; relaying an update records it (``changes``) under
    its author's name (``directory``)."""
    return {
        JobKind.POST_CLIENT_THREAD: post_client_thread,
        JobKind.POST_TRIAGE: post_triage,
        JobKind.SYNC_TRIAGE: sync_triage,
        JobKind.SYNC_CARD: sync_card,
        JobKind.STATUS_NOTICE: status_notice,
        JobKind.SEVERITY_NOTICE: severity_notice,
        JobKind.RELAY_UPDATE: partial(relay_update, changes, directory),
        JobKind.ENGINEERING_HANDOFF: engineering_handoff,
        JobKind.REACTION_PROMPT: reaction_prompt,
    }


CONSEQUENCES: Consequences = {
    JobKind.POST_CLIENT_THREAD: client_thread_failed,
    JobKind.SYNC_CARD: card_failed,
    JobKind.STATUS_NOTICE: notice_failed,
    JobKind.SEVERITY_NOTICE: notice_failed,
    JobKind.RELAY_UPDATE: notice_failed,
}
"""What a post's failing for good leads to: a note in the triage thread, where the
client was not told."""
