"""Slash commands: ``/ticket [title]`` opens the ticket modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.desk import Desk


def register(app: AsyncApp, desk: Desk) -> None:
    @app.command("/ticket")
    async def open_ticket_modal(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await client.views_open(
            trigger_id=command["trigger_id"],
            view=blocks.ticket_modal(
                blocks.ModalMetadata(channel=command["channel_id"]),
                blocks.OpenTicketValue(title=command.get("text") or ""),
            ),
        )
