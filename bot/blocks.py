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
from bot.tickets import Client, Severity, Status, StatusChange, Ticket, ticket_key

TITLE_MAX: Final = 150
DESCRIPTION_MAX: Final = 3000
SECTION_MAX: Final = 3000


class ActionId(StrEnum):
    OPEN_TICKET = "open_ticket"
    CLAIM = "claim_ticket"
    CHANGE_SEVERITY = "change_severity"
    WAITING_ON_CLIENT = "status_waiting"
    BACK_TO_SUPPORT = "status_claimed"
    SEND_TO_ENGINEERING = "send_to_engineering"
    POST_UPDATE = "post_update"
    RESOLVE = "resolve_ticket"
    REOPEN = "reopen_ticket"
    RESOLUTION = "resolution_input"
    UPDATE = "update_input"
    TITLE = "title_input"
    SEVERITY = "severity_input"
    DESCRIPTION = "description_input"


class CallbackId(StrEnum):
    TICKET_MODAL = "ticket_modal"
    RESOLVE_MODAL = "resolve_modal"
    UPDATE_MODAL = "update_modal"
    OPEN_SUPPORT_TICKET = "open_support_ticket"
    """The message shortcut."""


class BlockId(StrEnum):
    TITLE = "title"
    SEVERITY = "severity"
    DESCRIPTION = "description"
    RESOLUTION = "resolution"
    UPDATE = "update"


STATUS_BUTTONS: dict[ActionId, Status] = {
    ActionId.WAITING_ON_CLIENT: Status.WAITING_ON_CLIENT,
    ActionId.BACK_TO_SUPPORT: Status.CLAIMED,
    ActionId.SEND_TO_ENGINEERING: Status.WITH_ENGINEERING,
}


class ModalMetadata(BaseModel):
    """``private_metadata`` of the ticket modal: where the ticket is opened, and for whom."""

    channel: str
    reporter: str | None = None
    """Whose ticket it is when staff open it on their behalf (the shortcut); None: the
    person who submits the modal."""
    source_link: str | None = None
    """The message the ticket is opened from (shortcut, reaction), kept on the ticket."""


class OpenTicketValue(BaseModel):
    """Value of an **Open a ticket** button: what to pre-fill, and the message it is from."""

    title: str = ""
    description: str = ""
    source_link: str | None = None


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
    engineering_link: str | None = None,
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
    if ticket.engineering_ts and engineering_link:
        body.append(f"*Engineering:* <{engineering_link}|hand-off thread>")
    if ticket.source_link:
        body.append(f"*Opened from:* <{ticket.source_link}|the client's message>")
    if ticket.resolution:
        body.append(f"*Resolution:* {fit(ticket.resolution, 1000)}")
    if problem:
        body.append(f":warning: {fit(problem, 500)}")
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="\n".join(body))),
        ContextBlock(elements=[MarkdownTextObject(
            text=fit(ticket.description, SECTION_MAX - 200))]),
    ]
    ref = TicketRef(ticket=ticket.number).model_dump_json()
    actions: list[ButtonElement | StaticSelectElement] = []

    def button(label: str, action: ActionId, style: str | None = None) -> None:
        actions.append(ButtonElement(text=PlainTextObject(text=label), action_id=action,
                                     value=ref, style=style))

    if ticket.status is Status.OPEN:
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
    else:
        button("Reopen", ActionId.REOPEN)
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


def status_notice(ticket: Ticket, change: StatusChange, reopen_days: int
                  ) -> tuple[str, list[dict[str, Any]] | None]:
    """The client-friendly line for a status change, posted in the ticket's thread."""
    key = ticket.key
    if change.new is Status.RESOLVED:
        text = f"*{key} is resolved.* {fit(ticket.resolution or '', 2500)}"
        return text, _dicts([
            SectionBlock(text=MarkdownTextObject(text=text)),
            ContextBlock(elements=[MarkdownTextObject(
                text=f"Not solved for you? Reopen it within {reopen_days} days.")]),
            ActionsBlock(elements=[ButtonElement(
                text=PlainTextObject(text="Reopen"), action_id=ActionId.REOPEN,
                value=TicketRef(ticket=ticket.number).model_dump_json())]),
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


def _note_modal(ref: TicketRef, callback: CallbackId, title: str, submit: str,
                block: BlockId, action: ActionId, label: str, hint: str) -> dict[str, Any]:
    """A modal asking staff for one text about a ticket."""
    return View(
        type="modal", callback_id=callback,
        title=PlainTextObject(text=f"{title} {ticket_key(ref.ticket)}"),
        submit=PlainTextObject(text=submit), close=PlainTextObject(text="Cancel"),
        private_metadata=ref.model_dump_json(),
        blocks=[InputBlock(
            block_id=block, label=PlainTextObject(text=label),
            hint=PlainTextObject(text=hint),
            element=PlainTextInputElement(action_id=action, multiline=True,
                                          max_length=DESCRIPTION_MAX))],
    ).to_dict()


def resolve_modal(ref: TicketRef) -> dict[str, Any]:
    return _note_modal(ref, CallbackId.RESOLVE_MODAL, "Resolve", "Resolve", BlockId.RESOLUTION,
                       ActionId.RESOLUTION, "Resolution",
                       "The client reads this in the ticket's thread.")


def update_modal(ref: TicketRef) -> dict[str, Any]:
    return _note_modal(ref, CallbackId.UPDATE_MODAL, "Update on", "Post", BlockId.UPDATE,
                       ActionId.UPDATE, "Update",
                       "Posted in the client's thread under your name.")


def read_text(state: dict[str, Any], block: BlockId, action: ActionId,
              missing: str) -> str | dict[str, str]:
    """A required multi-line input, or the field error."""
    value = str(((state.get("values", {}).get(block) or {}).get(action) or {}).get("value")
                or "").strip()
    if not value:
        return {block: missing}
    if len(value) > DESCRIPTION_MAX:
        return {block: f"Keep it to {DESCRIPTION_MAX} characters (it has {len(value)})."}
    return value


def engineering_message(ticket: Ticket, client: Client | None, by: str,
                        triage_link: str | None) -> tuple[str, list[dict[str, Any]]]:
    link = f" · <{triage_link}|triage post>" if triage_link else ""
    text = f"{_headline(ticket, client)}\nHanded over by <@{by}>{link}."
    return text, _dicts([
        SectionBlock(text=MarkdownTextObject(text=text)),
        ContextBlock(elements=[MarkdownTextObject(
            text=fit(ticket.description, SECTION_MAX - 200))]),
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
            f"{fit(ticket.title, TITLE_MAX)}")


def reaction_prompt(prefill: OpenTicketValue) -> tuple[str, list[dict[str, Any]]]:
    text = "Open a support ticket from this message?"
    return text, _dicts([
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(elements=[ButtonElement(
            text=PlainTextObject(text="Open a ticket"), action_id=ActionId.OPEN_TICKET,
            value=prefill.model_dump_json(), style="primary")]),
    ])


def update_overdue_dm(ticket: Ticket, client: Client | None, since: float, now: float,
                      thread_link: str | None) -> str:
    link = f"\n<{thread_link}|Open the ticket's thread>" if thread_link else ""
    return (f":speech_balloon: {_headline(ticket, client)}\nThe client is owed an update: "
            f"the last one was {humanize(now - since)} ago.{link}")


def update_overdue_note(ticket: Ticket, since: float, now: float) -> str:
    owner = f" <@{ticket.assignee}> was reminded." if ticket.assignee else ""
    return (f":speech_balloon: {ticket.key}: the client is owed an update (last one "
            f"{humanize(now - since)} ago).{owner}")



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
