"""Slash commands: ``/ticket [title]`` opens the ticket modal; ``/ticket list`` and
``/ticket T-1042`` show tickets (ephemeral, and only what this channel may see)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.desk import Desk
from bot.notify import slack_call
from bot.tickets import parse_ticket_key
from handlers import after_ack


def register(app: AsyncApp, desk: Desk) -> None:
    async def show_tickets(command: dict[str, Any], client: AsyncWebClient,
                           number: int | None) -> None:
        channel, user = command["channel_id"], command["user_id"]
        listing = await desk.tickets_for(channel, user, command.get("team_id"), only=number)
        await slack_call(client.chat_postEphemeral(channel=channel, user=user, text=listing))

    @app.command("/ticket")
    async def ticket(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        text = (command.get("text") or "").strip()
        number = parse_ticket_key(text)
        if text.lower() == "list" or number is not None:
            after_ack(show_tickets(command, client, number), "/ticket " + text)
            return
        after_ack(client.views_open(
            trigger_id=command["trigger_id"],
            view=blocks.ticket_modal(blocks.ModalMetadata(channel=command["channel_id"]),
                                     blocks.OpenTicketValue(title=text))), "/ticket views.open")
