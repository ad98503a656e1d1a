"""Modal submissions: the ticket modal, the resolution, an update for the client.

A submission is in Redis before Slack gets its answer; a refusal keeps the modal open
with the reason on the field (``response_action: errors``).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.domain.tickets import TicketError
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from bot.slack_ui import modals
from bot.slack_ui.ids import ActionId, BlockId, CallbackId, ModalMetadata, TicketForm, TicketRef
from bot.slack_ui.messages import refusal_text
from handlers import desk_of


def register(app: AsyncApp) -> None:
    app.view(CallbackId.TICKET_MODAL)(submit_ticket)
    app.view(CallbackId.RESOLVE_MODAL)(submit_resolution)
    app.view(CallbackId.UPDATE_MODAL)(submit_update)


def actor(body: dict[str, Any]) -> Actor:
    return Actor(body["user"]["id"], body["user"].get("team_id"))


async def submit_ticket(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                        context: AsyncBoltContext) -> None:
    form = modals.read_ticket_form(view["state"])
    if not isinstance(form, TicketForm):
        await ack(response_action="errors", errors=form)
        return
    meta = ModalMetadata.model_validate_json(view["private_metadata"])
    who = actor(body)
    try:
        opened = await desk_of(context).tickets.open(NewTicket(
            channel=meta.channel, reporter=meta.reporter or who.user, title=form.title,
            severity=form.severity, description=form.description, once=f"view:{view['id']}",
            source_link=meta.source_link), who)
    except TicketError as refusal:
        await ack(response_action="errors", errors={BlockId.TITLE: refusal_text(refusal)})
        return
    await ack(response_action="update",
              view=modals.ticket_opened_modal(opened.ticket, opened.window))


async def submit_resolution(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                            context: AsyncBoltContext) -> None:
    text = await read_note(ack, view, BlockId.RESOLUTION, ActionId.RESOLUTION,
                           "Tell the client how it was solved.")
    if text is not None:
        ref = TicketRef.model_validate_json(view["private_metadata"])
        await answer(ack, BlockId.RESOLUTION,
                     desk_of(context).tickets.resolve(ref.ticket, text, actor(body)))


async def submit_update(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                        context: AsyncBoltContext) -> None:
    text = await read_note(ack, view, BlockId.UPDATE, ActionId.UPDATE,
                           "Write the update for the client.")
    if text is not None:
        ref = TicketRef.model_validate_json(view["private_metadata"])
        await answer(ack, BlockId.UPDATE, desk_of(context).tickets.post_update(
            ref.ticket, text, actor(body), once=view["id"]))


async def read_note(ack: AsyncAck, view: dict[str, Any], block: BlockId, action: ActionId,
                    missing: str) -> str | None:
    """The text of a one-field modal, or None once its field error is shown."""
    text = modals.read_text(view["state"], block, action, missing)
    if isinstance(text, dict):
        await ack(response_action="errors", errors=text)
        return None
    return text


async def answer(ack: AsyncAck, block: BlockId, change: Awaitable[None]) -> None:
    """Make the change; close the modal, or keep it open with the refusal on the field."""
    try:
        await change
    except TicketError as refusal:
        await ack(response_action="errors", errors={block: refusal_text(refusal)})
        return
    await ack()
