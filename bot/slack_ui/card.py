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
from bot.slack_ui.text import escape, person, slack_date


def first_response_line(ticket: Ticket, window: Window, *, breached: bool) -> str:
    due = slack_date(window.deadline)
    responded = ticket.first_response_at
    if responded is not None:
        late = f", after the deadline of {due}" if responded >= window.deadline else ""
        return f"*First response:* responded {slack_date(responded)}{late}"
    if ticket.status is Status.RESOLVED or ticket.reopened_at is not None:
        return "*First response:* resolved before a reply"
    if breached:
        return f"*First response:* :rotating_light: *BREACHED* — was due {due}"
    return f"*First response:* due {due}"


def client_card(ticket: Ticket, client: Client | None, window: Window, *, breached: bool,
                clocks: Sequence[ClockState] = (), hours: str | None = None
                ) -> tuple[str, list[dict[str, Any]]]:
    """The message in the client channel that is the ticket's thread, from its state."""
    owner = f"<@{ticket.assignee}>" if ticket.assignee else "not yet assigned"
    lines = [
        f"*{ticket.key}* · {ticket.severity.label} · {escape(ticket.title)}",
        f"*Status:* {ticket.status.value.capitalize()}    *Owner:* {owner}",
        first_response_line(ticket, window, breached=breached),
        *clock_lines(clocks),
        f"*Hours:* {escape(hours)}" if hours else "*Hours:* around the clock (24x7)",
        f"Opened by {person(ticket.reporter)} {slack_date(ticket.created_at)}.",
    ]
    if (ticket.severity is Severity.CRITICAL and client and client.account_manager
            and ticket.status is not Status.RESOLVED):
        line = f"Your account manager <@{client.account_manager}> is on alert"
        if client.phone:
            line += f", direct line {escape(client.phone)}"
        lines.append(line + ".")
    if ticket.status is not Status.RESOLVED:
        lines.append("Support will answer in this thread; add anything useful here.")
    text = (f"{ticket.key} · {ticket.severity.label} · {ticket.status.value}: "
            f"{escape(ticket.title)}")
    menu = ([{"type": "actions", "elements": [severity_menu(ticket)]}]
            if ticket.status is not Status.RESOLVED else [])
    return text, [*lines_sections(lines), *quoted(ticket.description), *menu]
