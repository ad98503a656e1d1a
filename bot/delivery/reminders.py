"""SLA reminders: a timer firing, and each of its messages (a DM, the triage note, the
breach email), plus the note that tells the triage thread what could not be delivered."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial

from bot.adapters.mail import Mailer
from bot.adapters.metrics import REMINDERS, TIMER_LAG
from bot.adapters.slack import marker
from bot.delivery.job_run import Loaded, NotReady, Run, load, staff_words
from bot.delivery.posts import since
from bot.delivery.registry import Consequences, Handlers
from bot.domain.jobs import (
    BreachEmail,
    FireTimer,
    GroupAlert,
    Job,
    JobKind,
    ProblemNote,
    ReminderDM,
    Role,
    TriageNote,
)
from bot.domain.sla import Step, Window, reminder_current, rung_suffix, windows
from bot.domain.text import N_
from bot.services.reminders import Reminders
from bot.slack_ui import notices

log = logging.getLogger(__name__)


async def fire_timer(reminders: Reminders, job: FireTimer, run: Run) -> None:
    # Its messages and redraws are armed by the service, in the commit that fires it.
    fired = await reminders.fire(job, run.now)
    if fired is not None:
        step = fired.timer.step
        TIMER_LAG.labels(step.value).observe(max(0.0, run.now - fired.timer.due))
        REMINDERS.labels(step.clock.value, step.value).inc()


def notification(job: ReminderDM | TriageNote | GroupAlert) -> str:
    """The fired notification a message belongs to (its marker in Slack)."""
    return f"{job.step.value}:{job.generation}{rung_suffix(job.rung, job.repeat)}"


async def still_worth_sending(run: Run, job: ReminderDM | TriageNote | GroupAlert
                              ) -> Loaded | None:
    """The ticket, unless this message was sent already or no longer says something true."""
    loaded = await load(run, job.ticket)
    if loaded is None or job.id in loaded.ticket.sent:
        return None
    if not reminder_current(loaded.ticket, loaded.plan, job.step, job.generation):
        log.info("%s: %s message %s dropped: the deadline moved or the clock stopped",
                 loaded.ticket.key, job.step.value, job.id)
        return None
    return loaded


def fired_window(loaded: Loaded, step: Step, generation: int) -> Window:
    """The step's window as it was when the reminder fired (its generation is its deadline)."""
    current = windows(loaded.ticket, loaded.plan).get(step.clock) or loaded.window
    return replace(current, deadline=generation / 1000)


async def reminder_dm(job: ReminderDM, run: Run) -> None:
    loaded = await still_worth_sending(run, job)
    if loaded is None:
        return
    ticket, client, now = loaded.ticket, loaded.client, run.deps.now()
    w = staff_words(run)
    window = fired_window(loaded, job.step, job.generation)
    clock = job.step.clock
    if job.step is Step.UPDATE:
        text = notices.update_overdue_dm(w, ticket, client, job.generation / 1000, now,
                                         loaded.thread_link())
    elif job.step.is_breach:
        text = notices.breach_dm(w, ticket, client, window, now, loaded.thread_link(),
                                 loaded.triage_link(run.deps.config.triage_channel), clock)
    else:
        text = notices.warning_dm(w, ticket, client, window, now, loaded.thread_link(), clock)
    await run.deps.slack.post_once(
        job.user, text, None, again=run.again, oldest=since(ticket),
        mark=marker(ticket.key, f"{notification(job)}/dm:{job.user}"))
    await run.close(lambda lease: run.deps.store.finish(ticket, lease, mark=job.id))


async def triage_note(job: TriageNote, run: Run) -> None:
    loaded = await still_worth_sending(run, job)
    if loaded is None:
        return
    ticket, now = loaded.ticket, run.deps.now()
    window = fired_window(loaded, job.step, job.generation)
    clock = job.step.clock
    w = staff_words(run)
    if job.step is Step.UPDATE:
        text = notices.update_overdue_note(w, ticket, job.generation / 1000, now, job.told)
    elif job.step.is_breach:
        text = notices.breach_note(w, ticket, window, now, clock=clock, told=job.told,
                                   alerted=job.alerted, emailed=job.emailed)
    else:
        text = notices.warning_note(w, ticket, loaded.client, window, now, job.told, clock)
    await in_triage_thread(run, loaded, job.id, f"{notification(job)}/triage", text)


async def group_alert(job: GroupAlert, run: Run) -> None:
    """An escalation step to a user group (mentioned in the triage thread, so Slack
    notifies its members) or to a channel (a post there, linking to the triage post)."""
    loaded = await still_worth_sending(run, job)
    if loaded is None:
        return
    ticket = loaded.ticket
    text = notices.group_alert(staff_words(run), ticket, loaded.client, job.step.clock,
                               job.step.is_breach, job.target,
                               loaded.triage_link(run.deps.config.triage_channel))
    if job.target.startswith("S"):
        await in_triage_thread(run, loaded, job.id, f"{notification(job)}/alert", text)
        return
    await run.deps.slack.post_once(job.target, text, None, again=run.again,
                                   mark=marker(ticket.key, f"{notification(job)}/alert"),
                                   oldest=since(ticket))
    await run.close(lambda lease: run.deps.store.finish(ticket, lease, mark=job.id))


async def breach_email(mailer: Mailer | None, job: BreachEmail, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.id in loaded.ticket.sent:
        return
    if mailer is None:
        log.warning("%s: breach email dropped: SMTP_URL is not set", loaded.ticket.key)
        return
    email = notices.breach_email(
        staff_words(run), loaded.ticket, loaded.client,
        fired_window(loaded, job.step, job.generation), run.deps.now(), to=job.to,
        thread_link=loaded.thread_link(),
        triage_link=loaded.triage_link(run.deps.config.triage_channel),
        generation=job.generation, clock=job.step.clock,
        again=rung_suffix(job.rung, job.repeat).replace(":", "."))
    await run.fence()  # an email cannot be looked for afterwards: never send it twice
    await mailer.send(email)
    await run.close(lambda lease: run.deps.store.finish(loaded.ticket, lease, mark=job.id))


async def problem_note(job: ProblemNote, run: Run) -> None:
    loaded = await load(run, job.ticket)
    if loaded is None or job.id in loaded.ticket.sent:
        return
    await in_triage_thread(run, loaded, job.id, job.id.split(":", 2)[0] + ":" + job.id[-12:],
                           notices.problem_note(staff_words(run), job.what, job.error,
                                                job.hint, job.params))


async def in_triage_thread(run: Run, loaded: Loaded, job_id: str, name: str, text: str) -> None:
    channel = run.deps.config.triage_channel
    ticket = loaded.ticket
    if channel is None:
        return
    if ticket.triage_ts is None:
        raise NotReady(f"{ticket.key} has no triage post yet")
    await run.deps.slack.post_once(channel, text, None, thread_ts=ticket.triage_ts,
                                   mark=marker(ticket.key, name), again=run.again,
                                   oldest=since(ticket))
    await run.close(lambda lease: run.deps.store.finish(ticket, lease, mark=job_id))


_HINTS = {
    Role.ACCOUNT_MANAGER: N_("update the client with `clients set --account-manager`."),
    Role.HEAD_OF_SUPPORT: N_("check SUPPORT_LEAD."),
    Role.ASSIGNEE: N_("another engineer should take this ticket over."),
}


def _step(step: Step) -> str:
    return step.value.replace("_", " ")


def dm_failed(job: ReminderDM, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("DM <@{user}> ({role}) about the {step}"),
                        params={"user": job.user, "role": job.role.value,
                                "step": _step(job.step)},
                        error=error, hint=_HINTS[job.role], recipient=job.user)]


def email_failed(job: BreachEmail, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("email the breach to {to}"),
                        params={"to": job.to}, error=error,
                        hint=N_("check SUPPORT_LEAD_EMAIL and SMTP_URL."), recipient=job.to)]


def timer_failed(job: FireTimer, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("send the {step} reminder"),
                        params={"step": _step(job.step)}, error=error,
                        hint=N_("Its deadline is on this post; the desk's log says why."))]


def alert_failed(job: GroupAlert, error: str) -> list[Job]:
    return [ProblemNote(ticket=job.ticket, what=N_("alert {target} about the {step}"),
                        params={"target": job.target, "step": _step(job.step)}, error=error,
                        hint=N_("Check the ladder in PLANS, and invite the app to the channel."),
                        recipient=job.target)]


def handlers(reminders: Reminders, mailer: Mailer | None) -> Handlers:
    """The reminders' handlers by job kind: a timer fires through ``reminders``; the breach
    email goes by ``mailer`` (None: SMTP is not set up)."""
    return {
        JobKind.FIRE_TIMER: partial(fire_timer, reminders),
        JobKind.REMINDER_DM: reminder_dm,
        JobKind.TRIAGE_NOTE: triage_note,
        JobKind.GROUP_ALERT: group_alert,
        JobKind.BREACH_EMAIL: partial(breach_email, mailer),
        JobKind.PROBLEM_NOTE: problem_note,
    }


CONSEQUENCES: Consequences = {
    JobKind.REMINDER_DM: dm_failed,
    JobKind.BREACH_EMAIL: email_failed,
    JobKind.FIRE_TIMER: timer_failed,
    JobKind.GROUP_ALERT: alert_failed,
}
"""What a reminder's failing for good leads to: a note in the triage thread naming who
could not be reached. (A problem note's own failure leads to nothing.)"""
