"""Buttons, menus and the message shortcut.

**Open a ticket** works for everyone (external members of shared channels too); the
triage post's buttons and menu, and the shortcut, are for staff (the desk checks).
A change is made before the ack; a refusal is shown right after, to the clicker only.
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
from handlers import after_ack

Change = Callable[[dict[str, Any], dict[str, Any]], Awaitable[str | None]]
"""Makes a change for the clicker, from the payload and the action; returns a refusal."""


def tell_refusal(body: dict[str, Any], client: AsyncWebClient, refusal: str | None) -> None:
    """Show a refusal to the person who clicked, and to nobody else."""
    if refusal:
        after_ack(slack_call(client.chat_postEphemeral(
            channel=body["channel"]["id"], user=body["user"]["id"], text=refusal)),
            "ephemeral refusal")


def who(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["user"]["id"], body["user"].get("team_id")


def ticket_of(action: dict[str, Any]) -> int:
    return TicketRef.model_validate_json(action["value"]).ticket


def changing(change: Change) -> Callable[..., Awaitable[None]]:
    """The ack part of a button or menu that changes a ticket."""

    async def act(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                  client: AsyncWebClient) -> None:
        refusal = await change(body, action)
        await ack()
        tell_refusal(body, client, refusal)

    return act


def register(app: AsyncApp, desk: Desk) -> None:
    def on_change(action_id: ActionId, change: Change) -> None:
        app.action(action_id)(changing(change))

    def on_modal(action_id: ActionId, modal: Callable[[TicketRef], dict[str, Any]]) -> None:
        async def open_modal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                             client: AsyncWebClient) -> None:
            await ack()
            ref = TicketRef.model_validate_json(action["value"])
            after_ack(client.views_open(trigger_id=body["trigger_id"], view=modal(ref)),
                      f"{action_id} views.open")

        app.action(action_id)(open_modal)

    @app.action(ActionId.OPEN_TICKET)
    async def open_ticket_modal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                                client: AsyncWebClient) -> None:
        await ack()
        prefill = blocks.OpenTicketValue.model_validate_json(action.get("value") or "{}")
        after_ack(client.views_open(trigger_id=body["trigger_id"], view=blocks.ticket_modal(
            blocks.ModalMetadata(channel=body["channel"]["id"], source_link=prefill.source_link),
            prefill)), "Open a ticket views.open")

    @app.shortcut(blocks.CallbackId.OPEN_SUPPORT_TICKET)
    async def open_support_ticket(ack: AsyncAck, shortcut: dict[str, Any],
                                  client: AsyncWebClient) -> None:
        await ack()
        message, channel = shortcut["message"], shortcut["channel"]["id"]
        identity = await desk.slack.identity()
        after_ack(client.views_open(trigger_id=shortcut["trigger_id"], view=blocks.ticket_modal(
            blocks.ModalMetadata(channel=channel, reporter=message.get("user"),
                                 source_link=identity.permalink(channel, message["ts"])),
            blocks.OpenTicketValue(description=str(message.get("text") or "")))),
            "shortcut views.open")

    on_modal(ActionId.RESOLVE, blocks.resolve_modal)
    on_modal(ActionId.POST_UPDATE, blocks.update_modal)

    async def claim(body: dict[str, Any], action: dict[str, Any]) -> str | None:
        return await desk.claim(ticket_of(action), *who(body))

    async def reopen(body: dict[str, Any], action: dict[str, Any]) -> str | None:
        return await desk.reopen(ticket_of(action), *who(body), channel=body["channel"]["id"])

    async def change_severity(body: dict[str, Any], action: dict[str, Any]) -> str | None:
        choice = blocks.SeverityChoice.model_validate_json(action["selected_option"]["value"])
        return await desk.change_severity(choice.ticket, choice.severity, *who(body))

    def set_status(status: Status) -> Change:
        async def change(body: dict[str, Any], action: dict[str, Any]) -> str | None:
            return await desk.set_status(ticket_of(action), status, *who(body))

        return change

    on_change(ActionId.CLAIM, claim)
    on_change(ActionId.REOPEN, reopen)
    on_change(ActionId.CHANGE_SEVERITY, change_severity)
    for action_id, status in blocks.STATUS_BUTTONS.items():
        on_change(action_id, set_status(status))
