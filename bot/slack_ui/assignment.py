"""Assignment in Slack: the line in the client thread, the DMs, and the notes in the
triage thread (the triage post's picker is in ``picker``)."""

from __future__ import annotations

from bot.domain.jobs import AssignmentNote
from bot.domain.tickets import Assignment, Client, Ticket
from bot.slack_ui.messages import headline
from bot.slack_ui.notices import thread_line
from bot.slack_ui.words import Words


def assigned_notice(w: Words, ticket: Ticket, assignment: Assignment) -> str:
    """The client thread told who now looks after the ticket."""
    return w._("<@{user}> from support is now looking after {key}.", user=assignment.to,
               key=ticket.key)


def assigned_dm(w: Words, ticket: Ticket, client: Client | None, assignment: Assignment,
                user: str, thread_link: str | None) -> str:
    """To the new assignee, or (handed over by the desk) to the one before them."""
    head = headline(w, ticket, client)
    if user != assignment.to:
        return ":arrows_counterclockwise: " + w._(
            "{headline}\nIt has passed to <@{user}>: you are no longer assigned.",
            headline=head, user=assignment.to) + thread_line(w, thread_link)
    said = (w._("{headline}\nYou have been assigned this ticket by <@{user}>. The client is "
                "waiting for your answer in its thread.", headline=head, user=assignment.by)
            if assignment.by else
            w._("{headline}\nYou have been assigned this ticket automatically, in turn among "
                "the people on shift. The client is waiting for your answer in its thread.",
                headline=head))
    return ":inbox_tray: " + said + thread_line(w, thread_link)


def assignment_note(w: Words, job: AssignmentNote) -> str:
    """The note in the triage thread (``job.reason``: as written, translated here)."""
    reason = w._(job.reason) if job.reason else ""
    if job.previous is None:
        return ":busts_in_silhouette: " + w._(
            "Not assigned: {reason}. It will be assigned as soon as someone is available.",
            reason=reason)
    why = (w._("<@{user}> cannot be reached by direct message (skipped for 24 hours)",
               user=job.previous) if job.unreachable else
           w._("<@{user}> has not answered the client", user=job.previous))
    if job.to is None:
        return ":busts_in_silhouette: " + w._(
            "{why}, and {reason}: the ticket stays with them.", why=why, reason=reason)
    return ":arrows_counterclockwise: " + w._("{why}: the ticket passed to <@{user}>.",
                                              why=why, user=job.to)
