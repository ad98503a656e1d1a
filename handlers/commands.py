"""Slash commands: ``/ticket [title]`` opens the ticket modal; ``/ticket list`` and
``/ticket T-1042`` show tickets (ephemeral, and only what this channel may see);
``/ticket report`` sends staff an SLA report by DM."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.tickets import TicketError, parse_ticket_key
from bot.services.staff import Actor
from bot.slack_ui import messages, modals
from bot.slack_ui.ids import ModalMetadata, OpenTicketValue
from bot.slack_ui.listing import report_on_its_way, ticket_listing
from bot.slack_ui.reports import report_refusal
from handlers.acking import after_ack
from handlers.desk import desk_of
from handlers.replies import ephemeral, open_form


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
    words = text.split(maxsplit=1)
    if words and words[0].lower() == "report":
        after_ack(ask_report(command, client, context, text[len("report"):]), "/ticket report")
        return
    if text.lower() == "list" or number is not None:
        after_ack(show_tickets(command, client, context, number), "/ticket list")
        return
    trigger = command.get("trigger_id")
    if isinstance(trigger, str):
        after_ack(open_ticket_form(command, client, context, trigger, text),
                  "/ticket views.open")


async def open_ticket_form(command: dict[str, Any], client: AsyncWebClient,
                           context: AsyncBoltContext, trigger: str, text: str) -> None:
    """The ticket modal, in the words of the channel ``/ticket`` was typed in."""
    channel, user = command["channel_id"], command["user_id"]
    w = await desk_of(context).words(channel)
    await open_form(client, trigger, modals.ticket_modal(w, ModalMetadata(channel=channel),
                                                         OpenTicketValue(title=text)),
                    what=f"/ticket in {channel}",
                    tell=lambda notice: ephemeral(client, channel, user, notice), w=w)


def actor_of(command: dict[str, Any]) -> Actor:
    """Who ran the command: their user ID, the workspace and the Grid org it names."""
    return Actor(command["user_id"], command.get("team_id"), command.get("enterprise_id"))


async def show_tickets(command: dict[str, Any], client: AsyncWebClient,
                       context: AsyncBoltContext, number: int | None) -> None:
    channel, user = command["channel_id"], command["user_id"]
    desk = desk_of(context)
    queries, w = desk.queries, await desk.words(channel)
    try:
        rows = await queries.tickets_for(channel, actor_of(command), only=number)
        listing = ticket_listing(w, rows, queries.now(),
                                 internal=queries.is_internal(channel),
                                 detailed=number is not None)
    except TicketError as refusal:
        listing = messages.refusal_text(w, refusal)
    await ephemeral(client, channel, user, listing)


async def ask_report(command: dict[str, Any], client: AsyncWebClient,
                     context: AsyncBoltContext, text: str) -> None:
    """``/ticket report [period] [client]``: staff get it by DM; others are told why not."""
    channel, user = command["channel_id"], command["user_id"]
    ref = f"asked:{user}:{command.get('trigger_id') or text}"
    desk = desk_of(context)
    w = await desk.words(channel)
    try:
        period, who = await desk.reports.request(actor_of(command), text, ref)
        answer = report_on_its_way(w, period.label, who.name if who else None)
    except TicketError as refusal:
        answer = report_refusal(w, refusal)
    await ephemeral(client, channel, user, answer)
