"""The modals: opening a ticket, a resolution, an update for the client; reading them."""

from __future__ import annotations

import functools
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.sla import Window
from bot.domain.text import blank, clean_block, clean_line
from bot.domain.tickets import Severity, Ticket, ticket_key
from bot.slack_ui.ids import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    ActionId,
    BlockId,
    CallbackId,
    ModalMetadata,
    OpenTicketValue,
    TicketForm,
    TicketRef,
)
from bot.slack_ui.text import cut_marked, cut_plain, escape, slack_date, slack_len


def ticket_modal(meta: ModalMetadata, prefill: OpenTicketValue | None = None) -> dict[str, Any]:
    """The ticket modal. Its frame and severity choice are the same in every one, so they are
    rendered (and checked by slack_sdk) once; only the two text inputs are rendered per call.
    The parts shared between calls are read-only: the caller sends the view, nothing more."""
    prefill = prefill or OpenTicketValue()
    title, description = clean_line(prefill.title), prefill.description
    if slack_len(title) > TITLE_MAX and blank(description):
        description = prefill.title  # a title too long to be one is kept whole below it
    return {**_ticket_frame(),
            "private_metadata": meta.model_dump_json(exclude_none=True),
            "blocks": [
                InputBlock(
                    block_id=BlockId.TITLE,
                    label=PlainTextObject(text="Title"),
                    element=PlainTextInputElement(
                        action_id=ActionId.TITLE, max_length=TITLE_MAX,
                        initial_value=cut_plain(title, TITLE_MAX) or None,
                        placeholder=PlainTextObject(text="What is wrong, in a few words")),
                ).to_dict(),
                _severity_input(),
                InputBlock(
                    block_id=BlockId.DESCRIPTION,
                    label=PlainTextObject(text="Description"),
                    element=PlainTextInputElement(
                        action_id=ActionId.DESCRIPTION, multiline=True,
                        max_length=DESCRIPTION_MAX,
                        initial_value=cut_marked(clean_block(description),
                                                 DESCRIPTION_MAX) or None,
                        placeholder=PlainTextObject(
                            text="What happens, since when, who is affected, steps to reproduce")),
                ).to_dict(),
            ]}


def edit_ticket_modal(meta: ModalMetadata, ticket: Ticket) -> dict[str, Any]:
    """The ticket modal filled with a ticket's title, severity and description, to edit
    it (the shortcut on the message the ticket was opened from)."""
    view = ticket_modal(meta, OpenTicketValue(title=ticket.title,
                                              description=ticket.description))
    severity = {**view["blocks"][1], "element": {**view["blocks"][1]["element"]}}
    severity["element"]["initial_option"] = next(
        o for o in severity["element"]["options"] if o["value"] == ticket.severity.value)
    return {**view, "title": {"type": "plain_text", "text": f"Edit {ticket.key}"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": [view["blocks"][0], severity, view["blocks"][2]]}


@functools.cache
def _ticket_frame() -> dict[str, Any]:
    """Everything of the ticket modal but its metadata and blocks."""
    frame = View(type="modal", callback_id=CallbackId.TICKET_MODAL,
                 title=PlainTextObject(text="Open a support ticket"),
                 submit=PlainTextObject(text="Open ticket"),
                 close=PlainTextObject(text="Cancel"), blocks=[_severity_block()]).to_dict()
    del frame["blocks"]
    return frame


def _severity_block() -> InputBlock:
    options = [Option(value=s.value, text=PlainTextObject(text=s.label),
                      description=PlainTextObject(text=s.meaning)) for s in Severity]
    return InputBlock(
        block_id=BlockId.SEVERITY, label=PlainTextObject(text="Severity"),
        element=RadioButtonsElement(action_id=ActionId.SEVERITY, options=options))


@functools.cache
def _severity_input() -> dict[str, Any]:
    return _severity_block().to_dict()


def submitted(state: Any, block: BlockId, action: ActionId, key: str) -> Any:
    """``state.values[block][action][key]`` as Slack sends it; None where any part is
    missing or not what Slack sends."""
    found: Any = state
    for part in ("values", block, action, key):
        if not isinstance(found, dict):
            return None
        found = found.get(part)
    return found


def typed(state: Any, block: BlockId, action: ActionId) -> str:
    """A text input's value (what a person typed, cleaned of surrounding space); empty
    when it shows nothing (spaces, control or zero-width characters only)."""
    value = submitted(state, block, action, "value")
    if not isinstance(value, str) or blank(value):
        return ""
    return value.strip()


def read_ticket_form(state: Any) -> TicketForm | dict[str, str]:
    """The submitted form, or the field errors to show (``block_id`` -> message)."""
    title = typed(state, BlockId.TITLE, ActionId.TITLE)
    description = typed(state, BlockId.DESCRIPTION, ActionId.DESCRIPTION)
    selected = submitted(state, BlockId.SEVERITY, ActionId.SEVERITY, "selected_option")
    chosen = selected.get("value") if isinstance(selected, dict) else None
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
        severity = Severity(chosen if isinstance(chosen, str) else "")
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
            f"*{ticket.key}* is open: {escape(ticket.title)}\n"
            f"Support will answer in the ticket's thread in <#{ticket.channel}> "
            f"by {slack_date(window.deadline)}."
        )))],
    ).to_dict()


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


def read_text(state: Any, block: BlockId, action: ActionId,
              missing: str) -> str | dict[str, str]:
    """A required multi-line input, or the field error."""
    value = typed(state, block, action)
    if not value:
        return {block: missing}
    if len(value) > DESCRIPTION_MAX:
        return {block: f"Keep it to {DESCRIPTION_MAX} characters (it has {len(value)})."}
    return value
