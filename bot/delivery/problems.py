"""What people are told when an effect fails for good, and what follows from it."""

from __future__ import annotations

from bot.domain.jobs import (
    BreachEmail,
    DeliverOutbox,
    FireTimer,
    GroupAlert,
    Job,
    PostClientThread,
    PostTriage,
    ProblemNote,
    RelayUpdate,
    ReminderDM,
    Role,
    SeverityNotice,
    StatusNotice,
    SyncCard,
)

_HINTS = {
    Role.ACCOUNT_MANAGER: "update the client with `clients set --account-manager`.",
    Role.HEAD_OF_SUPPORT: "check SUPPORT_LEAD.",
    Role.ASSIGNEE: "another engineer should take this ticket over.",
}

def consequences(job: Job, error: str) -> list[Job]:
    """The jobs to arm when ``job`` failed for good with ``error``: a note in the ticket's
    triage thread saying who or what could not be reached and why (once per cause)."""
    n = job.ticket
    if isinstance(job, ReminderDM):
        return [ProblemNote(ticket=n, what=f"DM <@{job.user}> ({job.role.value}) about the "
                            f"{job.step.value.replace('_', ' ')}", error=error,
                            hint=_HINTS[job.role], recipient=job.user)]
    if isinstance(job, BreachEmail):
        return [ProblemNote(ticket=n, what=f"email the breach to {job.to}", error=error,
                            hint="check SUPPORT_LEAD_EMAIL and SMTP_URL.", recipient=job.to)]
    if isinstance(job, PostClientThread):
        # The triage post goes out all the same, and says the client has not seen it.
        return [PostTriage(ticket=n), ProblemNote(
            ticket=n, what="post this ticket in the client channel", error=error,
            hint="The client has not seen it. Invite the app to that channel.")]
    if isinstance(job, FireTimer):
        return [ProblemNote(ticket=n, what=f"send the {job.step.value.replace('_', ' ')} "
                            "reminder", error=error, hint="Its deadline is on this post; "
                            "the desk's log says why.")]
    if isinstance(job, GroupAlert):
        return [ProblemNote(ticket=n, what=f"alert {job.target} about the "
                            f"{job.step.value.replace('_', ' ')}", error=error,
                            hint="Check the ladder in PLANS, and invite the app to the channel.",
                            recipient=job.target)]
    if isinstance(job, DeliverOutbox):
        return [ProblemNote(ticket=n, what=f"send this ticket's events to the {job.sink.value}",
                            error=error, hint="They stay queued, and go out with the ticket's "
                            "next event.", recipient=job.sink.value)]
    if isinstance(job, SyncCard):
        return [ProblemNote(ticket=n, what="bring the ticket's card in the client thread up to "
                            "date", error=error, hint="The client sees an older state there.")]
    if isinstance(job, StatusNotice | SeverityNotice | RelayUpdate):
        return [ProblemNote(ticket=n, what="post in the client thread", error=error,
                            hint="The client has not been told.")]
    return []
