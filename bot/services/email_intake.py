"""Email to the support address: a new one from a client's domain opens a ticket, a reply
lands on its ticket, and what must not be answered (automatic mail, bounces, the desk's
own, unknown senders) opens nothing and gets nothing.

``take`` returns once what the email does is in Redis (the ticket with its jobs, or the
client's message with the post that shows it): only then may the mailbox mark it seen.
Each email is taken once by its Message-ID: once taken it is remembered for 180 days (read
again, it does nothing); before that, the ticket's creation is once per Message-ID and a
reply's post is a job named by it, so a reader that died midway does it again without
doubling anything.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

from bot.domain.email_in import (
    Inbound,
    bare_subject,
    copied,
    loop_reason,
    new_text,
    severity_tag,
    thread_ticket,
    ticket_in_subject,
    title_and_description,
)
from bot.domain.jobs import Armed, EmailIntoThread, ProblemNote, UnknownSender
from bot.domain.plans import Plan
from bot.domain.tickets import (
    Client,
    MailThread,
    Severity,
    Status,
    Ticket,
    TicketError,
    ticket_key,
)
from bot.domain.watch import client_wrote
from bot.services.changes import Changes
from bot.services.plans import Plans
from bot.services.ports import FileStash, MailRefs, Now, TicketStore
from bot.services.staff import Actor
from bot.services.tickets import NewTicket, OverIntakeLimit, Tickets

log = logging.getLogger(__name__)

DAY = 86_400
REF_TTL = 180 * DAY
"""How long a client's email is known as part of its ticket's email thread."""
FILE_TTL = 7 * DAY
"""How long an email's attachment waits in Redis to be uploaded into its thread."""


@dataclass(frozen=True)
class Taken:
    """What an email did, for the log: ``opened``, ``replied``, ``ignored``, ``unknown``."""

    what: str
    ticket: int | None = None
    reason: str = ""


def message_severity(plan: Plan) -> Severity:
    """The severity of a ticket opened by an email without a tag."""
    return plan.message_severity or Severity.MEDIUM


def email_ref(message_id: str) -> str:
    return hashlib.sha1(message_id.encode()).hexdigest()[:16]


class EmailIntake:
    def __init__(self, tickets: Tickets, changes: Changes, store: TicketStore, plans: Plans,
                 now: Now, files: FileStash, refs: MailRefs, *, support_email: str,
                 reopen_days: int) -> None:
        self.tickets = tickets
        self.refs = refs
        self.files = files
        self.changes = changes
        self.store = store
        self.plans = plans
        self.now = now
        self.support_email = support_email.lower()
        self.reopen_days = reopen_days

    async def client_of(self, domain: str) -> Client | None:
        domain = domain.lower()
        for client in await self.store.clients():
            if domain in client.email_domains:
                return client
        return None

    async def take(self, mail: Inbound) -> Taken:
        reason = loop_reason(mail, self.support_email)
        if reason is not None:
            log.info("email %s from %s is %s: nothing opened, no answer", mail.message_id,
                     mail.sender, reason)
            return Taken("ignored", reason=reason)
        if await self.refs.mail_ref([mail.message_id]) is not None:
            log.info("email %s was taken before: nothing more to do", mail.message_id)
            return Taken("ignored", reason="taken before")
        client = await self.client_of(mail.domain)
        if client is None:
            day = int(self.now() // DAY)
            await self.store.enqueue_once(
                f"unknown_sender:{mail.sender}:{day}", 2 * DAY,
                Armed(UnknownSender(sender=mail.sender, subject=mail.subject[:300], day=day)))
            log.info("email %s from %s: no client has the domain %s; no answer", mail.message_id,
                     mail.sender, mail.domain)
            return Taken("unknown")
        answered = await self._answered(mail, client)
        if answered is not None:
            return await self._reply(mail, answered, client)
        return await self._open(mail, client)

    async def _answered(self, mail: Inbound, client: Client) -> Ticket | None:
        """The client's ticket this email answers (by its references, or ``[T-n]``)."""
        number = (thread_ticket(mail, self.support_email) or ticket_in_subject(mail.subject)
                  or await self.refs.mail_ref([m for m in (mail.in_reply_to,
                                                           *reversed(mail.references)) if m]))
        current = await self.store.get(number) if number is not None else None
        if current is None or current.ticket.channel != client.channel:
            return None
        return current.ticket

    async def _open(self, mail: Inbound, client: Client, follows: Ticket | None = None
                    ) -> Taken:
        _, plan = await self.plans.client_and_plan(client.channel)
        severity, subject = severity_tag(bare_subject(mail.subject))
        title, description = title_and_description(subject, new_text(mail.text))
        if follows is not None:
            description = (f"Follows {follows.key}, resolved more than {self.reopen_days} "
                           f"days before this email.\n\n{description}")
        thread = MailThread(sender=mail.sender, refs=(*mail.references, mail.message_id)[-10:],
                            subject=mail.subject or title, name=mail.sender_name,
                            cc=tuple(c for c in mail.cc if c.rpartition("@")[2]
                                     in client.email_domains and c != mail.sender))
        try:
            opened = await self.tickets.open(NewTicket(
                channel=client.channel, reporter=mail.sender, title=title,
                severity=severity or message_severity(plan), description=description,
                once=f"email:{mail.message_id}", at=mail.received_at, mail=thread),
                Actor(mail.sender))
        except OverIntakeLimit as exc:
            latest = await self._latest_open(mail.sender, client.channel)
            if latest is None:
                raise  # nothing to join: read again later, when the hour has passed
            await self.store.enqueue(Armed(ProblemNote(
                ticket=latest.number, what=f"open a new ticket for the email \"{title[:150]}\" "
                f"from {mail.sender}", error=str(exc).split(";")[0],
                hint="It was added to this ticket instead.")))
            return await self._reply(mail, latest, client)
        number = opened.ticket.number
        if mail.attachments:
            await self.store.enqueue(await self._post(number, mail, ""))
        # Last: from now on the email is known as taken, whenever it is read again.
        await self.refs.put_mail_ref(mail.message_id, number, REF_TTL)
        return Taken("opened", number)

    async def _post(self, number: int, mail: Inbound, text: str) -> Armed:
        """The job that posts ``text`` and the email's attachments in the ticket's thread
        (those over ``ATTACHMENT_MOST`` named, not copied); the attachments kept till then."""
        ref = email_ref(mail.message_id)
        files = []
        kept, too_big = copied(mail.attachments)
        for k, attachment in kept:
            key = f"{ref}:{k}"
            await self.files.put_file(key, attachment.name, attachment.data, FILE_TTL)
            files.append(key)
        return Armed(EmailIntoThread(ticket=number, ref=ref, sender=mail.sender,
                                     name=mail.sender_name, text=text, files=tuple(files),
                                     too_big=tuple(too_big)))

    async def _latest_open(self, reporter: str, channel: str) -> Ticket | None:
        """The reporter's latest open ticket in ``channel``."""
        found = [v.ticket for v in await self.store.get_many(await self.store.open_numbers())
                 if v and v.ticket.reporter == reporter and v.ticket.channel == channel]
        return max(found, key=lambda t: t.number, default=None)

    async def _reply(self, mail: Inbound, ticket: Ticket, client: Client) -> Taken:
        """The client's email on ``ticket``: posted in its thread as theirs, a client
        message; it reopens the ticket resolved within ``REOPEN_DAYS``, or else opens a
        new one naming it."""
        now = self.now()
        within = self.reopen_days * DAY
        if ticket.status is Status.RESOLVED and (
                ticket.resolved_at is None or now - ticket.resolved_at > within):
            return await self._open(mail, client, ticket)
        text = new_text(mail.text) or ("" if mail.attachments else "(no text)")
        post = await self._post(ticket.number, mail, text)
        by = mail.sender

        # INTERNALDATE is to the second: the email came before its next second.
        at = min(mail.received_at + 1, now)

        def change(t: Ticket) -> Ticket:
            # As a client's message in the thread: a wait on them ends, a ticket resolved
            # lately reopens, one closed as not a request is one again.
            changed = client_wrote(t, by, max(at, t.created_at), None, now=now,
                                   reopen_within=within)
            refs = t.mail.refs if t.mail else ()
            if t.mail is not None and mail.message_id not in refs:
                changed = replace(changed, mail=replace(
                    t.mail, refs=(*refs, mail.message_id)[-10:]))
            return changed

        def jobs(changed: Ticket) -> list[Armed]:
            return [post, *self.tickets.client_jobs(changed, now, Actor(by))]

        try:
            await self.changes.change(ticket.number, change, jobs=jobs, always=True)
        except TicketError as exc:
            log.warning("%s: the email %s could not be added: %s", ticket_key(ticket.number),
                        mail.message_id, exc)
            raise
        await self.refs.put_mail_ref(mail.message_id, ticket.number, REF_TTL)
        log.info("%s: email reply %s from %s", ticket_key(ticket.number), mail.message_id,
                 mail.sender)
        return Taken("replied", ticket.number)
