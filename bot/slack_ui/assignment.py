"""Assignment in Slack: the line in the client thread, the DMs, and the notes in the
triage thread (the triage post's picker is in ``picker``)."""

from __future__ import annotations

from bot.domain.jobs import AssignmentNote
from bot.domain.tickets import Assignment, Client, Ticket
from bot.slack_ui.messages import headline


def assigned_notice(ticket: Ticket, assignment: Assignment) -> str:
    """The client thread told who now looks after the ticket."""
    return (f"<@{assignment.to}> from support is now looking after {ticket.key}.")


def assigned_dm(ticket: Ticket, client: Client | None, assignment: Assignment, user: str,
                thread_link: str | None) -> str:
    """To the new assignee, or (handed over by the desk) to the one before them."""
    link = f"\n<{thread_link}|Open the ticket's thread>" if thread_link else ""
    if user != assignment.to:
        return (f":arrows_counterclockwise: {headline(ticket, client)}\n"
                f"It has passed to <@{assignment.to}>: you are no longer assigned.{link}")
    by = (f"by <@{assignment.by}>" if assignment.by
          else "automatically, in turn among the people on shift")
    return (f":inbox_tray: {headline(ticket, client)}\n"
            f"You have been assigned this ticket {by}. The client is waiting for your answer "
            f"in its thread.{link}")


def assignment_note(job: AssignmentNote) -> str:
    """The note in the triage thread."""
    if job.previous is None:
        return (f":busts_in_silhouette: Not assigned: {job.reason}. It will be assigned as "
                "soon as someone is available.")
    why = (f"<@{job.previous}> cannot be reached by direct message (skipped for 24 hours)"
           if job.unreachable else f"<@{job.previous}> has not answered the client")
    if job.to is None:
        return f":busts_in_silhouette: {why}, and {job.reason}: the ticket stays with them."
    return f":arrows_counterclockwise: {why}: the ticket passed to <@{job.to}>."
