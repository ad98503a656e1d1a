"""Modal submissions: the ticket modal, the resolution, an update for the client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import blocks
from bot.blocks import ActionId, BlockId, CallbackId, TicketRef
from bot.desk import Desk

Apply = Callable[[int, str, str | None, str, str], Awaitable[str | None]]
"""(ticket, user, team, the text, the view's id) -> a refusal, or None when done."""


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

    def note_modal(callback: CallbackId, block: BlockId, action: ActionId, missing: str,
                   apply: Apply) -> None:
        """A modal asking staff for one text about a ticket, then ``apply`` it."""

        @app.view(callback)
        async def submit_note(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
                              ) -> None:
            text = blocks.read_text(view["state"], block, action, missing)
            if isinstance(text, dict):
                await ack(response_action="errors", errors=text)
                return
            ref = TicketRef.model_validate_json(view["private_metadata"])
            user = body["user"]
            refusal = await apply(ref.ticket, user["id"], user.get("team_id"), text,
                                  view["id"])
            await answer(ack, block, refusal)

    async def resolve(number: int, user: str, team: str | None, text: str, _: str
                      ) -> str | None:
        return await desk.resolve(number, user, team, text)

    async def post_update(number: int, user: str, team: str | None, text: str,
                          view_id: str) -> str | None:
        return await desk.post_update(number, user, team, text, once=view_id)

    note_modal(CallbackId.RESOLVE_MODAL, BlockId.RESOLUTION, ActionId.RESOLUTION,
               "Tell the client how it was solved.", resolve)
    note_modal(CallbackId.UPDATE_MODAL, BlockId.UPDATE, ActionId.UPDATE,
               "Write the update for the client.", post_update)
