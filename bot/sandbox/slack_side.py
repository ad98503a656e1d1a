"""Slack's side of the app: requests to ``/slack/events``, built and signed exactly as Slack
builds and signs them (the tests' and the sandbox's)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.sandbox.records import APP_ID, BOT_ID, TEAM_ID


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: str, *, content_type: str, secret: str,
                   timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret, ts, body)}


class SlackClientSide:
    """Sends what Slack would send to ``/slack/events`` of a running app."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, *, secret: str) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.session = session
        self.secret = secret
        self._trigger = 0

    def trigger(self) -> str:
        self._trigger += 1
        return f"{self._trigger}.trigger"

    async def post_form(self, form: dict[str, str]) -> aiohttp.ClientResponse:
        body = urlencode(form)
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded",
                                 secret=self.secret)
        async with self.session.post(self.url, data=body, headers=headers) as response:
            await response.read()
            return response

    async def command(self, command: str, text: str, *, user: str, channel: str,
                      team: str = TEAM_ID) -> aiohttp.ClientResponse:
        return await self.post_form({
            "token": "legacy", "team_id": team, "team_domain": "desk-test",
            "channel_id": channel, "channel_name": "x", "user_id": user, "user_name": user,
            "command": command, "text": text, "api_app_id": APP_ID,
            "response_url": "https://hooks.example/commands/1", "trigger_id": self.trigger(),
        })

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        body = urlencode({"payload": json.dumps(payload)})
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded",
                                 secret=self.secret)
        async with self.session.post(self.url, data=body, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text.startswith("{") else None)

    async def click(self, action_id: str, value: str, *, user: str, channel: str,
                    message_ts: str = "1.000001", team: str = TEAM_ID
                    ) -> tuple[int, dict[str, Any] | None]:
        return await self.interaction({
            "type": "block_actions", "team": {"id": team, "domain": "desk-test"},
            "user": {"id": user, "username": user, "team_id": team},
            "api_app_id": APP_ID, "trigger_id": self.trigger(),
            "channel": {"id": channel, "name": "x"}, "container": {
                "type": "message", "message_ts": message_ts, "channel_id": channel},
            "message": {"ts": message_ts, "text": "", "type": "message"},
            "actions": [{"action_id": action_id, "block_id": "b", "value": value,
                         "type": "button", "action_ts": str(time.time())}],
            "response_url": "https://hooks.example/actions/1",
        })

    async def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *,
                     user: str, view_id: str = "V0VIEW0001", team: str = TEAM_ID
                     ) -> tuple[int, dict[str, Any] | None]:
        """Submit ``view`` (as the app opened it) with ``values``: block_id -> action state."""
        submitted = {**view, "id": view_id, "team_id": team, "state": {"values": values},
                     "hash": "1.h", "app_id": APP_ID, "bot_id": BOT_ID}
        return await self.interaction({
            "type": "view_submission", "team": {"id": team, "domain": "desk-test"},
            "user": {"id": user, "username": user, "team_id": team},
            "api_app_id": APP_ID, "trigger_id": self.trigger(), "view": submitted,
        })

    async def event(self, event: dict[str, Any], *, event_id: str,
                    retry_num: int | None = None) -> aiohttp.ClientResponse:
        body = json.dumps({
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": APP_ID,
            "event": event, "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()), "authorizations": [{"team_id": TEAM_ID}],
        })
        headers = signed_headers(body, content_type="application/json", secret=self.secret)
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num),
                            "X-Slack-Retry-Reason": "http_timeout"})
        async with self.session.post(self.url, data=body, headers=headers) as response:
            await response.read()
            return response
