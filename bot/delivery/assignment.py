"""Assignment's effects: the client thread and the DMs told of an assignment, the desk's
own assignment of a ticket (again every minute while nobody is available), and the notes
in the triage thread."""

from __future__ import annotations

from functools import partial

from bot.adapters.slack import marker
from bot.delivery.job_run import Run, client_words, load, staff_words
from bot.delivery.posts import in_client_thread, since
from bot.delivery.registry import Consequences, Handlers
from bot.delivery.reminders import in_triage_thread
from bot.domain.jobs import (
    AssignedDM,
    AssignedNotice,
    AssignmentNote,
    AutoAssign,
    Job,
    JobKind,
    ProblemNote,
)
from bot.domain.text import N_
from bot.services.assignment import RETRY_EVERY, Assignments, NobodyAvailable
from bot.services.reminders import NotDue
from bot.slack_ui import assignment as texts

UNREACHABLE = frozenset({"user_disabled", "user_not_found", "account_inactive",
                         "cannot_dm_bot", "channel_not_found"})
"""Slack's refusals of a DM that mean the person cannot be reached that way."""


async def assigned_notice(job: AssignedNotice, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.change >= len(loaded.ticket.assignments):
        return
    assignment = loaded.ticket.assignments[job.change]
    if assignment.to is None:
        return
    await in_client_thread(run, loaded.ticket, job.id, f"assigned:{job.change}",
                           texts.assigned_notice(client_words(run, loaded.client),
                                                 loaded.ticket, assignment))


async def assigned_dm(job: AssignedDM, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.change >= len(loaded.ticket.assignments) or (
            job.id in loaded.ticket.sent):
        return
    ticket = loaded.ticket
    text = texts.assigned_dm(staff_words(run), ticket, loaded.client,
                             ticket.assignments[job.change], job.user, loaded.thread_link())
    await run.deps.slack.post_once(job.user, text, None, again=run.again, oldest=since(ticket),
                                   mark=marker(ticket.key, f"assigned:{job.change}/dm:{job.user}"))
    await run.deps.store.mark_done(ticket.number, job.id)


async def auto_assign(assignments: Assignments, job: AutoAssign, run: Run) -> None:
    try:
        await assignments.assign_automatically(job)
    except NobodyAvailable as nobody:
        raise NotDue(RETRY_EVERY) from nobody


async def assignment_note(job: AssignmentNote, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.id in loaded.ticket.sent:
        return
    await in_triage_thread(run, loaded, job.id, job.id.rsplit(":", 2)[0] + ":"
                           + job.id[-12:], texts.assignment_note(staff_words(run), job))


def dm_failed(job: AssignedDM, error: str) -> list[Job]:
    """The triage thread is told; an assignee who cannot be reached is skipped for a day and
    a ticket the desk gave them goes to the next person."""
    note = ProblemNote(ticket=job.ticket, what=N_("DM <@{user}> about their assignment"),
                       params={"user": job.user}, error=error,
                       hint=N_("another engineer should take this ticket over."),
                       recipient=job.user)
    if error not in UNREACHABLE:
        return [note]
    return [note, AutoAssign(ticket=job.ticket, after=job.change, unreachable=job.user)]


def notice_failed(job: AssignedNotice, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("post in the client thread"), error=error,
                        hint=N_("The client has not been told."))]


def auto_failed(job: AutoAssign, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("assign this ticket automatically"),
                        error=error, hint=N_("Assign it with Assign to."))]


def handlers(assignments: Assignments) -> Handlers:
    """Assignment's handlers by job kind; the desk assigns through ``assignments``."""
    return {
        JobKind.ASSIGNED_NOTICE: assigned_notice,
        JobKind.ASSIGNED_DM: assigned_dm,
        JobKind.AUTO_ASSIGN: partial(auto_assign, assignments),
        JobKind.ASSIGNMENT_NOTE: assignment_note,
    }


CONSEQUENCES: Consequences = {
    JobKind.ASSIGNED_DM: dm_failed,
    JobKind.ASSIGNED_NOTICE: notice_failed,
    JobKind.AUTO_ASSIGN: auto_failed,
}
