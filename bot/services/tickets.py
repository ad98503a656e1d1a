"""Commands that change tickets: open, claim, work, resolve, reopen, responses.

Each one is in Redis, with the jobs that tell Slack about it, before it returns: the
listeners answer Slack after that, and the posts follow from the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import transitions as rules
from bot.domain.jobs import (
    Armed,
    AutoAssign,
    EmailAck,
    EmailOrigin,
    EmailOut,
    EngineeringHandoff,
    PostClientThread,
    PostTriage,
    ReactionPrompt,
    RefreshHomes,
    RelayUpdate,
    RemoveCard,
    SeverityNotice,
    StatusNotice,
    SyncTriage,
)
from bot.domain.sla import Window, desired_timers, response_window
from bot.domain.text import clean_block, clean_line
from bot.domain.tickets import (
    IntakeLimit,
    MailThread,
    Severity,
    Status,
    Ticket,
    TicketError,
    TooMany,
    parse_ticket_key,
    ticket_key,
)
from bot.domain.urgency import urgency
from bot.domain.watch import client_wrote, is_pleasantry, not_a_request
from bot.services.changes import Changes
from bot.services.plans import Plans
from bot.services.ports import Cards, Count, Now, TicketStore
from bot.services.sinks import Sinks
from bot.services.staff import Actor, StaffCheck

log = logging.getLogger(__name__)

ONCE_TTL = 24 * 3600
REACTION_TTL = 90 * 86_400
"""A message's :ticket: reaction is answered once; a quarter later, Slack history is stale."""
TRIAGE_WAIT = 10.0
"""How long the triage post waits for the client thread it links to before going first."""


@dataclass(frozen=True)
class NewTicket:
    channel: str
    reporter: str
    title: str
    severity: Severity
    description: str
    once: str
    """What makes the request unique (the modal submission): opened at most once."""
    source_link: str | None = None
    at: float | None = None
    """When the request was made (a watched message's time, an email's arrival), if before
    now."""
    message_ts: str | None = None
    """The client's message it is opened from by watching the channel: its thread is the
    ticket's client thread."""
    mail: MailThread | None = None
    """The email thread of a ticket opened by email."""


class OverIntakeLimit(TicketError):
    """The reporter opened ``INTAKE_LIMIT`` tickets in the last hour."""


@dataclass(frozen=True)
class OpenedTicket:
    ticket: Ticket
    window: Window


def status_jobs(changed: Ticket) -> list[Armed]:
    """The jobs of a status change: the triage post re-rendered, the client told."""
    index = len(changed.status_changes) - 1
    return [Armed(SyncTriage(ticket=changed.number)),
            Armed(StatusNotice(ticket=changed.number, change=index))]


def emailed(ticket: Ticket, ref: str, by: str, text: str | None) -> list[Armed]:
    """Support's message to the client, emailed to the reporter of a ticket opened by
    email (a reply in the thread, an update, the resolution; not status lines)."""
    if ticket.mail is None or not text:
        return []
    return [Armed(EmailOut(ticket=ticket.number, ref=ref, by=by, text=text))]


STATUS_EVENTS = {Status.CLAIMED: "claimed", Status.RESOLVED: "resolved"}
"""The events a status change is, where it is more than a ``status`` event."""


class Tickets:
    def __init__(self, changes: Changes, store: TicketStore, plans: Plans, staff: StaffCheck,
                 sinks: Sinks, now: Now, *, warn_at: float, intake_limit: int,
                 claim_is_response: bool, reopen_days: int, cards: Cards | None = None,
                 count_opened: Count = lambda severity: None, auto_assign: bool = False
                 ) -> None:
        """``intake_limit``: tickets one person may open an hour; ``claim_is_response``: a
        claim is the first response; ``reopen_days``: how long a resolved ticket can be
        reopened; ``cards``: Slack's copy of the posts, to find a thread's ticket by its
        card; ``count_opened``: counts a ticket opened, by severity."""
        self.changes = changes
        self.store = store
        self.plans = plans
        self.staff = staff
        self.sinks = sinks
        self.now = now
        self.warn_at = warn_at
        self.intake_limit = intake_limit
        self.claim_is_response = claim_is_response
        self.reopen_days = reopen_days
        self.cards = cards
        self.count_opened = count_opened
        self.auto_assign = auto_assign

    def status_change(self, now: float, actor: Actor) -> Callable[[Ticket], list[Armed]]:
        """A status change's jobs, with its event (``claimed``, ``resolved`` or ``status``)."""
        def jobs(changed: Ticket) -> list[Armed]:
            event = STATUS_EVENTS.get(changed.status, "status")
            return status_jobs(changed) + self.sinks(changed, event, now, by=actor.user)
        return jobs

    def responded(self, changed: Ticket, at: float, actor: Actor) -> list[Armed]:
        """The ``responded`` event, when this staff message is the ticket's first response."""
        if changed.first_response_at != max(at, changed.created_at):
            return []
        # Given them by someone else, the assignee's answer is what acknowledges a page.
        taken_up = (self.sinks(changed, "acknowledged", at, by=actor.user)
                    if rules.awaits_claim(changed) and changed.assignee == actor.user else [])
        return [*self.sinks(changed, "responded", at, by=actor.user), *taken_up]

    async def open(self, new: NewTicket, actor: Actor) -> OpenedTicket:
        """Save a new ticket with its Slack posts and SLA timers; once per ``new.once``."""
        if new.reporter != actor.user:
            await self.staff.require(
                actor, "Only the support team can open a ticket for someone else.")
        now = self.now()
        client, plan = await self.plans.client_and_plan(new.channel)
        draft = Ticket(number=0, channel=new.channel, reporter=new.reporter,
                       title=clean_line(new.title), description=clean_block(new.description),
                       severity=new.severity, created_at=min(now, new.at or now),
                       source_link=new.source_link, client_ts=new.message_ts,
                       message_ts=new.message_ts, mail=new.mail)
        # A ticket opened by email: its sender named in the channel first, the card in that
        # message's thread; and the acknowledgement emailed back.
        first = ([Armed(EmailOrigin(ticket=0)), Armed(EmailAck(ticket=0))] if new.mail
                 else [Armed(PostClientThread(ticket=0))])
        try:
            saved, created = await self.store.create(
                draft, once=new.once, once_ttl=ONCE_TTL,
                jobs=[*first,
                      Armed(PostTriage(ticket=0), now + TRIAGE_WAIT),
                      Armed(RefreshHomes(ticket=0)),
                      *([Armed(AutoAssign(ticket=0))] if self.auto_assign else []),
                      *self.sinks(draft, "opened", now, title=draft.title,
                                   reporter=draft.reporter, channel=draft.channel)],
                timers=desired_timers(draft, plan, now, self.warn_at),
                limit=IntakeLimit(self.intake_limit),
                urgency=urgency(draft, plan, self.warn_at))
        except TooMany as exc:
            log.warning("%s reached the intake limit (%d tickets an hour) in %s", new.reporter,
                        exc.most, new.channel)
            raise OverIntakeLimit("You have opened {most} tickets in the last hour, the most "
                              "one person can; add to an open ticket's thread, or try again "
                              "later", most=exc.most) from None
        ticket = saved.ticket
        if created:
            self.count_opened(ticket.severity.value)
            log.info("%s opened by %s in %s (%s, %s)", ticket.key, new.reporter, new.channel,
                     ticket.severity.value, client.name if client else "unregistered channel")
        else:
            log.info("%s: repeated submission %s, not opening another", ticket.key, new.once)
        return OpenedTicket(ticket, response_window(ticket, plan))

    async def claim(self, number: int, actor: Actor) -> None:
        await self.staff.require(actor, "Only the support team can claim tickets.")
        now = self.now()

        def jobs(changed: Ticket) -> list[Armed]:
            if changed.status_changes and changed.status_changes[-1].at == now:
                return self.status_change(now, actor)(changed)
            # The assignee's Claim of a ticket given them: they have taken it up.
            return [Armed(SyncTriage(ticket=number)),
                    *self.sinks(changed, "claimed", now, by=actor.user)]

        await self.changes.change(
            number, lambda t: rules.claim(t, actor.user, now,
                                          claim_is_response=self.claim_is_response),
            jobs=jobs)
        log.info("%s claimed by %s", ticket_key(number), actor.user)

    async def set_status(self, number: int, status: Status, actor: Actor) -> None:
        """Move a ticket between working statuses; to engineering, it is handed over too."""
        await self.staff.require(actor, "Only the support team can change a ticket's status.")
        now = self.now()

        def jobs(changed: Ticket) -> list[Armed]:
            handoff = [Armed(EngineeringHandoff(ticket=number, by=actor.user))]
            return self.status_change(now, actor)(changed) + (
                handoff if status is Status.WITH_ENGINEERING else [])

        await self.changes.change(
            number, lambda t: rules.change_status(t, status, actor.user, now), jobs=jobs)
        log.info("%s: %s by %s", ticket_key(number), status.value, actor.user)

    async def change_severity(self, number: int, severity: Severity, actor: Actor, *,
                              channel: str | None = None) -> None:
        """Staff, anywhere; the client's people too, on the card in the ticket's channel
        (``channel``: where the menu was used)."""
        current = await self.store.get(number) if channel is not None else None
        if current is None or current.ticket.channel != channel:
            await self.staff.require(
                actor, "Only the support team can change a ticket's severity.")
        now = self.now()

        def jobs(changed: Ticket) -> list[Armed]:
            index = len(changed.severity_changes) - 1
            change = changed.severity_changes[index]
            return [Armed(SyncTriage(ticket=number)),
                    Armed(SeverityNotice(ticket=number, change=index)),
                    *self.sinks(changed, "severity", now, by=actor.user,
                                 old=change.old.value, new=change.new.value)]

        saved = await self.changes.change(
            number, lambda t: rules.change_severity(t, severity, actor.user, now), jobs=jobs)
        changes = saved.ticket.severity_changes
        if changes and changes[-1].at == now:
            log.info("%s: severity %s -> %s by %s", saved.ticket.key, changes[-1].old.value,
                     severity.value, actor.user)

    async def resolve(self, number: int, resolution: str, actor: Actor) -> None:
        await self.staff.require(actor, "Only the support team can resolve tickets.")
        now = self.now()
        await self.changes.change(
            number, lambda t: rules.resolve(t, actor.user, now, clean_block(resolution)),
            jobs=lambda t: self.status_change(now, actor)(t) + emailed(
                t, f"resolved.{len(t.status_changes)}", actor.user, t.resolution))
        log.info("%s resolved by %s", ticket_key(number), actor.user)

    async def reopen(self, number: int, actor: Actor, *, channel: str) -> None:
        """Reopen from the client thread (anyone there) or the triage post (staff)."""
        current = await self.store.get(number)
        if current is None:
            raise TicketError("{key} does not exist.", key=ticket_key(number))
        if channel != current.ticket.channel and not await self.staff.is_staff(actor):
            raise TicketError("Only the client or the support team can reopen this ticket.")
        now = self.now()
        within = self.reopen_days * 86_400
        await self.changes.change(
            number, lambda t: rules.reopen(t, actor.user, now, within=within),
            jobs=lambda t: status_jobs(t) + self.sinks(t, "reopened", now, by=actor.user))
        log.info("%s reopened by %s", ticket_key(number), actor.user)

    async def post_update(self, number: int, text: str, actor: Actor, *, once: str) -> None:
        """Relay a staff-written update to the client thread, under the staff member's name.

        It counts as a message from support to the client: the first response if none was
        yet, and the latest update for the update cadence.
        """
        await self.staff.require(actor, "Only the support team can post updates to the client.")
        now = self.now()
        # Relayed even when it changes no time on record (a reply stamped by Slack's clock,
        # ahead of this one, is already the latest update).
        await self.changes.change(number, lambda t: rules.record_response(t, now), jobs=lambda t: [
            Armed(RelayUpdate(ticket=number, ref=once, by=actor.user, text=clean_block(text))),
            Armed(SyncTriage(ticket=number)), *self.responded(t, now, actor),
            *emailed(t, once, actor.user, clean_block(text))], always=True)

    async def record_reply(self, *, channel: str, thread_ts: str, ts: str, actor: Actor,
                           parent: str | None = None, text: str | None = None) -> bool:
        """A message in a ticket's client thread: a staff one is the response (True), one
        from the client's side starts the wait for support's next response, ends a wait on
        the client, reopens a ticket resolved lately, makes one closed as not a request a
        request again (a pleasantry does none of these).

        ``parent``: who wrote the message that starts the thread, when Slack says; ``text``:
        what it says, when known (a staff message goes to a ticket's email reporter)."""
        number = await self.thread_ticket(channel, thread_ts, parent)
        if number is None:
            return False
        # Slack's clock stamps the message; the desk's says when it was seen at the latest.
        # A Slack clock running ahead must not make a response look later than it was.
        # And no message comes before the ticket it is about.
        now = self.now()
        at = min(float(ts), now)
        if not await self.staff.is_staff(actor):
            if text is not None and is_pleasantry(text):
                return False
            within = self.reopen_days * 86_400
            await self.changes.change(
                number, lambda t: client_wrote(t, actor.user, max(at, t.created_at), ts,
                                               now=now, reopen_within=within),
                jobs=lambda t: self.client_jobs(t, now, actor))
            return False
        saved = await self.changes.change(
            number, lambda t: rules.record_response(t, max(at, t.created_at), ts),
            jobs=lambda t: [Armed(SyncTriage(ticket=number)), *self.responded(t, at, actor),
                            *emailed(t, ts, actor.user, text)])
        if saved.ticket.first_response_at == max(at, saved.ticket.created_at):
            log.info("%s: first response by %s at %s", saved.ticket.key, actor.user, ts)
        return True

    async def record_client_message(self, number: int, at: float, ts: str, user: str, *,
                                    jobs: list[Armed]) -> None:
        """A client's message about the ticket outside its thread (naming it), with the jobs
        that show it: as a message in the thread."""
        now, within = self.now(), self.reopen_days * 86_400
        await self.changes.change(
            number, lambda t: client_wrote(t, user, max(at, t.created_at), ts, now=now,
                                           reopen_within=within),
            jobs=lambda t: [*jobs, *self.client_jobs(t, now, Actor(user))], always=True)

    def client_jobs(self, changed: Ticket, now: float, actor: Actor) -> list[Armed]:
        """The jobs of a client's message in the thread: the triage post redrawn, and what
        its status change (if any) tells; a request again has its card posted again."""
        last = changed.status_changes[-1] if changed.status_changes else None
        if last is None or last.at not in (now, changed.created_at):
            return [Armed(SyncTriage(ticket=changed.number))]
        if last.old is not Status.RESOLVED:  # the wait on the client ended: no claim
            return status_jobs(changed) + self.sinks(changed, "status", now, by=actor.user)
        again = [Armed(PostClientThread(ticket=changed.number))] if (
            last.at == changed.created_at and changed.message_ts) else [Armed(
                StatusNotice(ticket=changed.number, change=len(changed.status_changes) - 1))]
        return [Armed(SyncTriage(ticket=changed.number)), *again,
                *self.sinks(changed, "reopened", now, by=actor.user)]

    async def not_a_request(self, number: int, actor: Actor) -> None:
        """Staff close a ticket opened from a message as not a request: its clocks stop, its
        card leaves the client thread, its triage post says so."""
        await self.staff.require(
            actor, "Only the support team can close a ticket as not a request.")
        now = self.now()
        await self.changes.change(
            number, lambda t: not_a_request(t, actor.user, now),
            jobs=lambda t: [Armed(SyncTriage(ticket=number)),
                            Armed(RemoveCard(ticket=number, round=len(t.status_changes)))])
        log.info("%s closed as not a request by %s", ticket_key(number), actor.user)

    async def thread_ticket(self, channel: str, thread_ts: str, parent: str | None
                            ) -> int | None:
        """The ticket whose client thread ``thread_ts`` of ``channel`` is: from the thread
        index, or else from the card that starts the thread, which names its ticket in Slack
        (the job that posted it may not have recorded it yet: interrupted, or still on its
        way); it is recorded then."""
        # The thread index is per channel: a thread found here is this ticket's client thread.
        number = await self.store.ticket_for_thread(channel, thread_ts)
        if number is not None or self.cards is None:
            return number
        if parent is not None and parent != (await self.cards.identity()).bot_user_id:
            return None  # under someone's message: no card
        number = parse_ticket_key(await self.cards.card_at(channel, thread_ts) or "")
        current = await self.store.get(number) if number is not None else None
        if current is None or current.ticket.channel != channel:
            return None
        if current.ticket.client_ts is None:
            await self.store.set_message_ts(current.ticket, "client_ts", thread_ts)
            log.info("%s: a reply came under its card before the card was recorded: recorded "
                     "now", current.ticket.key)
        elif current.ticket.client_ts != thread_ts:
            return None
        return current.ticket.number

    async def prompt_from_reaction(self, *, channel: str, ts: str, user: str) -> None:
        """A :ticket: reaction in a client channel: offer an Open a ticket button, once."""
        if await self.store.client(channel) is None:
            return
        if await self.store.ticket_for_thread(channel, ts) is not None:
            return  # it opened or joined a ticket already: its card is in the thread
        await self.store.enqueue_once(f"reaction:{channel}:{ts}", REACTION_TTL,
                                      Armed(ReactionPrompt(channel=channel, ts=ts, by=user)))
