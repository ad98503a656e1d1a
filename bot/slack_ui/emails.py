"""What the desk writes about email: the messages to the email's reporter (the
acknowledgement, support's answers), threaded on their email; and, in Slack, the message
that names an email's sender and the triage note about an unknown sender."""

from __future__ import annotations

import re
from typing import Any

from bot.domain.email_in import bare_subject, desk_message_id
from bot.domain.mail import Email
from bot.domain.sla import Window
from bot.domain.tickets import MailThread, Ticket
from bot.slack_ui.messages import lines_sections, quoted
from bot.slack_ui.text import cut_plain, escape
from bot.slack_ui.words import Words


def _threaded(ticket: Ticket, mail: MailThread, what: str, support_email: str, subject: str,
              body: str, *, auto: bool) -> Email:
    domain = support_email.rpartition("@")[2]
    refs = " ".join(mail.refs)
    headers = [("In-Reply-To", mail.refs[-1]), ("References", refs)] if mail.refs else []
    if auto:
        headers.append(("Auto-Submitted", "auto-replied"))
    return Email(to=mail.sender, subject=subject, body=body,
                 message_id=desk_message_id(ticket.number, what, domain),
                 sender=support_email, cc=mail.cc, headers=tuple(headers))


def subject_of(ticket: Ticket, mail: MailThread) -> str:
    return f"[{ticket.key}] Re: {bare_subject(mail.subject) or ticket.title}"


def acknowledgement(w: Words, ticket: Ticket, mail: MailThread, window: Window,
                    support_email: str, timezone: str | None = None) -> Email:
    """The acknowledgement of a ticket opened by email, threaded on it, in the client's
    language, its deadline written out in the client's timezone (UTC without one)."""
    body = "\n".join([
        w._("Hello {name},", name=mail.name or mail.sender),
        "",
        w._("we have received your email and opened ticket {key}: {title}", key=ticket.key,
            title=ticket.title),
        "",
        w._("Severity: {severity}", severity=w.severity(ticket.severity)),
        w._("Support will answer by: {when}", when=w.written(window.deadline,
                                                               timezone or "UTC")),
        "",
        w._("Reply to this email to add to the ticket; keep [{key}] in the subject.",
            key=ticket.key),
        "",
        w._("The support team"),
    ])
    return _threaded(ticket, mail, "ack", support_email, subject_of(ticket, mail), body,
                     auto=True)


def answer(w: Words, ticket: Ticket, mail: MailThread, ref: str, author: str, text: str,
           support_email: str) -> Email:
    """Support's message to the client (a reply, an update, the resolution), by ``author``."""
    signed = w._("{author}, support", author=author)
    body = f"{text}\n\n-- \n{signed}\n{ticket.key}: {ticket.title}\n"
    return _threaded(ticket, mail, "out." + re.sub(r"[^A-Za-z0-9.-]", "-", ref), support_email,
                     subject_of(ticket, mail), body, auto=False)


def origin_message(ticket: Ticket, mail: MailThread) -> tuple[str, list[dict[str, Any]]]:
    """The top-level message in the client channel naming the email's sender."""
    who = f"{escape(mail.name)} <{escape(mail.sender)}>" if mail.name and \
        mail.name != mail.sender else escape(mail.sender)
    head = f":email: *{who}* wrote to support: *{escape(ticket.title)}*"
    return (f"Email from {cut_plain(mail.name or mail.sender, 200)}: "
            f"{cut_plain(ticket.title, 200)}",
            [*lines_sections([head]), *quoted(ticket.description)])


def email_in_thread(name: str, sender: str, text: str, *, files: int = 0,
                    too_big: tuple[str, ...] = ()) -> tuple[str, list[dict[str, Any]]]:
    """A client's email reply, posted in the ticket's thread (or, for the email that opened
    the ticket, its attachments), naming the attachments too big to copy."""
    head = (f":email: *{escape(name)}* <{escape(sender)}> by email:" if text else
            f":email: *{escape(name)}* <{escape(sender)}> attached {files} file(s) to the email:")
    lines = [head, *(f":warning: {escape(big)} is too big to copy here; it is in the support "
                     "mailbox." for big in too_big)]
    return (cut_plain(f"{name}: {text or 'attachments'}", 3000),
            [*lines_sections(lines), *(quoted(text) if text else [])])


def unknown_sender(sender: str, subject: str) -> str:
    return (f":email: Email from {escape(sender)} (\"{escape(cut_plain(subject, 200))}\") "
            "opened no ticket: its domain is no client's, and the sender was not answered. "
            "If it is a client's, add the domain with `clients set --email-domain`.")
