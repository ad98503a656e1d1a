"""Modal submissions: the ticket modal, the resolution, an update for the client.

A submission is in Redis before Slack gets its answer; a refusal keeps the modal open
with the reason on the field (``response_action: errors``). One that cannot be decided
within the ack budget (Slack slow to say who is submitting) closes the modal and is
decided after; a refusal then comes as a direct message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.domain.text import N_
from bot.domain.tickets import TicketError
from bot.services.tickets import NewTicket, OpenedTicket
from bot.slack_ui import modals
from bot.slack_ui.ids import (
    ActionId,
    BlockId,
    CallbackId,
    EditForm,
    ModalMetadata,
    TicketForm,
    TicketRef,
)
from bot.slack_ui.words import Words
from handlers.acking import in_time
from handlers.desk import desk_of
from handlers.payloads import Submission, read, value_of

log = logging.getLogger(__name__)

STALE = N_("This form is out of date: close it and start again.")
SORRY = N_("Sorry, that did not go through: please try again in a minute.")


def register(app: AsyncApp) -> None:
    app.view(CallbackId.TICKET_MODAL)(submit_ticket)
    app.view(CallbackId.RESOLVE_MODAL)(submit_resolution)
    app.view(CallbackId.UPDATE_MODAL)(submit_update)


async def submit_ticket(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
                        ) -> None:
    submission = read(Submission, body, "submission")
    if submission is None:
        await ack()
        return
    desk = desk_of(context)
    meta = value_of(ModalMetadata, submission.view.private_metadata)
    # The form speaks the language of the channel it was opened in.
    w = await desk.words(meta.channel) if meta else desk.staff_words
    who = submission.actor
    watcher = desk.watcher
    if meta is not None and meta.ticket is not None and watcher is not None:
        edit = modals.read_edit_form(w, submission.view.state)
        if not isinstance(edit, EditForm):
            await ack(response_action="errors", errors=edit)
            return
        await answer(ack, submission, context, w, BlockId.TITLE, watcher.edit(
            meta.ticket, edit.title, edit.severity, edit.description, who))
        return
    form = modals.read_ticket_form(w, submission.view.state)
    if not isinstance(form, TicketForm):
        await ack(response_action="errors", errors=form)
        return
    if meta is None:
        await ack(response_action="errors", errors={BlockId.TITLE: w._(STALE)})
        return
    opened: list[OpenedTicket] = []

    async def open_ticket() -> None:
        opened.append(await desk_of(context).tickets.open(NewTicket(
            channel=meta.channel, reporter=meta.reporter or who.user, title=form.title,
            severity=form.severity, description=form.description,
            once=f"view:{submission.view.id}", source_link=meta.source_link), who))

    # Opening a ticket for someone else asks Slack who is submitting: it may be slow.
    try:
        await in_time(open_ticket(), "a ticket submission", told_later(context, who.user, w))
    except TicketError as refusal:
        await ack(response_action="errors", errors={BlockId.TITLE: w.refusal(refusal)})
        return
    if not opened:  # decided after the ack: the modal closes, a refusal comes as a DM
        await ack()
        return
    await ack(response_action="update",
              view=modals.ticket_opened_modal(w, opened[0].ticket, opened[0].window))


async def submit_resolution(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
                            ) -> None:
    w = desk_of(context).staff_words  # opened from triage: staff's language
    note = await read_note(ack, body, BlockId.RESOLUTION, ActionId.RESOLUTION,
                           w._("Tell the client how it was solved."), w)
    if note is not None:
        submission, ref, text = note
        await answer(ack, submission, context, w, BlockId.RESOLUTION,
                     desk_of(context).tickets.resolve(ref.ticket, text, submission.actor))


async def submit_update(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
                        ) -> None:
    w = desk_of(context).staff_words  # opened from triage: staff's language
    note = await read_note(ack, body, BlockId.UPDATE, ActionId.UPDATE,
                           w._("Write the update for the client."), w)
    if note is not None:
        submission, ref, text = note
        await answer(ack, submission, context, w, BlockId.UPDATE, desk_of(context).tickets
                     .post_update(ref.ticket, text, submission.actor,
                                  once=submission.view.id))


async def read_note(ack: AsyncAck, body: dict[str, Any], block: BlockId, action: ActionId,
                    missing: str, w: Words) -> tuple[Submission, TicketRef, str] | None:
    """The submission, its ticket and the text of a one-field modal; or None once the
    field error (or a quiet ack, for what Slack never sends) is answered."""
    submission = read(Submission, body, "submission")
    if submission is None:
        await ack()
        return None
    text = modals.read_text(w, submission.view.state, block, action, missing)
    if isinstance(text, dict):
        await ack(response_action="errors", errors=text)
        return None
    ref = value_of(TicketRef, submission.view.private_metadata)
    if ref is None:
        await ack(response_action="errors", errors={block: w._(STALE)})
        return None
    return submission, ref, text


def told_later(context: AsyncBoltContext, user: str, w: Words
               ) -> Callable[[BaseException | None], Awaitable[None]]:
    """What a submission decided after the ack does with its outcome: a refusal or a
    failure is sent to ``user`` as a direct message (success shows for itself)."""

    async def tell(refused: BaseException | None) -> None:
        if refused is None:
            return
        if not isinstance(refused, TicketError):
            log.error("a submission by %s failed after the ack: %r", user, refused)
        text = w.refusal(refused) if isinstance(refused, TicketError) else w._(SORRY)
        await desk_of(context).tell(user, text)

    return tell


async def answer(ack: AsyncAck, submission: Submission, context: AsyncBoltContext, w: Words,
                 block: BlockId, change: Coroutine[Any, Any, None]) -> None:
    """Make the change; close the modal, or keep it open with the refusal on the field.

    A change that cannot be decided within the ack budget closes the modal and is decided
    after; a refusal then comes as a direct message."""
    try:
        await in_time(change, "a submission", told_later(context, submission.user.id, w))
    except TicketError as refusal:
        await ack(response_action="errors", errors={block: w.refusal(refusal)})
        return
    await ack()
