"""Requests into the app, built and signed exactly as Slack builds and signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.slack_standin import TEAM_ID

SIGNING_SECRET = "test-signing-secret"


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: str, *, content_type: str, secret: str = SIGNING_SECRET,
                   timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret, ts, body)}


class SlackClientSide:
    """Sends what Slack would send to ``/slack/events`` of a running app."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.session = session
        self._trigger = 0

    def trigger(self) -> str:
        self._trigger += 1
        return f"{self._trigger}.trigger"

    async def post_form(self, form: dict[str, str], **sign: Any) -> aiohttp.ClientResponse:
        body = urlencode(form)
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded", **sign)
        async with self.session.post(self.url, data=body, headers=headers) as response:
            await response.read()
            return response

    async def command(self, command: str, text: str, *, user: str, channel: str,
                      team: str = TEAM_ID) -> aiohttp.ClientResponse:
        return await self.post_form({
            "token": "legacy", "team_id": team, "team_domain": "desk-test",
            "channel_id": channel, "channel_name": "x", "user_id": user, "user_name": user,
            "command": command, "text": text, "api_app_id": "A0APP00001",
            "response_url": "https://hooks.example/commands/1", "trigger_id": self.trigger(),
        })

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        body = urlencode({"payload": json.dumps(payload)})
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        async with self.session.post(self.url, data=body, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text.startswith("{") else None)

    async def click(self, action_id: str, value: str, *, user: str, channel: str,
                    message_ts: str = "1.000001", team: str = TEAM_ID
                    ) -> tuple[int, dict[str, Any] | None]:
        return await self.interaction({
            "type": "block_actions", "team": {"id": team, "domain": "desk-test"},
            "user": {"id": user, "username": user, "team_id": team},
            "api_app_id": "A0APP00001", "trigger_id": self.trigger(),
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
                     "hash": "1.h", "app_id": "A0APP00001", "bot_id": "B0BOT00001"}
        return await self.interaction({
            "type": "view_submission", "team": {"id": team, "domain": "desk-test"},
            "user": {"id": user, "username": user, "team_id": team},
            "api_app_id": "A0APP00001", "trigger_id": self.trigger(), "view": submitted,
        })

    async def event(self, event: dict[str, Any], *, event_id: str,
                    retry_num: int | None = None) -> aiohttp.ClientResponse:
        body = json.dumps({
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0APP00001",
            "event": event, "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()), "authorizations": [{"team_id": TEAM_ID}],
        })
        headers = signed_headers(body, content_type="application/json")
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num),
                            "X-Slack-Retry-Reason": "http_timeout"})
        async with self.session.post(self.url, data=body, headers=headers) as response:
            await response.read()
            return response


def values_by_label(view: dict[str, Any], answers: dict[str, str | None]
                    ) -> dict[str, dict[str, Any]]:
    """Modal state as Slack sends it, each input found by its visible label.

    ``answers``: label -> typed text, or for radio buttons the visible option text.
    """
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        label = block["label"]["text"]
        element = block["element"]
        answer = answers.get(label)
        if element["type"] == "radio_buttons":
            chosen = next((o for o in element["options"] if o["text"]["text"] == answer), None)
            value: dict[str, Any] = {"type": "radio_buttons", "selected_option": chosen}
        else:
            value = {"type": element["type"], "value": answer}
        state[block["block_id"]] = {element["action_id"]: value}
    return state
