"""Buttons, menus and the message shortcut.

**Open a ticket** works for everyone (external members of shared channels too); the
triage post's buttons and menu, and the shortcut, are for staff (the services check).
A change is made before the ack; a refusal is shown right after, to the clicker only.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import slack_call
from bot.domain.tickets import TicketError
from bot.services.staff import Actor
from bot.slack_ui import modals
from bot.slack_ui.ids import (
    STATUS_BUTTONS,
    ActionId,
    CallbackId,
    ModalMetadata,
    OpenTicketValue,
    SeverityChoice,
    TicketRef,
)
from bot.slack_ui.messages import refusal_text
from handlers import after_ack, desk_of


def register(app: AsyncApp) -> None:
    app.action(ActionId.OPEN_TICKET)(open_ticket_modal)
    app.shortcut(CallbackId.OPEN_SUPPORT_TICKET)(open_support_ticket)
    app.action(ActionId.RESOLVE)(open_resolve_modal)
    app.action(ActionId.POST_UPDATE)(open_update_modal)
    app.action(ActionId.CLAIM)(claim_ticket)
    app.action(ActionId.REOPEN)(reopen_ticket)
    app.action(ActionId.CHANGE_SEVERITY)(change_severity)
    for action_id in STATUS_BUTTONS:
        app.action(action_id)(set_status)


def actor(body: dict[str, Any]) -> Actor:
    return Actor(body["user"]["id"], body["user"].get("team_id"))


def ticket_of(action: dict[str, Any]) -> int:
    return TicketRef.model_validate_json(action["value"]).ticket


async def acting(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                 change: Awaitable[None]) -> None:
    """Make the change, answer Slack, then show a refusal to the clicker and nobody else."""
    try:
        await change
        refusal = None
    except TicketError as refused:
        refusal = refusal_text(refused)
    await ack()
    if refusal:
        after_ack(slack_call(client.chat_postEphemeral(
            channel=body["channel"]["id"], user=body["user"]["id"], text=refusal)),
            "ephemeral refusal")


async def claim_ticket(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                       client: AsyncWebClient, context: AsyncBoltContext) -> None:
    await acting(ack, body, client, desk_of(context).tickets.claim(ticket_of(action),
                                                                   actor(body)))


async def reopen_ticket(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        client: AsyncWebClient, context: AsyncBoltContext) -> None:
    await acting(ack, body, client, desk_of(context).tickets.reopen(
        ticket_of(action), actor(body), channel=body["channel"]["id"]))


async def change_severity(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                          client: AsyncWebClient, context: AsyncBoltContext) -> None:
    choice = SeverityChoice.model_validate_json(action["selected_option"]["value"])
    await acting(ack, body, client, desk_of(context).tickets.change_severity(
        choice.ticket, choice.severity, actor(body)))


async def set_status(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                     client: AsyncWebClient, context: AsyncBoltContext) -> None:
    status = STATUS_BUTTONS[ActionId(action["action_id"])]
    await acting(ack, body, client, desk_of(context).tickets.set_status(
        ticket_of(action), status, actor(body)))


async def open_ticket_modal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                            client: AsyncWebClient) -> None:
    await ack()
    prefill = OpenTicketValue.model_validate_json(action.get("value") or "{}")
    after_ack(client.views_open(trigger_id=body["trigger_id"], view=modals.ticket_modal(
        ModalMetadata(channel=body["channel"]["id"], source_link=prefill.source_link),
        prefill)), "Open a ticket views.open")


async def open_support_ticket(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient,
                              context: AsyncBoltContext) -> None:
    await ack()
    message, channel = shortcut["message"], shortcut["channel"]["id"]
    identity = await desk_of(context).identity()
    after_ack(client.views_open(trigger_id=shortcut["trigger_id"], view=modals.ticket_modal(
        ModalMetadata(channel=channel, reporter=message.get("user"),
                      source_link=identity.permalink(channel, message["ts"])),
        OpenTicketValue(description=str(message.get("text") or "")))), "shortcut views.open")


async def open_resolve_modal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                             client: AsyncWebClient) -> None:
    await ack()
    after_ack(client.views_open(trigger_id=body["trigger_id"], view=modals.resolve_modal(
        TicketRef.model_validate_json(action["value"]))), "Resolve views.open")


async def open_update_modal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                            client: AsyncWebClient) -> None:
    await ack()
    after_ack(client.views_open(trigger_id=body["trigger_id"], view=modals.update_modal(
        TicketRef.model_validate_json(action["value"]))), "Post update views.open")
