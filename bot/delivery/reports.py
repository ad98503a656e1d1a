"""SLA reports by DM: the summary, then the CSV in its thread; and CSAT comments, told in
the ticket's triage thread."""

from __future__ import annotations

import logging
from functools import partial

from bot.adapters.slack import Undeliverable, marker
from bot.delivery.job_run import Run, load, staff_words
from bot.delivery.registry import Handlers
from bot.delivery.reminders import in_triage_thread
from bot.domain.jobs import CsatComment, JobKind, ReportDM
from bot.domain.text import N_
from bot.services.reports import Reports
from bot.slack_ui.csat import comment_note
from bot.slack_ui.notices import problem_note
from bot.slack_ui.reports import report_message

log = logging.getLogger(__name__)


async def report_dm(reports: Reports, job: ReportDM, run: Run) -> None:
    report = await reports.build(job.start, job.end, job.label, job.channel)
    to = job.user or (report.client.account_manager if report.client else None)
    if to is None:
        log.warning("report %s: no one to send it to (the client %s has no account "
                    "manager, or is no longer registered)", job.ref, job.channel)
        return
    w = staff_words(run)
    who = report.client.name if report.client else w._("all clients")
    period = w.period(job.label)
    title = (w._("Monthly statement {period} — {client}", period=period, client=who)
             if job.user is None else
             w._("SLA report {period} — {client}", period=period, client=who))
    text, blocks = report_message(w, title, report.rows, report.tickets,
                                  report.assignees if job.user is not None else ())
    slack = run.deps.slack
    try:
        channel = await slack.dm_channel(to)
        ts = await slack.post_once(channel, text, blocks, mark=marker(job.ref, "report"),
                                   again=run.again, oldest=since(job, run))
        await slack.upload_once(channel, report.filename, report.csv, title=title,
                                thread_ts=ts, again=run.again)
        if job.user is not None and report.assignees:  # the asker's, not a statement
            await slack.upload_once(channel, report.assignee_filename, report.assignee_csv,
                                    title=w._("{title}, by assignee", title=title), thread_ts=ts,
                                    again=run.again)
    except Undeliverable as refused:
        what = (w._("send the monthly statement {period} to <@{user}>", period=period,
                    user=to) if job.user is None else
                w._("send the SLA report {period} to <@{user}>", period=period, user=to))
        await tell_triage(run, job, what, refused.error)
        raise
    log.info("report %s sent to %s (%d tickets)", job.ref, to, report.tickets)


def since(job: ReportDM, run: Run) -> float:
    """Where to look for this job's message that an earlier attempt may have posted: it
    went out after the period's end or after the job was asked for, within its retries
    (a day at most)."""
    return min(job.end, run.now) - 2 * 86_400


async def tell_triage(run: Run, job: ReportDM, what: str, error: str) -> None:
    """A report that cannot be delivered for good, said in the triage channel (it is of
    no ticket, so of no ticket's thread), once."""
    channel = run.deps.config.triage_channel
    if channel is None:
        return
    hint = (N_("Update the client's account manager with `clients set --account-manager`.")
            if job.user is None else "")
    await run.deps.slack.post_once(channel, problem_note(staff_words(run), what, error, hint),
                                   None,
                                   mark=marker(job.ref, "problem"), again=run.again,
                                   oldest=since(job, run))


async def csat_comment(job: CsatComment, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.id in loaded.ticket.sent:
        return
    mine = next((r for r in loaded.ticket.ratings if r.user == job.user), None)
    if mine is None or not mine.comment:
        return
    await in_triage_thread(run, loaded, job.id, f"csat_comment:{job.ref}",
                           comment_note(staff_words(run), loaded.ticket, job.user))


def handlers(reports: Reports) -> Handlers:
    """The reports' handlers by job kind: a report's figures from ``reports``."""
    return {JobKind.REPORT_DM: partial(report_dm, reports),
            JobKind.CSAT_COMMENT: csat_comment}
