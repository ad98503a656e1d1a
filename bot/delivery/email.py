"""Email's effects: a ticket opened by email named in the client channel (its thread
holds the card), the acknowledgement and support's answers emailed to the reporter in the
email's thread, a client's email reply posted in the ticket's thread, the triage note
about an unknown sender."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial

from bot.adapters.finish import Posted
from bot.adapters.mail import Mailer
from bot.adapters.slack import Author, marker
from bot.delivery.job_run import Run, client_words, load
from bot.delivery.posts import in_client_thread, recorded, since
from bot.delivery.registry import Consequences, Handlers
from bot.domain.jobs import (
    Armed,
    EmailAck,
    EmailIntoThread,
    EmailOrigin,
    EmailOut,
    Job,
    JobKind,
    PostClientThread,
    ProblemNote,
    UnknownSender,
)
from bot.domain.mail import Email
from bot.domain.tickets import Ticket
from bot.services.changes import Changes
from bot.services.ports import Directory, FileStash
from bot.slack_ui import emails

log = logging.getLogger(__name__)

DAY = 86_400


async def email_origin(changes: Changes, job: EmailOrigin, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or loaded.ticket.mail is None:
        return
    ticket = loaded.ticket
    ts, posted = ticket.message_ts, None
    if ts is None:
        text, body = emails.origin_message(ticket, loaded.ticket.mail)
        ts = await run.deps.slack.post_once(ticket.channel, text, body,
                                            mark=marker(ticket.key, "email"), again=run.again,
                                            oldest=since(ticket))
        found = ts

        def placed(t: Ticket) -> Ticket:
            return t if t.message_ts else replace(t, message_ts=found)

        await changes.change(ticket.number, placed)
        posted = Posted("client_ts", ts)
    done = await run.close(lambda lease: run.deps.store.finish(
        ticket, lease, posted=posted, jobs=[Armed(PostClientThread(ticket=ticket.number))]))
    recorded(ticket, posted, done)


async def _send(mailer: Mailer | None, run: Run, ticket: Ticket, job_id: str,
                email: Email) -> None:
    if mailer is None:
        log.warning("%s: email to %s not sent: SMTP_URL is not set", ticket.key, email.to)
        return
    await run.fence()  # an email cannot be looked for afterwards: never send it twice
    await mailer.send(email)
    await run.close(lambda lease: run.deps.store.finish(ticket, lease, mark=job_id))


async def email_ack(mailer: Mailer | None, support_email: str, job: EmailAck, run: Run
                    ) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or loaded.ticket.mail is None or job.id in loaded.ticket.sent:
        return
    ticket = loaded.ticket
    assert ticket.mail is not None
    calendar = loaded.plan.calendar_for(ticket.severity)
    await _send(mailer, run, ticket, job.id, emails.acknowledgement(
        client_words(run, loaded.client), ticket, ticket.mail, loaded.window, support_email,
        calendar.timezone if calendar else None))


async def email_out(mailer: Mailer | None, support_email: str, directory: Directory,
                    job: EmailOut, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or loaded.ticket.mail is None or job.id in loaded.ticket.sent:
        return
    ticket = loaded.ticket
    assert ticket.mail is not None
    member = await directory.member(job.by)
    author = member.name if member and member.name else "Support"
    await _send(mailer, run, ticket, job.id, emails.answer(
        client_words(run, loaded.client), ticket, ticket.mail, job.ref, author, job.text,
        support_email))


async def email_into_thread(files: FileStash, job: EmailIntoThread, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.id in loaded.ticket.sent:
        return
    ticket = loaded.ticket

    async def uploaded(_: str) -> None:
        assert ticket.client_ts is not None
        for key in job.files:
            found = await files.file(key)
            if found is None:
                log.warning("%s: an attachment of email %s is no longer kept", ticket.key,
                            job.ref)
                continue
            name, data = found
            await run.deps.slack.upload_once(ticket.channel, name, data, title=name,
                                             thread_ts=ticket.client_ts, again=run.again)

    text, body = emails.email_in_thread(job.name, job.sender, job.text, files=len(job.files),
                                        too_big=job.too_big)
    await in_client_thread(run, ticket, job.id, f"email:{job.ref}", text, body,
                           author=Author(f"{job.name} (by email)"), posted=uploaded)


async def unknown_sender(triage: str | None, job: UnknownSender, run: Run) -> None:
    if triage is None:
        return
    await run.deps.slack.post_once(
        triage, emails.unknown_sender(job.sender, job.subject), None,
        mark=marker(f"email:{job.sender}", f"unknown:{job.day}"), again=run.again,
        oldest=job.day * DAY - 3600)


def email_failed(job: EmailAck | EmailOut, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what="email the ticket's reporter", error=error,
                        hint="The client has not been told by email.")]


def origin_failed(job: EmailOrigin, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what="post this email's ticket in the client "
                        "channel", error=error,
                        hint="The client has not seen it there. Invite the app to that "
                        "channel.")]


def handlers(changes: Changes, directory: Directory, mailer: Mailer | None,
             support_email: str | None, triage: str | None, files: FileStash) -> Handlers:
    """Email's handlers by job kind; answers go from ``support_email`` through ``mailer``."""
    answers_from = support_email or "support@localhost"
    return {
        JobKind.EMAIL_ORIGIN: partial(email_origin, changes),
        JobKind.EMAIL_ACK: partial(email_ack, mailer, answers_from),
        JobKind.EMAIL_OUT: partial(email_out, mailer, answers_from, directory),
        JobKind.EMAIL_INTO_THREAD: partial(email_into_thread, files),
        JobKind.UNKNOWN_SENDER: partial(unknown_sender, triage),
    }


CONSEQUENCES: Consequences = {
    JobKind.EMAIL_ORIGIN: origin_failed,
    JobKind.EMAIL_ACK: email_failed,
    JobKind.EMAIL_OUT: email_failed,
}
