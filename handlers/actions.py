"""Buttons, menus and the message shortcut.

**Open a ticket** works for everyone (external members of shared channels too); the
triage post's buttons and menu, and the shortcut, are for staff (the desk checks).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import ActionId, TicketRef
from bot.desk import Desk
from bot.notify import slack_call
from bot.tickets import Status

Listener = Callable[..., Awaitable[None]]


async def tell(client: AsyncWebClient, body: dict[str, Any], refusal: str | None) -> None:
    """Show a refusal to the person who clicked, and to nobody else."""
    if refusal:
        await slack_call(client.chat_postEphemeral(
            channel=body["channel"]["id"], user=body["user"]["id"], text=refusal))


def who(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["user"]["id"], body["user"].get("team_id")


def status_listener(desk: Desk, status: Status) -> Listener:
    """The listener of a button that moves a ticket to ``status``."""

    async def set_status(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                         client: AsyncWebClient) -> None:
        ref = TicketRef.model_validate_json(action["value"])
        refusal = await desk.set_status(ref.ticket, status, *who(body))
        await ack()
        await tell(client, body, refusal)

    return set_status


def register(app: AsyncApp, desk: Desk) -> None:
    @app.action(ActionId.OPEN_TICKET)
    async def open_ticket_modal(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        prefill = blocks.OpenTicketValue.model_validate_json(action.get("value") or "{}")
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.ticket_modal(
            blocks.ModalMetadata(channel=body["channel"]["id"], source_link=prefill.source_link),
            prefill))

    @app.shortcut(blocks.CallbackId.OPEN_SUPPORT_TICKET)
    async def open_support_ticket(
        ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message, channel = shortcut["message"], shortcut["channel"]["id"]
        identity = await desk.slack.identity()
        text = str(message.get("text") or "")
        await client.views_open(trigger_id=shortcut["trigger_id"], view=blocks.ticket_modal(
            blocks.ModalMetadata(channel=channel, reporter=message.get("user"),
                                 source_link=identity.permalink(channel, message["ts"])),
            blocks.OpenTicketValue(description=text)))

    @app.action(ActionId.CLAIM)
    async def claim(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        ref = TicketRef.model_validate_json(action["value"])
        refusal = await desk.claim(ref.ticket, *who(body))
        await ack()
        await tell(client, body, refusal)

    for action_id, status in blocks.STATUS_BUTTONS.items():
        app.action(action_id)(status_listener(desk, status))

    @app.action(ActionId.REOPEN)
    async def reopen(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        ref = TicketRef.model_validate_json(action["value"])
        refusal = await desk.reopen(ref.ticket, *who(body), channel=body["channel"]["id"])
        await ack()
        await tell(client, body, refusal)

    @app.action(ActionId.RESOLVE)
    async def resolve_modal(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        ref = TicketRef.model_validate_json(action["value"])
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.resolve_modal(ref))

    @app.action(ActionId.POST_UPDATE)
    async def update_modal(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        ref = TicketRef.model_validate_json(action["value"])
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.update_modal(ref))

    @app.action(ActionId.CHANGE_SEVERITY)
    async def change_severity(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        choice = blocks.SeverityChoice.model_validate_json(action["selected_option"]["value"])
        refusal = await desk.change_severity(choice.ticket, choice.severity, *who(body))
        await ack()
        await tell(client, body, refusal)
