"""The desk's messages: welcome, the client thread, the triage post, notices, hand-offs.

User text is escaped (``&``, ``<``, ``>``) before it goes into mrkdwn, so nobody can
make the bot ping @channel or a person, and is cut to Block Kit's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.domain.csat import score_of
from bot.domain.identity import Identity
from bot.domain.listing import Listed
from bot.domain.sla import ClockState, SlaClock, Window
from bot.domain.tickets import (
    AlreadyClaimed,
    Client,
    Severity,
    Status,
    StatusChange,
    Ticket,
    TicketError,
    awaits_claim,
)
from bot.slack_ui.csat import survey
from bot.slack_ui.ids import (
    SECTION_MAX,
    ActionId,
    OpenTicketButton,
    SeverityChoice,
    TicketRef,
)
from bot.slack_ui.origin import origin_line
from bot.slack_ui.picker import assign_block
from bot.slack_ui.text import (
    cut_plain,
    escape,
    humanize,
    packed,
    person,
    pieces,
    slack_date,
    slack_len,
)


def dicts(blocks: Sequence[Block | dict[str, Any]]) -> list[dict[str, Any]]:
    """Block Kit as Slack takes it (blocks written as dicts already are kept as they are)."""
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]


# The blocks of the messages kept current (the card, the triage post), written as dicts:
# slack_sdk's model objects check every field each time they are turned into a dict,
# which was most of the cost of drawing these posts. The text in them is cut to Block
# Kit's limits where it is made (``pieces``, ``packed``).

def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


CLOCK_LABELS = {SlaClock.NEXT: "Next response", SlaClock.UPDATE: "Next update",
                SlaClock.RESOLUTION: "Resolution"}


def clock_lines(clocks: Sequence[ClockState]) -> list[str]:
    """A line per running clock: due when, breached, or paused while waiting on the client."""
    lines = []
    for state in clocks:
        label = CLOCK_LABELS[state.clock]
        if state.due is None:
            lines.append(f"*{label}:* paused while waiting on the client")
        elif state.breached:
            lines.append(f"*{label}:* :rotating_light: *BREACHED* — was due "
                         f"{slack_date(state.due)}")
        else:
            lines.append(f"*{label}:* due {slack_date(state.due)}")
    return lines


def quoted(text: str) -> list[dict[str, Any]]:
    """What a person wrote, whole: escaped, in as many blocks as it takes."""
    return [context(piece) for piece in pieces(text, SECTION_MAX)]


def labelled(label: str, text: str) -> list[dict[str, Any]]:
    """``*label:*`` then what a person wrote, whole, in sections."""
    first, *rest = pieces(text, SECTION_MAX - slack_len(label) - 5)
    return [section(f"*{label}:* {first}"), *(section(piece) for piece in rest)]


def lines_sections(lines: list[str]) -> list[dict[str, Any]]:
    """The desk's own lines, in as few sections as keep each line whole (one, mostly)."""
    return [section(text) for text in packed(lines, SECTION_MAX)]


def message_sections(text: str) -> list[dict[str, Any]]:
    """A message made of what a person wrote (an update to the client), whole."""
    return dicts([SectionBlock(text=MarkdownTextObject(text=piece))
                  for piece in pieces(text, SECTION_MAX)])


def headline(ticket: Ticket, client: Client | None) -> str:
    who = escape(client.name) if client else f"unregistered channel <#{ticket.channel}>"
    return f"*{ticket.key}* · {ticket.severity.label} · {who}: {escape(ticket.title)}"


def welcome_message(client: Client) -> tuple[str, list[dict[str, Any]]]:
    text = f"Welcome, {escape(client.name)}: open a support ticket here any time."
    return text, dicts([
        SectionBlock(text=MarkdownTextObject(text=(
            f"*Welcome, {escape(client.name)}!* This channel is your line to our support team.\n"
            "Open a ticket with the button below (or `/ticket`), choose how severe it is, "
            "and follow it in its thread: support answers there."
            + ("\nOr just write here: a message that asks for something becomes a ticket, "
               "answered in its thread." if client.watch == "messages" else "")
        ))),
        ActionsBlock(elements=[ButtonElement(
            text=PlainTextObject(text="Open a ticket"), action_id=ActionId.OPEN_TICKET,
            value=OpenTicketButton().model_dump_json(), style="primary",
        )]),
    ])


def severity_menu(ticket: Ticket) -> dict[str, Any]:
    """The **Change severity** menu, on the triage post and on the card."""
    return {
        "type": "static_select", "action_id": ActionId.CHANGE_SEVERITY.value,
        "placeholder": plain("Change severity"),
        "options": [{"text": plain(s.label), "value": SeverityChoice(
            ticket=ticket.number, severity=s).model_dump_json()}
            for s in Severity if s is not ticket.severity],
    }


def triage_message(
    ticket: Ticket,
    client: Client | None,
    window: Window,
    identity: Identity,
    *,
    breached: bool,
    engineering_link: str | None = None,
    clocks: Sequence[ClockState] = (),
    hours: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The ticket's post in the triage channel, rendered from its current state."""
    who = (escape(client.name) + (f" ({escape(client.plan)})" if client.plan != "standard"
                                  else "")
           if client else f"unregistered channel <#{ticket.channel}>")
    thread = (f"<{identity.permalink(ticket.channel, ticket.client_ts)}|client thread>"
              if ticket.client_ts else "not posted in the client channel")
    state = ticket.status.value.capitalize()
    if ticket.assignee:
        state += f" by <@{ticket.assignee}>"
    if ticket.first_response_at is not None:
        due = f"responded {slack_date(ticket.first_response_at)}"
    elif breached:
        due = f":rotating_light: *BREACHED* — was due {slack_date(window.deadline)}"
    else:
        due = f"respond by {slack_date(window.deadline)}"
    body = [
        f"*{ticket.key}* · {ticket.severity.label} · {escape(ticket.title)}",
        f"*Client:* {who}    *Reporter:* {person(ticket.reporter)}",
        f"*Severity:* {ticket.severity.label}    *Deadline:* {due}",
        f"*Status:* {state}    {thread}",
        *clock_lines(clocks),
    ]
    if hours:
        body.append(f"*Hours:* {escape(hours)}")
    if ticket.ratings:
        body.append(f"*{score_of(ticket)}*")
    if ticket.engineering_ts and engineering_link:
        body.append(f"*Engineering:* <{engineering_link}|hand-off thread>")
    if ticket.source_link:
        body.append(f"*Opened from:* <{ticket.source_link}|the client's message>")
    origin = origin_line(ticket)
    if origin:
        body.append(origin)
    reopened = next((c for c in reversed(ticket.status_changes)
                     if c.old is Status.RESOLVED), None)
    if reopened is not None and ticket.status is not Status.RESOLVED:
        body.append(f"*Reopened* by <@{reopened.by}> {slack_date(reopened.at)}")
    blocks = [*lines_sections(body), *quoted(ticket.description)]
    if ticket.resolution:
        blocks += labelled("Resolution", ticket.resolution)
    elif ticket.previous_resolution:
        blocks += labelled("Previous resolution", ticket.previous_resolution)
    ref = TicketRef(ticket=ticket.number).model_dump_json()
    actions: list[dict[str, Any]] = []

    def button(label: str, action: ActionId, style: str | None = None) -> None:
        actions.append({"type": "button", "text": plain(label), "action_id": action.value,
                        "value": ref, **({"style": style} if style else {})})

    if ticket.status is Status.OPEN or (awaits_claim(ticket)
                                        and ticket.status is not Status.RESOLVED):
        button("Claim", ActionId.CLAIM, "primary")
    if ticket.status in (Status.WAITING_ON_CLIENT, Status.WITH_ENGINEERING):
        button("Back to support", ActionId.BACK_TO_SUPPORT)
    if ticket.status in (Status.CLAIMED, Status.WITH_ENGINEERING):
        button("Waiting on client", ActionId.WAITING_ON_CLIENT)
    if ticket.status in (Status.CLAIMED, Status.WAITING_ON_CLIENT):
        button("Send to engineering", ActionId.SEND_TO_ENGINEERING)
    if ticket.status is not Status.RESOLVED:
        if ticket.status is not Status.OPEN:
            button("Post update to client", ActionId.POST_UPDATE)
        button("Resolve", ActionId.RESOLVE)
    elif ticket.not_request_at is None:
        button("Reopen", ActionId.REOPEN)
    if ticket.message_ts and ticket.status is not Status.RESOLVED:
        button("Not a request", ActionId.NOT_A_REQUEST)
    if ticket.status is not Status.RESOLVED:
        actions.append(severity_menu(ticket))
    if actions:
        blocks.append({"type": "actions", "elements": actions})
    blocks += assign_block(ticket)
    late = [c.clock.value for c in clocks if c.breached]
    flag = ("BREACHED " if breached and ticket.first_response_at is None else
            f"BREACHED ({', '.join(late)}) " if late else "")
    text = f"{flag}{ticket.key} · {ticket.severity.label}: {escape(ticket.title)}"
    return text, blocks


def status_notice(ticket: Ticket, change: StatusChange, reopen_days: int, *,
                  csat: bool = False) -> tuple[str, list[dict[str, Any]] | None]:
    """The client-friendly line for a status change, posted in the ticket's thread (the
    resolution asks "How did we do?" when ``csat``)."""
    key = ticket.key
    if change.new is Status.RESOLVED:
        text = f"{key} is resolved: {escape(cut_plain(ticket.resolution or '', 1000))}"
        return text, dicts([
            *labelled(f"{key} is resolved", ticket.resolution or ""),
            ContextBlock(elements=[MarkdownTextObject(
                text=f"Not solved for you? Reopen it within {reopen_days} "
                     f"day{'' if reopen_days == 1 else 's'}.")]),
            ActionsBlock(elements=[ButtonElement(
                text=PlainTextObject(text="Reopen"), action_id=ActionId.REOPEN,
                value=TicketRef(ticket=ticket.number).model_dump_json())]),
            *(survey(ticket) if csat else []),
        ])
    if change.old is Status.RESOLVED:
        return f"{key} was reopened by <@{change.by}>; support will answer here.", None
    if change.new is Status.CLAIMED and change.old is Status.OPEN:
        return (f"<@{ticket.assignee}> from support has picked up {key} and is looking "
                "into it."), None
    lines = {
        Status.CLAIMED: f"{key} is back with our support team.",
        Status.WAITING_ON_CLIENT: (f"We need a reply from you to go on with {key}: please "
                                   "answer in this thread."),
        Status.WITH_ENGINEERING: (f"{key} is now with our engineering team. We will keep you "
                                  "updated in this thread."),
    }
    return lines[change.new], None


def engineering_message(ticket: Ticket, client: Client | None, by: str,
                        triage_link: str | None) -> tuple[str, list[dict[str, Any]]]:
    link = f" · <{triage_link}|triage post>" if triage_link else ""
    text = f"{headline(ticket, client)}\nHanded over by <@{by}>{link}."
    return text, dicts([
        SectionBlock(text=MarkdownTextObject(text=text)),
        *quoted(ticket.description),
        ContextBlock(elements=[MarkdownTextObject(
            text="Discuss here: this thread is internal and never reaches the client. "
                 "Support relays updates with *Post update to client*.")]),
    ])


def ticket_line(ticket: Ticket, window: Window, now: float, *, breached: bool) -> str:
    if ticket.status is Status.RESOLVED:
        clock = "resolved"
    elif ticket.first_response_at is not None or ticket.reopened_at is not None:
        clock = "responded"
    elif breached:
        clock = f"overdue by {humanize(now - window.deadline)}"
    else:
        clock = f"{humanize(window.deadline - now)} left"
    return (f"*{ticket.key}* · {ticket.severity.label} · {ticket.status.value} · {clock} — "
            f"{escape(ticket.title)}")


def reaction_prompt(prefill: OpenTicketButton) -> tuple[str, list[dict[str, Any]]]:
    text = "Open a support ticket from this message?"
    return text, dicts([
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(elements=[ButtonElement(
            text=PlainTextObject(text="Open a ticket"), action_id=ActionId.OPEN_TICKET,
            value=prefill.model_dump_json(), style="primary")]),
    ])


def severity_notice(ticket: Ticket, window: Window) -> str:
    change = ticket.severity_changes[-1]
    text = (f"Severity changed from {change.old.label} to {change.new.label} "
            f"by <@{change.by}>.")
    if ticket.first_response_at is None and ticket.resolved_at is None:
        text += f" First response now due by {slack_date(window.deadline)}."
    return text


def refusal_text(refusal: TicketError) -> str:
    """A refusal as the person who was refused reads it."""
    if isinstance(refusal, AlreadyClaimed):
        return f"{refusal} by <@{refusal.assignee}>."
    text = str(refusal)
    return text if text.endswith((".", "!", "?")) else text + "."


def ticket_listing(listed: Listed, now: float, *, internal: bool,
                   detailed: bool = False) -> str:
    """``/ticket list``: a line per ticket (with its channel, seen from triage), the most
    urgent first, and how many more there are; ``/ticket T-1042`` (``detailed``): the
    ticket's line, then each running clock."""
    rows = listed.rows
    if not rows:
        return "No open tickets."
    if detailed:
        row = rows[0]
        lines = [ticket_line(row.ticket, row.window, now, breached=row.breached),
                 *clock_lines(row.clocks)]
        if row.hours:
            lines.append(f"*Hours:* {escape(row.hours)}")
        return "\n".join(lines)
    lines = []
    for row in rows:
        line = ticket_line(row.ticket, row.window, now, breached=row.breached)
        lines.append(line + (f" (<#{row.ticket.channel}>)" if internal else ""))
    if listed.total > len(rows):
        where = ("see them all in the app's Home tab" if internal
                 else "ask for one with `/ticket T-1234`")
        lines.append(f"…and {listed.total - len(rows)} more, less urgent: {where}.")
    return "\n".join(lines)


def report_on_its_way(label: str, client: str | None) -> str:
    who = f" for {escape(client)}" if client else ""
    return (f"Your SLA report of {escape(label)}{who} is on its way to your direct messages, "
            "with its CSV.")
