"""Buttons: **Open a ticket** (anyone, external members too) and **Claim** (staff)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.desk import Desk
from bot.notify import slack_call


def register(app: AsyncApp, desk: Desk) -> None:
    @app.action(blocks.ActionId.OPEN_TICKET)
    async def open_ticket_modal(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.ticket_modal(
                blocks.ModalMetadata(channel=body["channel"]["id"]),
                blocks.OpenTicketValue.model_validate_json(action.get("value") or "{}"),
            ),
        )

    @app.action(blocks.ActionId.CLAIM)
    async def claim(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        ref = blocks.TicketRef.model_validate_json(action["value"])
        user = body["user"]
        refusal = await desk.claim(ref.ticket, user["id"], user.get("team_id"))
        await ack()
        if refusal:
            await slack_call(client.chat_postEphemeral(
                channel=body["channel"]["id"], user=user["id"], text=refusal))

    @app.action(blocks.ActionId.CHANGE_SEVERITY)
    async def change_severity(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        choice = blocks.SeverityChoice.model_validate_json(action["selected_option"]["value"])
        user = body["user"]
        refusal = await desk.change_severity(choice.ticket, choice.severity, user["id"],
                                             user.get("team_id"))
        await ack()
        if refusal:
            await slack_call(client.chat_postEphemeral(
                channel=body["channel"]["id"], user=user["id"], text=refusal))
