"""The composition root: Slack clients, Redis, the desk, the Bolt app and its HTTP server."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.desk import Clock, Desk
from bot.embedded_redis import connection_name
from bot.notify import Mailer, Slack
from bot.store import Store
from bot.timers import TimerQueue
from bot.worker import Worker
from handlers import actions, commands, events, views

log = logging.getLogger(__name__)

SLACK_TIMEOUT = 10


def web_client(settings: Settings, *, interactive: bool) -> AsyncWebClient:
    """A Web API client on ``SLACK_API_URL``.

    ``interactive`` (serving a user who waits): one quick retry of a connection error or
    a 5xx. Otherwise (the worker): no retry here, the queue reschedules the job instead.
    """
    retry = ([AsyncConnectionErrorRetryHandler(max_retry_count=1),
              AsyncServerErrorRetryHandler(max_retry_count=1)] if interactive else [])
    return AsyncWebClient(token=settings.bot_token, base_url=settings.slack_api_url,
                          timeout=SLACK_TIMEOUT, retry_handlers=retry)


def redis_client(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True, health_check_interval=30,
                          client_name=connection_name())


@dataclass
class Runtime:
    settings: Settings
    redis: Redis
    store: Store
    desk: Desk
    bolt: AsyncApp
    worker: Worker
    http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Share one HTTP connection pool among the Slack clients (slack-sdk opens a new
        session for every call otherwise: a TCP handshake each time). (This is also why
        no listener is lazy: Bolt deep-copies the client for each lazy listener.)"""
        self.http = aiohttp.ClientSession()
        self.desk.slack.client.session = self.http
        self.worker.desk.slack.client.session = self.http

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.redis.aclose()


def build(settings: Settings, redis_url: str, clock: Clock | None = None) -> Runtime:
    redis = redis_client(redis_url)
    store = Store(redis)
    clock = clock or time.time
    mailer = (Mailer(settings.smtp_url.get_secret_value(),
                     settings.email_from or "support-desk@localhost")
              if settings.smtp_url else None)
    desk = Desk(settings, store, Slack(web_client(settings, interactive=True)), clock, mailer)
    worker_desk = Desk(settings, store, Slack(web_client(settings, interactive=False)), clock,
                       mailer)
    bolt = AsyncApp(
        client=desk.slack.client,
        signing_secret=(settings.slack_signing_secret.get_secret_value()
                        if settings.slack_signing_secret else None),
        logger=logging.getLogger("slack_bolt"),
        process_before_response=True,
    )
    for surface in (events, commands, views, actions):
        surface.register(bolt, desk)
    worker = Worker(TimerQueue(redis, lease_seconds=settings.job_lease_seconds), worker_desk)
    return Runtime(settings, redis, store, desk, bolt, worker)


def http_app(runtime: Runtime) -> web.Application:
    """``POST /slack/events`` for Slack, ``GET /healthz`` (200 only while Redis answers)."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await runtime.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        try:
            await runtime.redis.ping()
        except (RedisError, OSError) as exc:
            log.error("health check: Redis does not answer: %s", exc)
            return web.json_response({"ok": False, "redis": str(exc)}, status=503)
        return web.json_response({"ok": True})

    app = web.Application()
    app.add_routes([web.post("/slack/events", slack_events), web.get("/healthz", healthz)])
    return app
