"""Ticket events out of Slack: PagerDuty's Events API v2, and signed webhooks.

A webhook body is the event's JSON, signed ``X-Desk-Signature: sha256=<hex HMAC-SHA256 of
the body with WEBHOOK_SECRET>``, with ``X-Desk-Idempotency-Key`` (the event's ``id``):
receivers deduplicate on it. 2xx is delivered; 429, 5xx and a connection that fails are
``Retryable``; another 4xx is ``Undeliverable``, whatever its body holds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import aiohttp

from bot.adapters.slack import Retryable, Undeliverable

TIMEOUT = aiohttp.ClientTimeout(total=10)
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _post(session: aiohttp.ClientSession, url: str, body: bytes,
                headers: dict[str, str], what: str) -> None:
    try:
        async with session.post(url, data=body, headers=headers, timeout=TIMEOUT) as r:
            if 200 <= r.status < 300:
                return
            # Read as bytes: an error page in another charset must not hide its status.
            text = (await r.content.read(400)).decode("utf-8", errors="replace")[:200]
            retry_after = r.headers.get("Retry-After")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Retryable(f"cannot reach {what}: {type(exc).__name__}", service=what) from exc
    if r.status == 429:
        wait = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise Retryable(f"{what} answered 429", wait, service=what)
    if r.status >= 500:
        raise Retryable(f"{what} answered {r.status}", service=what)
    raise Undeliverable(f"{what} answered {r.status}: {text}")


class Webhook:
    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str) -> None:
        self.session, self.url, self.secret = session, url, secret

    async def send(self, event: dict[str, Any]) -> None:
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        await _post(self.session, self.url, body, {
            "Content-Type": "application/json",
            "X-Desk-Signature": signature(self.secret, body),
            "X-Desk-Idempotency-Key": str(event["id"]),
        }, "the webhook receiver")


class Pager:
    """PagerDuty Events API v2: one incident per ticket (``dedup_key`` is its number)."""

    def __init__(self, session: aiohttp.ClientSession, routing_key: str,
                 url: str = PAGERDUTY_URL) -> None:
        self.session, self.routing_key, self.url = session, routing_key, url

    async def send(self, action: str, dedup_key: str, payload: dict[str, Any] | None = None,
                   links: list[dict[str, str]] | None = None) -> None:
        body: dict[str, Any] = {"routing_key": self.routing_key, "event_action": action,
                                "dedup_key": dedup_key[:255]}
        if payload is not None:
            body["payload"] = payload
        if links:
            body["links"] = links
        await _post(self.session, self.url, json.dumps(body).encode(),
                    {"Content-Type": "application/json"}, "PagerDuty")
