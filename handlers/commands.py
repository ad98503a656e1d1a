"""Slash commands: ``/ticket [title]`` opens the ticket modal; ``/ticket list`` and
``/ticket T-1042`` show tickets (ephemeral, and only what this channel may see)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.desk import Desk
from bot.notify import slack_call
from bot.tickets import parse_ticket_key
from handlers import acknowledge


def register(app: AsyncApp, desk: Desk) -> None:
    async def ticket(command: dict[str, Any], client: AsyncWebClient) -> None:
        text = (command.get("text") or "").strip()
        number = parse_ticket_key(text)
        if text.lower() != "list" and number is None:
            await client.views_open(
                trigger_id=command["trigger_id"],
                view=blocks.ticket_modal(blocks.ModalMetadata(channel=command["channel_id"]),
                                         blocks.OpenTicketValue(title=text)))
            return
        channel, user = command["channel_id"], command["user_id"]
        listing = await desk.tickets_for(channel, user, command.get("team_id"), only=number)
        await slack_call(client.chat_postEphemeral(channel=channel, user=user, text=listing))

    app.command("/ticket")(ack=acknowledge, lazy=[ticket])
