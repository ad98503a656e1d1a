"""What SLA reminders say: DMs, triage notes, the breach email, delivery problems."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.domain.calendar import elapsed
from bot.domain.mail import Email
from bot.domain.sla import SlaClock, Window
from bot.domain.text import clean_line
from bot.domain.tickets import Client, Ticket
from bot.slack_ui.messages import headline
from bot.slack_ui.text import cut_plain, escape, fit, humanize, slack_date


def update_overdue_dm(ticket: Ticket, client: Client | None, since: float, now: float,
                      thread_link: str | None) -> str:
    link = f"\n<{thread_link}|Open the ticket's thread>" if thread_link else ""
    return (f":speech_balloon: {headline(ticket, client)}\nThe client is owed an update: "
            f"the last one was {humanize(now - since)} ago.{link}")


def update_overdue_note(ticket: Ticket, since: float, now: float, told: Sequence[str]) -> str:
    owner = f" {mentions(told)} was reminded." if told else ""
    return (f":speech_balloon: {ticket.key}: the client is owed an update (last one "
            f"{humanize(now - since)} ago).{owner}")


def mentions(users: Sequence[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users)


WAITING = {SlaClock.INITIAL: "No response yet",
           SlaClock.NEXT: "The client is waiting for an answer",
           SlaClock.RESOLUTION: "Not resolved yet"}
MISSED = {SlaClock.INITIAL: "No response", SlaClock.NEXT: "No answer to the client",
          SlaClock.RESOLUTION: "Not resolved"}


def left(window: Window, now: float) -> str:
    """The business time left before the deadline, as people say it."""
    return humanize(elapsed(now, window.deadline, window.calendar, window.pauses))


def warning_dm(ticket: Ticket, client: Client | None, window: Window, now: float,
               thread_link: str | None, clock: SlaClock = SlaClock.INITIAL) -> str:
    link = f"\n<{thread_link}|Open the ticket's thread>" if thread_link else ""
    return (f":hourglass_flowing_sand: {headline(ticket, client)}\n"
            f"{WAITING[clock]}: *{left(window, now)} left* "
            f"(due {slack_date(window.deadline)}).{link}")


def warning_note(ticket: Ticket, client: Client | None, window: Window, now: float,
                 warned: Sequence[str], clock: SlaClock = SlaClock.INITIAL) -> str:
    note = (f":hourglass_flowing_sand: {WAITING[clock]} on {ticket.key}: "
            f"{left(window, now)} left (due {slack_date(window.deadline)}). ")
    if clock is not SlaClock.RESOLUTION and (client is None or client.account_manager is None):
        note += "This client has no account manager, so nobody was warned directly. "
    if warned:
        note += f"Warned: {mentions(warned)}."
    return note.strip()


def breach_dm(ticket: Ticket, client: Client | None, window: Window, now: float,
              thread_link: str | None, triage_link: str | None,
              clock: SlaClock = SlaClock.INITIAL) -> str:
    links = " · ".join(f"<{url}|{label}>" for url, label in
                       ((thread_link, "client thread"), (triage_link, "triage post")) if url)
    owner = f"Assigned to <@{ticket.assignee}>." if ticket.assignee else "Nobody has claimed it."
    which = "" if clock is SlaClock.INITIAL else f" ({clock.value})"
    return (f":rotating_light: *SLA breached{which}* — {headline(ticket, client)}\n"
            f"{MISSED[clock]} {humanize(now - window.deadline)} after the deadline "
            f"({slack_date(window.deadline)}). {owner}\n{links}").strip()


def breach_note(ticket: Ticket, window: Window, now: float, *, clock: SlaClock = SlaClock.INITIAL,
                told: Sequence[str] = (), alerted: Sequence[str] = (),
                emailed: str | None = None) -> str:
    """The breach in the triage thread, naming who the step actually reached: the people
    sent a DM, the channels and user groups alerted, the head of support's email."""
    who = [f"<@{u}>" for u in told] + [
        f"<#{t}>" if t.startswith("C") else f"user group {t}" for t in alerted]
    if emailed:
        who.append(f"the head of support by email ({escape(emailed)})")
    if who:
        said = "alerted: " + ", ".join(who)
    elif clock is SlaClock.RESOLUTION:
        said = "nobody could be told"
    else:
        said = "nobody could be alerted: set SUPPORT_LEAD, or SMTP_URL and SUPPORT_LEAD_EMAIL"
    deadline = "response" if clock is SlaClock.INITIAL else clock.value
    return (f":rotating_light: {ticket.key} breached its {deadline} deadline "
            f"({slack_date(window.deadline)}); {said}.")


def breach_email(ticket: Ticket, client: Client | None, window: Window, now: float, *,
                 to: str, thread_link: str | None, triage_link: str | None,
                 generation: int, clock: SlaClock = SlaClock.INITIAL, again: str = "") -> Email:
    when = datetime.fromtimestamp(window.deadline, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    who = client.name if client else f"unregistered channel {ticket.channel}"
    lines = [
        f"Ticket {ticket.key}: {MISSED[clock].lower()} {humanize(now - window.deadline)} "
        f"after its {clock.value} deadline.",
        "",
        f"Client:    {who}",
        f"Severity:  {ticket.severity.label}",
        f"Title:     {ticket.title}",
        f"Deadline:  {when}",
        f"Late by:   {humanize(now - window.deadline)}",
        f"Assignee:  {ticket.assignee or 'nobody has claimed it'}",
        "",
    ]
    if thread_link:
        lines.append(f"Client thread: {thread_link}")
    if triage_link:
        lines.append(f"Triage post:   {triage_link}")
    return Email(
        to=to,
        subject=one_line(f"[SLA breach{'' if clock is SlaClock.INITIAL else ': ' + clock.value}] "
                         f"{ticket.key} {ticket.severity.label} — {who}: "
                         f"{cut_plain(ticket.title, 100)}"),
        body="\n".join(lines) + "\n",
        message_id=f"<{ticket.key}.{clock.name.lower()}.breach.{generation}{again}"
                   "@support-desk>",
    )


def problem_note(what: str, error: str, hint: str) -> str:
    """A delivery that failed for good, said in the ticket's triage thread."""
    return (f":warning: Could not {what}: `{fit(clean_line(error), 200)}`."
            f"{' ' + hint if hint else ''}")


def one_line(text: str) -> str:
    """Text for a header: every run of whitespace (line separators too) one space."""
    return " ".join(text.split())


def group_alert(ticket: Ticket, client: Client | None, clock: SlaClock, breached: bool,
                target: str, triage_link: str | None) -> str:
    """An escalation to a user group (mentioned) or a channel."""
    who = f"<!subteam^{target}> " if target.startswith("S") else ""
    state = "breached its" if breached else "is close to its"
    link = f"\n<{triage_link}|Triage post>" if triage_link else ""
    deadline = "response" if clock is SlaClock.INITIAL else clock.value
    return (f":rotating_light: {who}{headline(ticket, client)}\n"
            f"{ticket.key} {state} {deadline} deadline.{link}")
