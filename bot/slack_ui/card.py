"""The ticket's card: its first message in the client thread, kept current in place.

Status, owner, the first response (due, responded or breached), the other clocks (next
update due...) and the hours that count, with ``<!date^...>`` dates each reader sees in
their own timezone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.sla import ClockState, Window
from bot.domain.tickets import Client, Severity, Status, Ticket
from bot.slack_ui.messages import clock_lines, lines_sections, quoted, severity_menu
from bot.slack_ui.text import escape, person
from bot.slack_ui.words import Words


def first_response_line(w: Words, ticket: Ticket, window: Window, *, breached: bool) -> str:
    due = w.date(window.deadline)
    responded = ticket.first_response_at
    if responded is not None:
        if responded >= window.deadline:
            return w._("*First response:* responded {when}, after the deadline of {due}",
                       when=w.date(responded), due=due)
        return w._("*First response:* responded {when}", when=w.date(responded))
    if ticket.status is Status.RESOLVED or ticket.reopened_at is not None:
        return w._("*First response:* resolved before a reply")
    if breached:
        return w._("*First response:* :rotating_light: *BREACHED* — was due {due}", due=due)
    return w._("*First response:* due {due}", due=due)


def client_card(w: Words, ticket: Ticket, client: Client | None, window: Window, *,
                breached: bool, clocks: Sequence[ClockState] = (), hours: str | None = None
                ) -> tuple[str, list[dict[str, Any]]]:
    """The message in the client channel that is the ticket's thread, from its state."""
    owner = f"<@{ticket.assignee}>" if ticket.assignee else w._("not yet assigned")
    severity, status = w.severity(ticket.severity), w.status(ticket.status)
    lines = [
        f"*{ticket.key}* · {severity} · {escape(ticket.title)}",
        w._("*Status:* {status}    *Owner:* {owner}", status=status, owner=owner),
        first_response_line(w, ticket, window, breached=breached),
        *clock_lines(w, clocks),
        w._("*Hours:* {hours}", hours=escape(hours)) if hours
        else w._("*Hours:* around the clock (24x7)"),
        w._("Opened by {user} {when}.", user=person(ticket.reporter),
            when=w.date(ticket.created_at)),
    ]
    if (ticket.severity is Severity.CRITICAL and client and client.account_manager
            and ticket.status is not Status.RESOLVED):
        lines.append(
            w._("Your account manager <@{user}> is on alert, direct line {phone}.",
                user=client.account_manager, phone=escape(client.phone)) if client.phone else
            w._("Your account manager <@{user}> is on alert.", user=client.account_manager))
    if ticket.status is not Status.RESOLVED:
        lines.append(w._("Support will answer in this thread; add anything useful here."))
    text = f"{ticket.key} · {severity} · {status.lower()}: {escape(ticket.title)}"
    menu = ([{"type": "actions", "elements": [severity_menu(w, ticket)]}]
            if ticket.status is not Status.RESOLVED else [])
    return text, [*lines_sections(lines), *quoted(ticket.description), *menu]
