"""The web server: ``POST /slack/events`` for Slack, ``GET /healthz``, ``GET /metrics``
(its own app on ``METRICS_PORT`` for a worker or Socket Mode), on the runtime the
composition root built (``bot.bootstrap``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.adapters.metrics import HTTP_SECONDS, TIMER_LOOPS_DOWN, exposition, merged, show_queue
from bot.adapters.queue import JobQueue
from bot.bootstrap import Runtime

log = logging.getLogger(__name__)


def well_formed(body: Any) -> bool:
    """Whether a request has the envelope every Slack request has (Bolt's own middleware
    assumes it): an object, whose ``event``, ``user``, ``team``, ``view`` and ``container``,
    if present, are objects too, and a view has its type."""
    return (isinstance(body, dict)
            and all(isinstance(body[key], dict)
                    for key in ("event", "user", "team", "view", "container") if key in body)
            and isinstance(body.get("channel") or {}, dict)
            and isinstance(body.get("view", {"type": ""}).get("type"), str))


def http_app(runtime: Runtime) -> web.Application:
    """``POST /slack/events`` for Slack, ``GET /healthz`` (200 only while Redis answers)."""

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        response, kind = await answer(request)
        HTTP_SECONDS.labels(kind).observe(time.perf_counter() - started)
        return response

    async def answer(request: web.Request) -> tuple[web.Response, str]:
        try:
            bolt_request = await to_bolt_request(request)
            malformed = not well_formed(bolt_request.body)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            # Bolt reads its context (team, user, channel...) as it builds the request.
            log.info("a request Slack would not send was refused: %s", type(exc).__name__)
            malformed = True
        if malformed:
            return web.Response(status=400, text="not a request Slack sends"), "malformed"
        bolt_response = await runtime.bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response), request_kind(bolt_request.body)

    async def healthz(_: web.Request) -> web.Response:
        try:
            await runtime.redis.ping()
        except (RedisError, OSError) as exc:
            log.error("health check: Redis does not answer: %s", type(exc).__name__)
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    app = web.Application()
    app.add_routes([web.post("/slack/events", slack_events), web.get("/healthz", healthz),
                    web.get("/metrics", metrics_of(runtime))])
    return app


def metrics_of(runtime: Runtime) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The ``/metrics`` page: this process's metrics and its peers', as one. The queue's
    gauges are the timer loop's; while it does not answer, this process reads them itself
    (rather than show a queue that nobody works as empty) and counts it down."""

    async def metrics(_: web.Request) -> web.Response:
        peers = []
        for peer in runtime.metrics_peers:
            try:
                async with runtime.http.get(peer, timeout=aiohttp.ClientTimeout(total=2)
                                            ) as answer:
                    peers.append(await answer.text())
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("metrics: the timer loop's are missing (%s)", type(exc).__name__)
        if runtime.metrics_peers:
            down = len(runtime.metrics_peers) - len(peers)
            TIMER_LOOPS_DOWN.set(down)
            await queue_measured(runtime.queue, here=down > 0)
        texts = [exposition().decode(), *peers]
        return web.Response(body=merged(*texts) if len(texts) > 1 else texts[0].encode(),
                            content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    return metrics


async def queue_measured(queue: JobQueue, *, here: bool) -> None:
    """The queue's gauges as Redis has them now if ``here``, else left to the timer loop
    (0 here: the merged page sums them)."""
    due, waited, dead = 0, 0.0, 0
    if here:
        try:
            due, waited, dead = await queue.stats()
        except (RedisError, OSError) as exc:
            log.warning("metrics: the queue cannot be read (%s)", type(exc).__name__)
    show_queue(due, waited, dead)


def metrics_app(runtime: Runtime) -> web.Application:
    """``GET /metrics`` alone, on ``METRICS_PORT``, for a worker or Socket Mode."""
    app = web.Application()
    app.add_routes([web.get("/metrics", metrics_of(runtime))])
    return app


def request_kind(body: Any) -> str:
    """What a request from Slack is, for the latency metric: a command, an event, or the
    kind of interaction."""
    if not isinstance(body, dict):
        return "other"
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event"
    return kind if kind in ("block_actions", "view_submission", "shortcut",
                            "message_action") else "other"
