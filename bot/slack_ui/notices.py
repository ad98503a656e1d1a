"""What SLA reminders say: DMs, triage notes, the breach email, delivery problems."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.domain.calendar import elapsed
from bot.domain.mail import Email
from bot.domain.sla import SlaClock, Window
from bot.domain.text import N_, clean_line
from bot.domain.tickets import Client, Ticket
from bot.slack_ui.messages import headline
from bot.slack_ui.text import cut_plain, escape, fit
from bot.slack_ui.words import Words


def thread_line(w: Words, thread_link: str | None) -> str:
    return "\n" + w._("<{link}|Open the ticket's thread>", link=thread_link) if thread_link else ""


def update_overdue_dm(w: Words, ticket: Ticket, client: Client | None, since: float,
                      now: float, thread_link: str | None) -> str:
    return ":speech_balloon: " + w._(
        "{headline}\nThe client is owed an update: the last one was {duration} ago.",
        headline=headline(w, ticket, client), duration=w.duration(now - since)
    ) + thread_line(w, thread_link)


def update_overdue_note(w: Words, ticket: Ticket, since: float, now: float,
                        told: Sequence[str]) -> str:
    note = ":speech_balloon: " + w._("{key}: the client is owed an update (last one {duration} "
                                     "ago).", key=ticket.key, duration=w.duration(now - since))
    return note + (" " + w._("{users} was reminded.", users=mentions(told)) if told else "")


def mentions(users: Sequence[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users)


WAITING = {SlaClock.INITIAL: N_("No response yet"),
           SlaClock.NEXT: N_("The client is waiting for an answer"),
           SlaClock.RESOLUTION: N_("Not resolved yet")}
MISSED = {SlaClock.INITIAL: N_("No response"), SlaClock.NEXT: N_("No answer to the client"),
          SlaClock.RESOLUTION: N_("Not resolved")}


def left(w: Words, window: Window, now: float) -> str:
    """The business time left before the deadline, as people say it."""
    return w.duration(elapsed(now, window.deadline, window.calendar, window.pauses))


def warning_dm(w: Words, ticket: Ticket, client: Client | None, window: Window, now: float,
               thread_link: str | None, clock: SlaClock = SlaClock.INITIAL) -> str:
    return ":hourglass_flowing_sand: " + w._(
        "{headline}\n{waiting}: *{left} left* (due {due}).", headline=headline(w, ticket, client),
        waiting=w._(WAITING[clock]), left=left(w, window, now), due=w.date(window.deadline)
    ) + thread_line(w, thread_link)


def warning_note(w: Words, ticket: Ticket, client: Client | None, window: Window, now: float,
                 warned: Sequence[str], clock: SlaClock = SlaClock.INITIAL) -> str:
    note = ":hourglass_flowing_sand: " + w._(
        "{waiting} on {key}: {left} left (due {due}).", waiting=w._(WAITING[clock]),
        key=ticket.key, left=left(w, window, now), due=w.date(window.deadline)) + " "
    if clock is not SlaClock.RESOLUTION and (client is None or client.account_manager is None):
        note += w._("This client has no account manager, so nobody was warned directly.") + " "
    if warned:
        note += w._("Warned: {users}.", users=mentions(warned))
    return note.strip()


def breach_dm(w: Words, ticket: Ticket, client: Client | None, window: Window, now: float,
              thread_link: str | None, triage_link: str | None,
              clock: SlaClock = SlaClock.INITIAL) -> str:
    links = " · ".join(f"<{url}|{label}>" for url, label in
                       ((thread_link, w._("client thread")), (triage_link, w._("triage post")))
                       if url)
    owner = (w._("Assigned to <@{user}>.", user=ticket.assignee) if ticket.assignee
             else w._("Nobody has claimed it."))
    title = (w._("SLA breached") if clock is SlaClock.INITIAL
             else w._("SLA breached ({clock})", clock=w.clock(clock)))
    return (f":rotating_light: *{title}* — {headline(w, ticket, client)}\n" + w._(
        "{missed} {duration} after the deadline ({due}).", missed=w._(MISSED[clock]),
        duration=w.duration(now - window.deadline), due=w.date(window.deadline)) +
        f" {owner}\n{links}").strip()


def breach_note(w: Words, ticket: Ticket, window: Window, now: float, *,
                clock: SlaClock = SlaClock.INITIAL, told: Sequence[str] = (),
                alerted: Sequence[str] = (), emailed: str | None = None) -> str:
    """The breach in the triage thread, naming who the step actually reached: the people
    sent a DM, the channels and user groups alerted, the head of support's email."""
    who = [f"<@{u}>" for u in told] + [
        f"<#{t}>" if t.startswith("C") else w._("user group {group}", group=t) for t in alerted]
    if emailed:
        who.append(w._("the head of support by email ({address})", address=escape(emailed)))
    if who:
        said = w._("alerted: {who}", who=", ".join(who))
    elif clock is SlaClock.RESOLUTION:
        said = w._("nobody could be told")
    else:
        said = w._("nobody could be alerted: set SUPPORT_LEAD, or SMTP_URL and "
                   "SUPPORT_LEAD_EMAIL")
    deadline = w._("response") if clock is SlaClock.INITIAL else w.clock(clock)
    return ":rotating_light: " + w._("{key} breached its {deadline} deadline ({due}); {said}.",
                                     key=ticket.key, deadline=deadline,
                                     due=w.date(window.deadline), said=said)


def breach_email(w: Words, ticket: Ticket, client: Client | None, window: Window, now: float,
                 *, to: str, thread_link: str | None, triage_link: str | None,
                 generation: int, clock: SlaClock = SlaClock.INITIAL, again: str = "") -> Email:
    when = (datetime.fromtimestamp(window.deadline, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if w.language == "en" else w.written(window.deadline))
    who = client.name if client else w._("unregistered channel {channel}",
                                         channel=ticket.channel)
    late = w.duration(now - window.deadline)
    lines = [
        w._("Ticket {key}: {missed} {duration} after its {clock} deadline.", key=ticket.key,
            missed=w._(MISSED[clock]).lower(), duration=late, clock=w.clock(clock)),
        "",
        w._("Client:    {client}", client=who),
        w._("Severity:  {severity}", severity=w.severity(ticket.severity)),
        w._("Title:     {title}", title=ticket.title),
        w._("Deadline:  {when}", when=when),
        w._("Late by:   {duration}", duration=late),
        w._("Assignee:  {user}", user=ticket.assignee or w._("nobody has claimed it")),
        "",
    ]
    if thread_link:
        lines.append(w._("Client thread: {link}", link=thread_link))
    if triage_link:
        lines.append(w._("Triage post:   {link}", link=triage_link))
    tag = (w._("SLA breach") if clock is SlaClock.INITIAL
           else w._("SLA breach: {clock}", clock=w.clock(clock)))
    return Email(
        to=to,
        subject=one_line(f"[{tag}] {ticket.key} {w.severity(ticket.severity)} — {who}: "
                         f"{cut_plain(ticket.title, 100)}"),
        body="\n".join(lines) + "\n",
        message_id=f"<{ticket.key}.{clock.name.lower()}.breach.{generation}{again}"
                   "@support-desk>",
    )


def problem_note(w: Words, what: str, error: str, hint: str,
                 params: dict[str, str] | None = None) -> str:
    """A delivery that failed for good, said in the ticket's triage thread (``what``, its
    ``params``, and ``hint``: the texts as written, translated here)."""
    said = ":warning: " + w._("Could not {what}: `{error}`.", what=w._(what, **(params or {})),
                              error=fit(clean_line(error), 200))
    return said + (" " + w._(hint) if hint else "")


def one_line(text: str) -> str:
    """Text for a header: every run of whitespace (line separators too) one space."""
    return " ".join(text.split())


def group_alert(w: Words, ticket: Ticket, client: Client | None, clock: SlaClock,
                breached: bool, target: str, triage_link: str | None) -> str:
    """An escalation to a user group (mentioned) or a channel."""
    who = f"<!subteam^{target}> " if target.startswith("S") else ""
    link = "\n" + w._("<{link}|Triage post>", link=triage_link) if triage_link else ""
    deadline = w._("response") if clock is SlaClock.INITIAL else w.clock(clock)
    state = (w._("{key} breached its {deadline} deadline.", key=ticket.key, deadline=deadline)
             if breached else
             w._("{key} is close to its {deadline} deadline.", key=ticket.key,
                 deadline=deadline))
    return f":rotating_light: {who}{headline(w, ticket, client)}\n{state}{link}"
