"""The soak's way to the desk, as Slack goes it: each request to one of the running
``serve`` processes (as a load balancer would), sent again as Slack sends it again (an
event up to three more times when the answer is not a 2xx within 3 s; a click once more,
by the person who clicked), and the modals the desk opens found by their trigger."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.soak.world import World
from bot.sandbox.records import APP_ID, TEAM_ID
from bot.sandbox.slack_side import SlackClientSide
from tests.support.slackreq import SIGNING_SECRET, values_by_label

RETRIES = (0.3, 0.6, 1.2)
"""Seconds between Slack's tries of an event (its 1 min and 5 min, compressed)."""


AGAIN = (1.0, 2.0, 3.0)
"""Seconds a person waits before trying again what the desk said it could not do."""


class NotTaken(Exception):
    """Every try of a request failed: the person's action had no effect."""


@dataclass
class SlackWay:
    world: World
    rng: random.Random
    serial: int = 0

    # -- the way to the desk, as Slack goes it -----------------------------------------

    def _next(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:08d}"

    async def _send(self, send: Callable[[SlackClientSide, int], Awaitable[int]]) -> None:
        """``send`` to a live ``serve`` until one answers 2xx (as Slack's retries do)."""
        session = self.world.session
        assert session is not None
        for attempt, pause in enumerate((0.0, *RETRIES)):
            await asyncio.sleep(pause)
            alive = self.world.alive or self.world.serves
            serve = self.rng.choice(alive)
            side = SlackClientSide(serve.url, session, secret=SIGNING_SECRET)
            try:
                if 200 <= await send(side, attempt) < 300:
                    return
            except (aiohttp.ClientError, TimeoutError):
                pass
        raise NotTaken

    async def event(self, event: dict[str, Any]) -> None:
        event_id = self._next("Ev")

        async def send(side: SlackClientSide, attempt: int) -> int:
            response = await side.event(event, event_id=event_id,
                                        retry_num=attempt or None)
            return response.status
        await self._send(send)

    async def interact(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        answer: list[dict[str, Any] | None] = [None]

        async def send(side: SlackClientSide, _: int) -> int:
            status, body = await side.interaction(payload)
            answer[0] = body
            return status
        await self._send(send)
        return answer[0]

    async def command(self, user: str, channel: str, text: str) -> str:
        trigger = self._next("") + ".trigger"

        async def send(side: SlackClientSide, _: int) -> int:
            response = await side.post_form({
                "token": "legacy", "team_id": TEAM_ID, "team_domain": "desk",
                "channel_id": channel, "channel_name": "x", "user_id": user,
                "user_name": user, "command": "/ticket", "text": text,
                "api_app_id": APP_ID, "response_url": "https://hooks.example/c/1",
                "trigger_id": trigger})
            return response.status
        await self._send(send)
        return trigger

    def click_payload(self, user: str, team: str, channel: str, ts: str,
                      element: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        trigger = self._next("") + ".trigger"
        return trigger, {
            "type": "block_actions", "team": {"id": team, "domain": "x"},
            "user": {"id": user, "username": user, "team_id": team}, "api_app_id": APP_ID,
            "trigger_id": trigger, "channel": {"id": channel, "name": "x"},
            "container": {"type": "message", "message_ts": ts, "channel_id": channel},
            "message": {"ts": ts, "text": "", "type": "message"},
            "actions": [{"action_id": element["action_id"], "block_id": "b",
                         "value": element.get("value", ""), "type": "button",
                         "action_ts": str(time.time())}],
            "response_url": "https://hooks.example/a/1"}

    async def modal(self, trigger: str, timeout: float = 8.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while trigger not in self.world.slack.opened:
            if time.monotonic() > deadline:
                raise NotTaken
            await asyncio.sleep(0.05)
        return self.world.slack.opened.pop(trigger)

    async def submit(self, view: dict[str, Any], answers: dict[str, str | None], user: str,
                     team: str = TEAM_ID) -> dict[str, Any] | None:
        """Send the form as ``user`` fills it in; again, as a person would, while the desk
        answers that it could not save it (Redis out of reach, say)."""
        submitted = {**view, "id": self._next("V"), "team_id": team,
                     "state": {"values": values_by_label(view, answers)}, "hash": "1.h",
                     "app_id": APP_ID}
        for pause in (0.0, *AGAIN):
            await asyncio.sleep(pause)
            body = await self.interact({
                "type": "view_submission", "team": {"id": team, "domain": "x"},
                "user": {"id": user, "username": user, "team_id": team},
                "api_app_id": APP_ID, "trigger_id": self._next("") + ".trigger",
                "view": submitted})
            if not (body and body.get("response_action") == "errors"):
                return body
        raise NotTaken
