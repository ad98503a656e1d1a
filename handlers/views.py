"""Modal submissions: the ticket modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import blocks
from bot.desk import Desk


def register(app: AsyncApp, desk: Desk) -> None:
    @app.view(blocks.CallbackId.TICKET_MODAL)
    async def submit_ticket(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = blocks.read_ticket_form(view["state"])
        if not isinstance(form, blocks.TicketForm):
            await ack(response_action="errors", errors=form)
            return
        meta = blocks.ModalMetadata.model_validate_json(view["private_metadata"])
        opened = await desk.open_ticket(
            channel=meta.channel, reporter=meta.reporter or body["user"]["id"], form=form,
            once=f"view:{view['id']}",
        )
        await ack(response_action="update",
                  view=blocks.ticket_opened_modal(opened.ticket, opened.window))
