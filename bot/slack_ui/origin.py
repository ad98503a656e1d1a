"""Where a ticket came from, as its triage post says: from a client's message, and closed
as not a request."""

from __future__ import annotations

from bot.domain.tickets import Ticket
from bot.slack_ui.text import escape, slack_date


def origin_line(ticket: Ticket) -> str | None:
    """The triage post's line on where a ticket came from, for one from a message or an
    email."""
    if ticket.not_request_at is not None:
        return f"*Closed as not a request* {slack_date(ticket.not_request_at)}"
    if ticket.mail is not None:
        return f":email: *By email* from {escape(ticket.mail.sender)} to the support address."
    return ("*From a message* in the client channel: no one asked for a ticket."
            if ticket.message_ts else None)
