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
from bot.domain.sla import ClockState, SlaClock, Window
from bot.domain.text import N_
from bot.domain.tickets import (
    Client,
    Severity,
    Status,
    StatusChange,
    Ticket,
    TicketError,
)
from bot.domain.transitions import awaits_claim
from bot.slack_ui.csat import score_line, survey
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
    packed,
    person,
    pieces,
    slack_len,
)
from bot.slack_ui.words import Words


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


CLOCK_LABELS = {SlaClock.NEXT: N_("Next response"), SlaClock.UPDATE: N_("Next update"),
                SlaClock.RESOLUTION: N_("Resolution")}


def clock_lines(w: Words, clocks: Sequence[ClockState]) -> list[str]:
    """A line per running clock: due when, breached, or paused while waiting on the client."""
    lines = []
    for state in clocks:
        label = w._(CLOCK_LABELS[state.clock])
        if state.due is None:
            lines.append(w._("*{label}:* paused while waiting on the client", label=label))
        elif state.breached:
            lines.append(w._("*{label}:* :rotating_light: *BREACHED* — was due {due}",
                             label=label, due=w.date(state.due)))
        else:
            lines.append(w._("*{label}:* due {due}", label=label, due=w.date(state.due)))
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


def headline(w: Words, ticket: Ticket, client: Client | None) -> str:
    who = (escape(client.name) if client
           else w._("unregistered channel <#{channel}>", channel=ticket.channel))
    return f"*{ticket.key}* · {w.severity(ticket.severity)} · {who}: {escape(ticket.title)}"


def welcome_message(w: Words, client: Client) -> tuple[str, list[dict[str, Any]]]:
    name = escape(client.name)
    text = w._("Welcome, {name}: open a support ticket here any time.", name=name)
    return text, dicts([
        SectionBlock(text=MarkdownTextObject(text=w._(
            "*Welcome, {name}!* This channel is your line to our support team.\n"
            "Open a ticket with the button below (or `/ticket`), choose how severe it is, "
            "and follow it in its thread: support answers there.", name=name)
            + ("\n" + w._("Or just write here: a message that asks for something becomes a "
                           "ticket, answered in its thread.") if client.watch == "messages"
               else "")
        )),
        ActionsBlock(elements=[ButtonElement(
            text=PlainTextObject(text=w._("Open a ticket")), action_id=ActionId.OPEN_TICKET,
            value=OpenTicketButton().model_dump_json(), style="primary",
        )]),
    ])


def severity_menu(w: Words, ticket: Ticket) -> dict[str, Any]:
    """The **Change severity** menu, on the triage post and on the card."""
    return {
        "type": "static_select", "action_id": ActionId.CHANGE_SEVERITY.value,
        "placeholder": plain(w._("Change severity")),
        "options": [{"text": plain(w.severity(s)), "value": SeverityChoice(
            ticket=ticket.number, severity=s).model_dump_json()}
            for s in Severity if s is not ticket.severity],
    }


def triage_message(
    w: Words,
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
           if client else w._("unregistered channel <#{channel}>", channel=ticket.channel))
    thread = (w._("<{link}|client thread>",
                  link=identity.permalink(ticket.channel, ticket.client_ts))
              if ticket.client_ts else w._("not posted in the client channel"))
    state = w.status(ticket.status)
    if ticket.assignee:
        state = w._("{status} by <@{user}>", status=state, user=ticket.assignee)
    if ticket.first_response_at is not None:
        due = w._("responded {when}", when=w.date(ticket.first_response_at))
    elif breached:
        due = w._(":rotating_light: *BREACHED* — was due {due}",
                  due=w.date(window.deadline))
    else:
        due = w._("respond by {due}", due=w.date(window.deadline))
    severity = w.severity(ticket.severity)
    body = [
        f"*{ticket.key}* · {severity} · {escape(ticket.title)}",
        w._("*Client:* {client}    *Reporter:* {reporter}", client=who,
            reporter=person(ticket.reporter)),
        w._("*Severity:* {severity}    *Deadline:* {due}", severity=severity, due=due),
        w._("*Status:* {state}    {thread}", state=state, thread=thread),
        *clock_lines(w, clocks),
    ]
    if hours:
        body.append(w._("*Hours:* {hours}", hours=escape(hours)))
    if ticket.ratings:
        body.append(f"*{score_line(w, score_of(ticket))}*")
    if ticket.engineering_ts and engineering_link:
        body.append(w._("*Engineering:* <{link}|hand-off thread>", link=engineering_link))
    if ticket.source_link:
        body.append(w._("*Opened from:* <{link}|the client's message>",
                        link=ticket.source_link))
    origin = origin_line(w, ticket)
    if origin:
        body.append(origin)
    reopened = next((c for c in reversed(ticket.status_changes)
                     if c.old is Status.RESOLVED), None)
    if reopened is not None and ticket.status is not Status.RESOLVED:
        body.append(w._("*Reopened* by <@{user}> {when}", user=reopened.by,
                        when=w.date(reopened.at)))
    blocks = [*lines_sections(body), *quoted(ticket.description)]
    if ticket.resolution:
        blocks += labelled(w._("Resolution"), ticket.resolution)
    elif ticket.previous_resolution:
        blocks += labelled(w._("Previous resolution"), ticket.previous_resolution)
    ref = TicketRef(ticket=ticket.number).model_dump_json()
    actions: list[dict[str, Any]] = []

    def button(label: str, action: ActionId, style: str | None = None) -> None:
        actions.append({"type": "button", "text": plain(w._(label)), "action_id": action.value,
                        "value": ref, **({"style": style} if style else {})})

    if ticket.status is Status.OPEN or (awaits_claim(ticket)
                                        and ticket.status is not Status.RESOLVED):
        button(N_("Claim"), ActionId.CLAIM, "primary")
    if ticket.status in (Status.WAITING_ON_CLIENT, Status.WITH_ENGINEERING):
        button(N_("Back to support"), ActionId.BACK_TO_SUPPORT)
    if ticket.status in (Status.CLAIMED, Status.WITH_ENGINEERING):
        button(N_("Waiting on client"), ActionId.WAITING_ON_CLIENT)
    if ticket.status in (Status.CLAIMED, Status.WAITING_ON_CLIENT):
        button(N_("Send to engineering"), ActionId.SEND_TO_ENGINEERING)
    if ticket.status is not Status.RESOLVED:
        if ticket.status is not Status.OPEN:
            button(N_("Post update to client"), ActionId.POST_UPDATE)
        button(N_("Resolve"), ActionId.RESOLVE)
    elif ticket.not_request_at is None:
        button(N_("Reopen"), ActionId.REOPEN)
    if ticket.message_ts and ticket.status is not Status.RESOLVED:
        button(N_("Not a request"), ActionId.NOT_A_REQUEST)
    if ticket.status is not Status.RESOLVED:
        actions.append(severity_menu(w, ticket))
    if actions:
        blocks.append({"type": "actions", "elements": actions})
    blocks += assign_block(w, ticket)
    late = [w.clock(c.clock) for c in clocks if c.breached]
    flag = (w._("BREACHED") + " " if breached and ticket.first_response_at is None else
            w._("BREACHED ({clocks})", clocks=", ".join(late)) + " " if late else "")
    text = f"{flag}{ticket.key} · {severity}: {escape(ticket.title)}"
    return text, blocks


STATUS_LINES = {
    Status.CLAIMED: N_("{key} is back with our support team."),
    Status.WAITING_ON_CLIENT: N_("We need a reply from you to go on with {key}: please "
                                 "answer in this thread."),
    Status.WITH_ENGINEERING: N_("{key} is now with our engineering team. We will keep you "
                                "updated in this thread."),
}


def status_notice(w: Words, ticket: Ticket, change: StatusChange, reopen_days: int, *,
                  csat: bool = False) -> tuple[str, list[dict[str, Any]] | None]:
    """The client-friendly line for a status change, posted in the ticket's thread (the
    resolution asks "How did we do?" when ``csat``)."""
    key = ticket.key
    if change.new is Status.RESOLVED:
        text = w._("{key} is resolved: {resolution}", key=key,
                   resolution=escape(cut_plain(ticket.resolution or "", 1000)))
        return text, dicts([
            *labelled(w._("{key} is resolved", key=key), ticket.resolution or ""),
            ContextBlock(elements=[MarkdownTextObject(text=w.ngettext(
                "Not solved for you? Reopen it within {n} day.",
                "Not solved for you? Reopen it within {n} days.", reopen_days))]),
            ActionsBlock(elements=[ButtonElement(
                text=PlainTextObject(text=w._("Reopen")), action_id=ActionId.REOPEN,
                value=TicketRef(ticket=ticket.number).model_dump_json())]),
            *(survey(w, ticket) if csat else []),
        ])
    if change.old is Status.RESOLVED:
        return w._("{key} was reopened by <@{user}>; support will answer here.", key=key,
                   user=change.by), None
    if change.new is Status.CLAIMED and change.old is Status.OPEN:
        return w._("<@{user}> from support has picked up {key} and is looking into it.",
                   user=ticket.assignee, key=key), None
    return w._(STATUS_LINES[change.new], key=key), None


def engineering_message(w: Words, ticket: Ticket, client: Client | None, by: str,
                        triage_link: str | None) -> tuple[str, list[dict[str, Any]]]:
    head = headline(w, ticket, client)
    text = (w._("{headline}\nHanded over by <@{user}> · <{link}|triage post>.", headline=head,
                user=by, link=triage_link) if triage_link else
            w._("{headline}\nHanded over by <@{user}>.", headline=head, user=by))
    return text, dicts([
        SectionBlock(text=MarkdownTextObject(text=text)),
        *quoted(ticket.description),
        ContextBlock(elements=[MarkdownTextObject(
            text=w._("Discuss here: this thread is internal and never reaches the client. "
                     "Support relays updates with *Post update to client*."))]),
    ])


def reaction_prompt(w: Words, prefill: OpenTicketButton) -> tuple[str, list[dict[str, Any]]]:
    text = w._("Open a support ticket from this message?")
    return text, dicts([
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(elements=[ButtonElement(
            text=PlainTextObject(text=w._("Open a ticket")), action_id=ActionId.OPEN_TICKET,
            value=prefill.model_dump_json(), style="primary")]),
    ])


def severity_notice(w: Words, ticket: Ticket, window: Window) -> str:
    change = ticket.severity_changes[-1]
    text = w._("Severity changed from {old} to {new} by <@{user}>.",
               old=w.severity(change.old), new=w.severity(change.new), user=change.by)
    if ticket.first_response_at is None and ticket.resolved_at is None:
        text += " " + w._("First response now due by {due}.",
                          due=w.date(window.deadline))
    return text


def refusal_text(w: Words, refusal: TicketError) -> str:
    """A refusal as the person who was refused reads it."""
    return w.refusal(refusal)
