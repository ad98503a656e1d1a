"""Stand-ins for PagerDuty's Events API and for a webhook receiver that checks signatures,
over HTTP on loopback; each records what it accepted and can be told to fail."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

WEBHOOK_SECRET = "test-webhook-secret-0123456789"


@dataclass
class Receiver:
    """A webhook receiver as a careful integrator writes one: it checks the signature,
    answers 401 to a bad one, and keeps each idempotency key once."""

    secret: str = WEBHOOK_SECRET
    events: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    rejected: int = 0
    fail: list[int] = field(default_factory=list)
    """Statuses to answer instead of accepting, one per request (e.g. [500, 500])."""
    fail_body: bytes | None = None
    """The body of those answers, as raw bytes said to be UTF-8 (None: the usual one)."""
    seen: set[str] = field(default_factory=set)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Desk-Signature", ""), expected):
            self.rejected += 1
            return web.Response(status=401, text="bad signature")
        if self.fail:
            return self.failure(self.fail.pop(0), None)
        key = request.headers["X-Desk-Idempotency-Key"]
        if key not in self.seen:
            self.seen.add(key)
            self.events.append(json.loads(body))
        return web.Response(status=204)

    def failure(self, status: int, usual: dict[str, str] | None) -> web.Response:
        if self.fail_body is not None:
            return web.Response(status=status, body=self.fail_body, content_type="text/plain",
                                charset="utf-8")
        return web.Response(status=status) if usual is None else \
            web.json_response(usual, status=status)

    async def start(self, path: str = "/hooks") -> None:
        app = web.Application()
        app.router.add_post(path, self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}{path}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


@dataclass
class PagerDuty(Receiver):
    """PagerDuty's Events API v2 as it answers: 202 for a well-formed event."""

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        event = await request.json()
        if self.fail:
            return self.failure(self.fail.pop(0), {"status": "invalid event"})
        if event.get("event_action") not in ("trigger", "acknowledge", "resolve") or \
                not event.get("dedup_key") or not event.get("routing_key"):
            return web.json_response({"status": "invalid event"}, status=400)
        self.events.append(event)
        return web.json_response({"status": "success", "dedup_key": event["dedup_key"]},
                                 status=202)
