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
from bot.domain.text import N_, blank, clean_block, clean_line
from bot.domain.tickets import Severity, Ticket, ticket_key
from bot.slack_ui.ids import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    ActionId,
    BlockId,
    CallbackId,
    EditForm,
    ModalMetadata,
    OpenTicketValue,
    TicketForm,
    TicketRef,
)
from bot.slack_ui.text import cut_marked, cut_plain, escape, slack_len
from bot.slack_ui.words import Words


def ticket_modal(w: Words, meta: ModalMetadata, prefill: OpenTicketValue | None = None
                 ) -> dict[str, Any]:
    """The ticket modal. Its frame and severity choice are the same in every one, so they are
    rendered (and checked by slack_sdk) once; only the two text inputs are rendered per call.
    The parts shared between calls are read-only: the caller sends the view, nothing more."""
    prefill = prefill or OpenTicketValue()
    title, description = clean_line(prefill.title), prefill.description
    if slack_len(title) > TITLE_MAX and blank(description):
        description = prefill.title  # a title too long to be one is kept whole below it
    return {**_ticket_frame(w),
            "private_metadata": meta.model_dump_json(exclude_none=True),
            "blocks": [
                InputBlock(
                    block_id=BlockId.TITLE,
                    label=PlainTextObject(text=w._("Title")),
                    element=PlainTextInputElement(
                        action_id=ActionId.TITLE, max_length=TITLE_MAX,
                        initial_value=cut_plain(title, TITLE_MAX) or None,
                        placeholder=PlainTextObject(text=w._("What is wrong, in a few words"))),
                ).to_dict(),
                _severity_input(w),
                InputBlock(
                    block_id=BlockId.DESCRIPTION,
                    label=PlainTextObject(text=w._("Description")),
                    element=PlainTextInputElement(
                        action_id=ActionId.DESCRIPTION, multiline=True,
                        max_length=DESCRIPTION_MAX,
                        initial_value=cut_marked(clean_block(description), DESCRIPTION_MAX,
                                                 lambda n: w.ngettext(
                                                     "[…{n} more character in the original]",
                                                     "[…{n} more characters in the original]",
                                                     n)) or None,
                        placeholder=PlainTextObject(
                            text=w._("What happens, since when, who is affected, steps to "
                                     "reproduce"))),
                ).to_dict(),
            ]}


def edit_ticket_modal(w: Words, meta: ModalMetadata, ticket: Ticket) -> dict[str, Any]:
    """The ticket modal filled with a ticket's title, severity and description, to edit
    it (the shortcut on the message the ticket was opened from). A title or description
    longer than its field can show is left out, kept as it is, and the form says so:
    saving never cuts what a person wrote."""
    long_title = slack_len(clean_line(ticket.title)) > TITLE_MAX
    long_description = slack_len(clean_block(ticket.description)) > DESCRIPTION_MAX
    view = ticket_modal(w, meta, OpenTicketValue(
        title="" if long_title else ticket.title,
        description="" if long_description else ticket.description))
    severity = {**view["blocks"][1], "element": {**view["blocks"][1]["element"]}}
    severity["element"]["initial_option"] = next(
        o for o in severity["element"]["options"] if o["value"] == ticket.severity.value)
    blocks = [*([] if long_title else [view["blocks"][0]]), severity,
              *([] if long_description else [view["blocks"][2]])]
    notes = [*([w._("The title ({n} characters) is longer than this form can show "
                     "({most}): it is not here, and saving keeps it as it is.",
                     n=w.number(len(ticket.title)), most=w.number(TITLE_MAX))]
               if long_title else []),
             *([w._("The description ({n} characters) is longer than this form can show "
                    "({most}): it is not here, and saving keeps it as it is.",
                    n=w.number(len(ticket.description)), most=w.number(DESCRIPTION_MAX))]
               if long_description else [])]
    blocks += [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
               for note in notes]
    return {**view, "title": {"type": "plain_text", "text": w._("Edit {key}", key=ticket.key)},
            "submit": {"type": "plain_text", "text": w._("Save")}, "blocks": blocks}


@functools.cache
def _ticket_frame(w: Words) -> dict[str, Any]:
    """Everything of the ticket modal but its metadata and blocks."""
    frame = View(type="modal", callback_id=CallbackId.TICKET_MODAL,
                 title=PlainTextObject(text=w._("Open a support ticket")),
                 submit=PlainTextObject(text=w._("Open ticket")),
                 close=PlainTextObject(text=w._("Cancel")), blocks=[_severity_block(w)]).to_dict()
    del frame["blocks"]
    return frame


def _severity_block(w: Words) -> InputBlock:
    options = [Option(value=s.value, text=PlainTextObject(text=w.severity(s)),
                      description=PlainTextObject(text=w.meaning(s))) for s in Severity]
    return InputBlock(
        block_id=BlockId.SEVERITY, label=PlainTextObject(text=w._("Severity")),
        element=RadioButtonsElement(action_id=ActionId.SEVERITY, options=options))


@functools.cache
def _severity_input(w: Words) -> dict[str, Any]:
    return _severity_block(w).to_dict()


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


def read_ticket_form(w: Words, state: Any) -> TicketForm | dict[str, str]:
    """The submitted form, or the field errors to show (``block_id`` -> message)."""
    form = read_edit_form(w, state, editing=False)
    if not isinstance(form, EditForm):
        return form
    return TicketForm(title=form.title or "", severity=form.severity,
                      description=form.description or "")


def read_edit_form(w: Words, state: Any, *, editing: bool = True
                   ) -> EditForm | dict[str, str]:
    """The submitted form, or the field errors to show (``block_id`` -> message).
    ``editing``: a title or description the form left out (``edit_ticket_modal``) is
    None, kept as it is."""
    selected = submitted(state, BlockId.SEVERITY, ActionId.SEVERITY, "selected_option")
    chosen = selected.get("value") if isinstance(selected, dict) else None
    fields = state.get("values") if isinstance(state, dict) else None
    errors: dict[str, str] = {}
    title, description = None, None
    if not editing or not isinstance(fields, dict) or BlockId.TITLE in fields:
        title = typed(state, BlockId.TITLE, ActionId.TITLE)
        if not title:
            errors[BlockId.TITLE] = w._("Give the ticket a title.")
        elif len(title) > TITLE_MAX:
            errors[BlockId.TITLE] = w._("Keep the title to {most} characters (it has {n}).",
                                        most=TITLE_MAX, n=len(title))
    if not editing or not isinstance(fields, dict) or BlockId.DESCRIPTION in fields:
        description = typed(state, BlockId.DESCRIPTION, ActionId.DESCRIPTION)
        if not description:
            errors[BlockId.DESCRIPTION] = w._(
                "Describe the problem: what happens, and since when.")
        elif len(description) > DESCRIPTION_MAX:
            errors[BlockId.DESCRIPTION] = w._(
                "Keep the description to {most} characters (it has {n}).",
                most=DESCRIPTION_MAX, n=len(description))
    try:
        severity = Severity(chosen if isinstance(chosen, str) else "")
    except ValueError:
        errors[BlockId.SEVERITY] = w._("Choose a severity.")
    if errors:
        return errors
    return EditForm(title=title, severity=severity, description=description)


def ticket_opened_modal(w: Words, ticket: Ticket, window: Window) -> dict[str, Any]:
    return View(
        type="modal",
        title=PlainTextObject(text=w._("Ticket opened")),
        close=PlainTextObject(text=w._("Done")),
        blocks=[SectionBlock(text=MarkdownTextObject(text=w._(
            "*{key}* is open ({severity}): {title}\nSupport will answer in the ticket's "
            "thread in <#{channel}> by {due}.", key=ticket.key,
            severity=w.severity(ticket.severity), title=escape(ticket.title),
            channel=ticket.channel, due=w.date(window.deadline))))],
    ).to_dict()


def _note_modal(w: Words, ref: TicketRef, callback: CallbackId, title: str, submit: str,
                block: BlockId, action: ActionId, label: str, hint: str) -> dict[str, Any]:
    """A modal asking staff for one text about a ticket (its texts marked, not yet
    translated)."""
    return View(
        type="modal", callback_id=callback,
        title=PlainTextObject(text=w._(title, key=ticket_key(ref.ticket))),
        submit=PlainTextObject(text=w._(submit)), close=PlainTextObject(text=w._("Cancel")),
        private_metadata=ref.model_dump_json(),
        blocks=[InputBlock(
            block_id=block, label=PlainTextObject(text=w._(label)),
            hint=PlainTextObject(text=w._(hint)),
            element=PlainTextInputElement(action_id=action, multiline=True,
                                          max_length=DESCRIPTION_MAX))],
    ).to_dict()


def resolve_modal(w: Words, ref: TicketRef) -> dict[str, Any]:
    return _note_modal(w, ref, CallbackId.RESOLVE_MODAL, N_("Resolve {key}"), N_("Resolve"),
                       BlockId.RESOLUTION, ActionId.RESOLUTION, N_("Resolution"),
                       N_("The client reads this in the ticket's thread."))


def update_modal(w: Words, ref: TicketRef) -> dict[str, Any]:
    return _note_modal(w, ref, CallbackId.UPDATE_MODAL, N_("Update on {key}"), N_("Post"),
                       BlockId.UPDATE, ActionId.UPDATE, N_("Update"),
                       N_("Posted in the client's thread under your name."))


def read_text(w: Words, state: Any, block: BlockId, action: ActionId,
              missing: str) -> str | dict[str, str]:
    """A required multi-line input, or the field error (``missing``: already in the
    reader's language)."""
    value = typed(state, block, action)
    if not value:
        return {block: missing}
    if len(value) > DESCRIPTION_MAX:
        return {block: w._("Keep it to {most} characters (it has {n}).", most=DESCRIPTION_MAX,
                           n=len(value))}
    return value
