"""Where a ticket came from, as its triage post says: from a client's message, and closed
as not a request."""

from __future__ import annotations

from bot.domain.tickets import Ticket
from bot.slack_ui.text import escape
from bot.slack_ui.words import Words


def origin_line(w: Words, ticket: Ticket) -> str | None:
    """The triage post's line on where a ticket came from, for one from a message or an
    email."""
    if ticket.not_request_at is not None:
        return w._("*Closed as not a request* {when}", when=w.date(ticket.not_request_at))
    if ticket.mail is not None:
        return w._(":email: *By email* from {sender} to the support address.",
                   sender=escape(ticket.mail.sender))
    return (w._("*From a message* in the client channel: no one asked for a ticket.")
            if ticket.message_ts else None)
