"""The answers to ``/ticket list``, ``/ticket T-1042`` and ``/ticket report``: a line per
ticket with its clock, the most urgent first; a report on its way."""

from __future__ import annotations

from bot.domain.listing import Listed
from bot.domain.sla import Window
from bot.domain.tickets import Status, Ticket
from bot.slack_ui.messages import clock_lines
from bot.slack_ui.text import escape
from bot.slack_ui.words import Words


def ticket_line(w: Words, ticket: Ticket, window: Window, now: float, *,
                breached: bool) -> str:
    if ticket.status is Status.RESOLVED:
        clock = w._("resolved")
    elif ticket.first_response_at is not None or ticket.reopened_at is not None:
        clock = w._("responded")
    elif breached:
        clock = w._("overdue by {duration}", duration=w.duration(now - window.deadline))
    else:
        clock = w._("{duration} left", duration=w.duration(window.deadline - now))
    return (f"*{ticket.key}* · {w.severity(ticket.severity)} · "
            f"{w.status(ticket.status).lower()} · {clock} — {escape(ticket.title)}")


def ticket_listing(w: Words, listed: Listed, now: float, *, internal: bool,
                   detailed: bool = False) -> str:
    """``/ticket list``: a line per ticket (with its channel, seen from triage), the most
    urgent first, and how many more there are; ``/ticket T-1042`` (``detailed``): the
    ticket's line, then each running clock."""
    rows = listed.rows
    if not rows:
        return w._("No open tickets.")
    if detailed:
        row = rows[0]
        lines = [ticket_line(w, row.ticket, row.window, now, breached=row.breached),
                 *clock_lines(w, row.clocks)]
        if row.hours:
            lines.append(w._("*Hours:* {hours}", hours=escape(w.hours(row.hours))))
        return "\n".join(lines)
    lines = []
    for row in rows:
        line = ticket_line(w, row.ticket, row.window, now, breached=row.breached)
        lines.append(line + (f" (<#{row.ticket.channel}>)" if internal else ""))
    more = listed.total - len(rows)
    if more > 0:
        lines.append(w.ngettext("…and {n} more, less urgent: see them all in the app's Home tab.",
                                "…and {n} more, less urgent: see them all in the app's Home "
                                "tab.", more) if internal else
                     w.ngettext("…and {n} more, less urgent: ask for one with `/ticket T-1234`.",
                                "…and {n} more, less urgent: ask for one with `/ticket "
                                "T-1234`.", more))
    return "\n".join(lines)


def report_on_its_way(w: Words, label: str, client: str | None) -> str:
    if client:
        return w._("Your SLA report of {period} for {client} is on its way to your direct "
                   "messages, with its CSV.", period=escape(w.period(label)),
                   client=escape(client))
    return w._("Your SLA report of {period} is on its way to your direct messages, with its "
               "CSV.", period=escape(w.period(label)))
