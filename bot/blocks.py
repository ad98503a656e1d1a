"""Block Kit builders for every message and view, and the typed payloads they carry.

User text is escaped (``&``, ``<``, ``>``) before it goes into mrkdwn, so nobody can
make the bot ping @channel or a person, and is cut to Block Kit's limits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.notify import Email, Identity
from bot.sla import Window
from bot.tickets import Client, Severity, Status, Ticket

TITLE_MAX: Final = 150
DESCRIPTION_MAX: Final = 3000
SECTION_MAX: Final = 3000


class ActionId(StrEnum):
    OPEN_TICKET = "open_ticket"
    CLAIM = "claim_ticket"
    CHANGE_SEVERITY = "change_severity"
    TITLE = "title_input"
    SEVERITY = "severity_input"
    DESCRIPTION = "description_input"


class CallbackId(StrEnum):
    TICKET_MODAL = "ticket_modal"


class BlockId(StrEnum):
    TITLE = "title"
    SEVERITY = "severity"
    DESCRIPTION = "description"


class ModalMetadata(BaseModel):
    """``private_metadata`` of the ticket modal: where the ticket is opened, and for whom."""

    channel: str
    reporter: str | None = None
    """None: the person who submits the modal."""


class OpenTicketValue(BaseModel):
    """Value of an **Open a ticket** button: what to pre-fill."""

    title: str = ""
    description: str = ""


class TicketRef(BaseModel):
    """Value of a button that acts on one ticket."""

    ticket: int


class SeverityChoice(BaseModel):
    """Value of an option of the triage post's severity menu."""

    ticket: int
    severity: Severity


class TicketForm(BaseModel):
    title: str
    severity: Severity
    description: str


# -- text ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: no mention, no link, no @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Escape ``text`` and cut it to ``limit`` characters without breaking an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def cut_plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_date(epoch: float) -> str:
    """A time every reader sees in their own timezone (with a UTC fallback)."""
    fallback = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


# -- the ticket modal ------------------------------------------------------------------


def ticket_modal(meta: ModalMetadata, prefill: OpenTicketValue | None = None) -> dict[str, Any]:
    prefill = prefill or OpenTicketValue()
    options = [
        Option(value=s.value, text=PlainTextObject(text=s.label),
               description=PlainTextObject(text=s.meaning))
        for s in Severity
    ]
    view = View(
        type="modal",
        callback_id=CallbackId.TICKET_MODAL,
        title=PlainTextObject(text="Open a support ticket"),
        submit=PlainTextObject(text="Open ticket"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=meta.model_dump_json(exclude_none=True),
        blocks=[
            InputBlock(
                block_id=BlockId.TITLE,
                label=PlainTextObject(text="Title"),
                element=PlainTextInputElement(
                    action_id=ActionId.TITLE, max_length=TITLE_MAX,
                    initial_value=cut_plain(prefill.title, TITLE_MAX) or None,
                    placeholder=PlainTextObject(text="What is wrong, in a few words")),
            ),
            InputBlock(
                block_id=BlockId.SEVERITY,
                label=PlainTextObject(text="Severity"),
                element=RadioButtonsElement(action_id=ActionId.SEVERITY, options=options),
            ),
            InputBlock(
                block_id=BlockId.DESCRIPTION,
                label=PlainTextObject(text="Description"),
                element=PlainTextInputElement(
                    action_id=ActionId.DESCRIPTION, multiline=True, max_length=DESCRIPTION_MAX,
                    initial_value=cut_plain(prefill.description, DESCRIPTION_MAX) or None,
                    placeholder=PlainTextObject(
                        text="What happens, since when, who is affected, steps to reproduce")),
            ),
        ],
    )
    return view.to_dict()


def read_ticket_form(state: dict[str, Any]) -> TicketForm | dict[str, str]:
    """The submitted form, or the field errors to show (``block_id`` -> message)."""
    values = state.get("values", {})

    def text(block: BlockId, action: ActionId) -> str:
        return str((values.get(block, {}).get(action) or {}).get("value") or "").strip()

    title = text(BlockId.TITLE, ActionId.TITLE)
    description = text(BlockId.DESCRIPTION, ActionId.DESCRIPTION)
    selected = (values.get(BlockId.SEVERITY, {}).get(ActionId.SEVERITY) or {}).get(
        "selected_option") or {}
    errors: dict[str, str] = {}
    if not title:
        errors[BlockId.TITLE] = "Give the ticket a title."
    elif len(title) > TITLE_MAX:
        errors[BlockId.TITLE] = f"Keep the title to {TITLE_MAX} characters (it has {len(title)})."
    if not description:
        errors[BlockId.DESCRIPTION] = "Describe the problem: what happens, and since when."
    elif len(description) > DESCRIPTION_MAX:
        errors[BlockId.DESCRIPTION] = (
            f"Keep the description to {DESCRIPTION_MAX} characters (it has {len(description)}).")
    try:
        severity = Severity(selected.get("value", ""))
    except ValueError:
        errors[BlockId.SEVERITY] = "Choose a severity."
    if errors:
        return errors
    return TicketForm(title=title, severity=severity, description=description)


def ticket_opened_modal(ticket: Ticket, window: Window) -> dict[str, Any]:
    return View(
        type="modal",
        title=PlainTextObject(text="Ticket opened"),
        close=PlainTextObject(text="Done"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=(
            f"*{ticket.key}* is open: {fit(ticket.title, TITLE_MAX)}\n"
            f"Support will answer in the ticket's thread in <#{ticket.channel}> "
            f"by {slack_date(window.deadline)}."
        )))],
    ).to_dict()


# -- messages ----------------------------------------------------------------------------


def welcome_message(client: Client) -> tuple[str, list[dict[str, Any]]]:
    text = f"Welcome, {fit(client.name, 200)}: open a support ticket here any time."
    return text, _dicts([
        SectionBlock(text=MarkdownTextObject(text=(
            f"*Welcome, {fit(client.name, 200)}!* This channel is your line to our support team.\n"
            "Open a ticket with the button below (or `/ticket`), choose how severe it is, "
            "and follow it in its thread: support answers there."
        ))),
        ActionsBlock(elements=[ButtonElement(
            text=PlainTextObject(text="Open a ticket"), action_id=ActionId.OPEN_TICKET,
            value=OpenTicketValue().model_dump_json(), style="primary",
        )]),
    ])


def client_thread_message(
    ticket: Ticket, client: Client | None, window: Window
) -> tuple[str, list[dict[str, Any]]]:
    """The message in the client channel that becomes the ticket's thread."""
    lines = [
        f"*{ticket.key}* · {ticket.severity.label} · {fit(ticket.title, TITLE_MAX)}",
        f"Opened by <@{ticket.reporter}>. First response by {slack_date(window.deadline)}.",
    ]
    if ticket.severity is Severity.CRITICAL and client and client.account_manager:
        line = f"Your account manager <@{client.account_manager}> is on alert"
        if client.phone:
            line += f", direct line {fit(client.phone, 40)}"
        lines.append(line + ".")
    lines.append("Support will answer in this thread; add anything useful here.")
    text = f"{ticket.key} · {ticket.severity.label}: {fit(ticket.title, TITLE_MAX)}"
    return text, _dicts([
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines))),
        ContextBlock(elements=[MarkdownTextObject(
            text=fit(ticket.description, SECTION_MAX - 200))]),
    ])


def triage_message(
    ticket: Ticket,
    client: Client | None,
    window: Window,
    identity: Identity,
    *,
    breached: bool,
    problem: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The ticket's post in the triage channel, rendered from its current state."""
    who = (fit(client.name, 200) + (f" ({client.plan})" if client.plan != "standard" else "")
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
        f"*{ticket.key}* · {ticket.severity.label} · {fit(ticket.title, TITLE_MAX)}",
        f"*Client:* {who}    *Reporter:* <@{ticket.reporter}>",
        f"*Severity:* {ticket.severity.label}    *Deadline:* {due}",
        f"*Status:* {state}    {thread}",
    ]
    if problem:
        body.append(f":warning: {fit(problem, 500)}")
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="\n".join(body))),
        ContextBlock(elements=[MarkdownTextObject(
            text=fit(ticket.description, SECTION_MAX - 200))]),
    ]
    ref = TicketRef(ticket=ticket.number).model_dump_json()
    actions: list[ButtonElement | StaticSelectElement] = []
    if ticket.status is Status.OPEN:
        actions.append(ButtonElement(text=PlainTextObject(text="Claim"),
                                     action_id=ActionId.CLAIM, value=ref, style="primary"))
    if ticket.status is not Status.RESOLVED:
        actions.append(StaticSelectElement(
            action_id=ActionId.CHANGE_SEVERITY,
            placeholder=PlainTextObject(text="Change severity"),
            options=[Option(value=SeverityChoice(ticket=ticket.number, severity=s)
                            .model_dump_json(), text=PlainTextObject(text=s.label))
                     for s in Severity if s is not ticket.severity],
        ))
    if actions:
        blocks.append(ActionsBlock(elements=actions))
    flag = "BREACHED " if breached and ticket.first_response_at is None else ""
    text = f"{flag}{ticket.key} · {ticket.severity.label}: {fit(ticket.title, TITLE_MAX)}"
    return text, _dicts(blocks)


def claim_ack(ticket: Ticket) -> str:
    return f"<@{ticket.assignee}> from support has picked up {ticket.key} and is looking into it."



# -- reminders ---------------------------------------------------------------------------


def humanize(seconds: float) -> str:
    """A duration as people say it: ``45 s``, ``15 min``, ``1 h 5 min``, ``2 d 3 h``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _headline(ticket: Ticket, client: Client | None) -> str:
    who = fit(client.name, 200) if client else f"unregistered channel <#{ticket.channel}>"
    return f"*{ticket.key}* · {ticket.severity.label} · {who}: {fit(ticket.title, TITLE_MAX)}"


def warning_dm(ticket: Ticket, client: Client | None, window: Window, now: float,
               thread_link: str | None) -> str:
    link = f"\n<{thread_link}|Open the ticket's thread>" if thread_link else ""
    return (f":hourglass_flowing_sand: {_headline(ticket, client)}\n"
            f"No response yet: *{humanize(window.deadline - now)} left* "
            f"(due {slack_date(window.deadline)}).{link}")


def warning_note(ticket: Ticket, client: Client | None, window: Window, now: float,
                 warned: list[str]) -> str:
    note = (f":hourglass_flowing_sand: No response yet on {ticket.key}: "
            f"{humanize(window.deadline - now)} left (due {slack_date(window.deadline)}). ")
    if client is None or client.account_manager is None:
        note += "This client has no account manager, so nobody was warned directly. "
    if warned:
        note += "Warned: " + ", ".join(f"<@{u}>" for u in warned) + "."
    return note.strip()


def breach_dm(ticket: Ticket, client: Client | None, window: Window, now: float,
              thread_link: str | None, triage_link: str | None) -> str:
    links = " · ".join(f"<{url}|{label}>" for url, label in
                       ((thread_link, "client thread"), (triage_link, "triage post")) if url)
    owner = f"Assigned to <@{ticket.assignee}>." if ticket.assignee else "Nobody has claimed it."
    return (f":rotating_light: *SLA breached* — {_headline(ticket, client)}\n"
            f"No response {humanize(now - window.deadline)} after the deadline "
            f"({slack_date(window.deadline)}). {owner}\n{links}").strip()


def breach_note(ticket: Ticket, window: Window, now: float) -> str:
    return (f":rotating_light: {ticket.key} breached its response deadline "
            f"({slack_date(window.deadline)}); the head of support has been alerted.")


def breach_email(ticket: Ticket, client: Client | None, window: Window, now: float, *,
                 to: str, thread_link: str | None, triage_link: str | None,
                 generation: int) -> Email:
    when = datetime.fromtimestamp(window.deadline, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    who = client.name if client else f"unregistered channel {ticket.channel}"
    lines = [
        f"Ticket {ticket.key} has had no response {humanize(now - window.deadline)} after its "
        "deadline.",
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
        subject=f"[SLA breach] {ticket.key} {ticket.severity.label} — {who}: "
                f"{cut_plain(ticket.title, 100)}",
        body="\n".join(lines) + "\n",
        message_id=f"<{ticket.key}.breach.{generation}@support-desk>",
    )


def severity_notice(ticket: Ticket, window: Window) -> str:
    change = ticket.severity_changes[-1]
    text = (f"Severity changed from {change.old.label} to {change.new.label} "
            f"by <@{change.by}>.")
    if ticket.first_response_at is None and ticket.resolved_at is None:
        text += f" First response now due by {slack_date(window.deadline)}."
    return text
