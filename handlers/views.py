"""Modal submissions: the ticket modal, the resolution, an update for the client."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import blocks
from bot.blocks import ActionId, BlockId, CallbackId, TicketRef
from bot.desk import Desk


async def answer(ack: AsyncAck, block: BlockId, refusal: str | None) -> None:
    """Close the modal, or keep it open with the refusal shown on the field."""
    if refusal:
        await ack(response_action="errors", errors={block: refusal})
    else:
        await ack()


def register(app: AsyncApp, desk: Desk) -> None:
    @app.view(CallbackId.TICKET_MODAL)
    async def submit_ticket(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = blocks.read_ticket_form(view["state"])
        if not isinstance(form, blocks.TicketForm):
            await ack(response_action="errors", errors=form)
            return
        meta = blocks.ModalMetadata.model_validate_json(view["private_metadata"])
        user = body["user"]
        if meta.reporter and meta.reporter != user["id"] and not await desk.is_staff(
                user["id"], user.get("team_id")):
            await ack(response_action="errors", errors={
                blocks.BlockId.TITLE: "Only the support team can open a ticket for someone "
                                      "else."})
            return
        opened = await desk.open_ticket(
            channel=meta.channel, reporter=meta.reporter or user["id"], form=form,
            once=f"view:{view['id']}", source_link=meta.source_link,
        )
        await ack(response_action="update",
                  view=blocks.ticket_opened_modal(opened.ticket, opened.window))

    @app.view(CallbackId.RESOLVE_MODAL)
    async def submit_resolution(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
                                ) -> None:
        note = blocks.read_text(view["state"], BlockId.RESOLUTION, ActionId.RESOLUTION,
                                "Tell the client how it was solved.")
        if isinstance(note, dict):
            await ack(response_action="errors", errors=note)
            return
        ref = TicketRef.model_validate_json(view["private_metadata"])
        refusal = await desk.resolve(ref.ticket, body["user"]["id"],
                                     body["user"].get("team_id"), note)
        await answer(ack, BlockId.RESOLUTION, refusal)

    @app.view(CallbackId.UPDATE_MODAL)
    async def submit_update(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = blocks.read_text(view["state"], BlockId.UPDATE, ActionId.UPDATE,
                                "Write the update for the client.")
        if isinstance(text, dict):
            await ack(response_action="errors", errors=text)
            return
        ref = TicketRef.model_validate_json(view["private_metadata"])
        refusal = await desk.post_update(ref.ticket, body["user"]["id"],
                                         body["user"].get("team_id"), text, once=view["id"])
        await answer(ack, BlockId.UPDATE, refusal)
