"""Slash commands: ``/ticket [title]`` opens the ticket modal; ``/ticket list`` and
``/ticket T-1042`` show tickets (ephemeral, and only what this channel may see)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import slack_call
from bot.domain.tickets import TicketError, parse_ticket_key
from bot.services.staff import Actor
from bot.slack_ui import messages, modals
from bot.slack_ui.ids import ModalMetadata, OpenTicketValue
from handlers import after_ack, desk_of


def register(app: AsyncApp) -> None:
    app.command("/ticket")(ticket_command)


async def ticket_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
    await ack()
    raw = command.get("text")
    text = raw.strip() if isinstance(raw, str) else ""
    if not all(isinstance(command.get(k), str) for k in ("channel_id", "user_id")):
        return
    number = parse_ticket_key(text)
    if text.lower() == "list" or number is not None:
        after_ack(show_tickets(command, client, context, number), "/ticket list")
        return
    trigger = command.get("trigger_id")
    if isinstance(trigger, str):
        after_ack(client.views_open(
            trigger_id=trigger,
            view=modals.ticket_modal(ModalMetadata(channel=command["channel_id"]),
                                     OpenTicketValue(title=text))), "/ticket views.open")


async def show_tickets(command: dict[str, Any], client: AsyncWebClient,
                       context: AsyncBoltContext, number: int | None) -> None:
    channel, user = command["channel_id"], command["user_id"]
    queries = desk_of(context).queries
    try:
        rows = await queries.tickets_for(channel, Actor(user, command.get("team_id")), only=number)
        listing = messages.ticket_listing(rows, queries.changes.clock(),
                                          internal=queries.is_internal(channel),
                                          detailed=number is not None)
    except TicketError as refusal:
        listing = messages.refusal_text(refusal)
    await slack_call(client.chat_postEphemeral(channel=channel, user=user, text=listing))
