"""Requests not signed by Slack, or too old, are refused with 401 and change nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from bot.sandbox.slack_side import signed_headers
from tests.support.desk import RunningApp
from tests.support.slackreq import SIGNING_SECRET
from tests.support.workspace import CLIENT_CHANNEL, STAFF


def command_body() -> str:
    return urlencode({"command": "/ticket", "text": "", "user_id": STAFF, "team_id": "T0DESK0001",
                      "channel_id": CLIENT_CHANNEL, "trigger_id": "1.t"})


async def test_bad_signature_gets_401(app: RunningApp) -> None:
    body = command_body()
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded",
                             secret="not-the-secret")
    async with app.client.session.post(app.client.url, data=body, headers=headers) as r:
        assert r.status == 401
    assert app.slack.calls_to("views.open") == []


async def test_stale_timestamp_gets_401(app: RunningApp) -> None:
    body = command_body()
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded",
                             secret=SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)
    async with app.client.session.post(app.client.url, data=body, headers=headers) as r:
        assert r.status == 401
    assert app.slack.calls_to("views.open") == []


async def test_unsigned_request_gets_401(app: RunningApp) -> None:
    async with app.client.session.post(app.client.url, data=command_body(), headers={
            "Content-Type": "application/x-www-form-urlencoded"}) as r:
        assert r.status == 401


async def test_healthz_answers_while_redis_does(app: RunningApp) -> None:
    async with app.client.session.get(app.url + "/healthz") as r:
        assert r.status == 200
