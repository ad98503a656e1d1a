"""A bare AsyncApp that only acks /ticket, the ticket modal and Claim: the baseline."""

from __future__ import annotations

import argparse
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_ui.ids import ActionId, CallbackId


def bare(token: str, secret: str, api_url: str) -> web.Application:
    app = AsyncApp(client=AsyncWebClient(token=token, base_url=api_url), signing_secret=secret)

    @app.command("/ticket")
    async def command(ack: AsyncAck) -> None:
        await ack()

    @app.view(CallbackId.TICKET_MODAL)
    async def view(ack: AsyncAck) -> None:
        await ack()

    @app.action(ActionId.CLAIM)
    async def claim(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> Any:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    server = web.Application()
    server.add_routes([web.post("/slack/events", events)])
    return server


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--api-url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--secret", required=True)
    a = p.parse_args()
    web.run_app(bare(a.token, a.secret, a.api_url), host="127.0.0.1", port=a.port,
                print=None, access_log=None)


if __name__ == "__main__":
    main()
