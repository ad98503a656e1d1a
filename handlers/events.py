"""Events API: Slack's redeliveries are dropped on ``event_id`` before any listener runs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.desk import Desk

log = logging.getLogger(__name__)

EVENT_ID_TTL = 3600
"""Slack retries an event for about 6 minutes; an hour is ample."""


def register(app: AsyncApp, desk: Desk) -> None:
    @app.middleware
    async def drop_redelivered_events(
        body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id")
        if event_id and not await desk.store.remember_once(f"event:{event_id}", EVENT_ID_TTL):
            log.info("event %s already handled: Slack redelivery dropped", event_id)
            return BoltResponse(status=200, body="")
        return await next()
