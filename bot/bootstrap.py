"""The one composition root: settings -> clients -> services -> the Bolt app and the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.channels import ChannelNames
from bot.adapters.client_cache import HEALTH_CHECK, ClientCache
from bot.adapters.clock import Clock
from bot.adapters.connection import RedisClient, subscriber_client
from bot.adapters.connection import redis_client as connect
from bot.adapters.directory import Directory
from bot.adapters.homes import HomeViewers
from bot.adapters.hooks import Pager, Webhook
from bot.adapters.index import Index
from bot.adapters.keys import Layout
from bot.adapters.mail import Mailer
from bot.adapters.metrics import HTTP_SECONDS, TIMER_LOOPS_DOWN, exposition, merged, show_queue
from bot.adapters.outcomes import Outcomes
from bot.adapters.queue import JobQueue
from bot.adapters.slack import Slack, sdk_logger
from bot.adapters.store import Store
from bot.config import Settings
from bot.delivery.registry import Deps
from bot.delivery.worker import MAX_IDLE, Worker
from bot.services.changes import Changes
from bot.services.channels import Channels
from bot.services.csat import Ratings
from bot.services.desk import Desk
from bot.services.events import Events
from bot.services.home import Homes
from bot.services.queries import Queries
from bot.services.reminders import Reminders
from bot.services.reports import Reports
from bot.services.retention import Retention
from bot.services.staff import StaffCheck
from bot.services.sweep import Sweeper
from bot.services.tickets import Tickets
from handlers import actions, commands, csat, errors, events, home, provide, views

log = logging.getLogger(__name__)

SLACK_TIMEOUT = 10
REDIS_TIMEOUT = MAX_IDLE + 5
"""Longer than the worker's longest idle wait (a BLPOP), so that wait is never cut."""


def web_client(settings: Settings, http: aiohttp.ClientSession, *,
               interactive: bool) -> AsyncWebClient:
    """A Web API client on ``SLACK_API_URL``, on the shared connection pool.

    ``interactive`` (serving a user who waits): one quick retry of a connection error or a
    5xx. Otherwise (the worker): no retry here, the queue reschedules the job instead.
    """
    retry = ([AsyncConnectionErrorRetryHandler(max_retry_count=1),
              AsyncServerErrorRetryHandler(max_retry_count=1)] if interactive else [])
    return AsyncWebClient(token=settings.bot_token, base_url=settings.slack_api_url,
                          timeout=SLACK_TIMEOUT, retry_handlers=retry, session=http,
                          logger=sdk_logger())


def redis_client(settings: Settings, url: str) -> RedisClient:
    """The client of the desk's Redis: one server, or a cluster with ``REDIS_CLUSTER``."""
    return connect(url, cluster=settings.redis_cluster, timeout=REDIS_TIMEOUT)


def layout(settings: Settings) -> Layout:
    return Layout(settings.partitions)


@dataclass
class Runtime:
    settings: Settings
    redis: RedisClient
    clock: Clock
    store: Store
    queue: JobQueue
    slack: Slack
    """The Slack client of people-facing calls (the CLI's too)."""
    desk: Desk
    bolt: AsyncApp
    worker: Worker
    http: aiohttp.ClientSession
    metrics_peers: list[str] = field(default_factory=list)
    """``/metrics`` of this desk's other processes on this host (``serve``'s timer loop),
    merged into this one's."""


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, redis_url: str,
                       clock: Clock | None = None) -> AsyncIterator[Runtime]:
    """Build the desk on one Redis client and one HTTP connection pool; close them after."""
    redis = redis_client(settings, redis_url)
    clock = clock or Clock()
    # One pool for every Slack call (slack-sdk opens a session per call otherwise: a TCP
    # handshake each time). This is also why no listener is lazy: Bolt deep-copies the
    # client for each lazy listener.
    http = aiohttp.ClientSession()
    try:
        runtime = build(settings, redis, clock, http)
        with contextlib.suppress(RedisError, OSError):
            await clock.calibrate(redis)  # a Redis that is down is reported by the caller
        calibrating = asyncio.create_task(clock.keep_calibrated(redis))
        async with clients_followed(runtime.store, redis_url):
            try:
                yield runtime
            finally:
                calibrating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await calibrating
                await runtime.queue.close()
    finally:
        await http.close()
        await redis.aclose()


@contextlib.asynccontextmanager
async def clients_followed(store: Store, redis_url: str) -> AsyncIterator[None]:
    """Keep client records in the process while the block runs (see ``client_cache``)."""
    cache = ClientCache()
    subscriber = subscriber_client(redis_url, health_check=HEALTH_CHECK)
    following = asyncio.create_task(cache.follow(subscriber))
    store.client_cache = cache
    try:
        yield
    finally:
        store.client_cache = None
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
        await subscriber.aclose()


def build(settings: Settings, redis: RedisClient, clock: Clock, http: aiohttp.ClientSession
          ) -> Runtime:
    keys = layout(settings)
    store = Store(redis, clock.shift_ms, keys, thread_ttl=settings.retain_days * 86_400)
    outcomes = Outcomes(redis, keys, clock.shift_ms)
    queue = JobQueue(redis, lease_seconds=settings.job_lease_seconds, shift_ms=clock.shift_ms,
                     layout=keys)
    interactive = Slack(web_client(settings, http, interactive=True))
    worker_slack = Slack(web_client(settings, http, interactive=False))
    changes = Changes(store, settings, clock)
    staff = StaffCheck(Directory(interactive, settings.support_usergroup), settings)
    ticket_events = Events(settings)
    reminders = Reminders(changes, ticket_events)
    index, viewers = Index(redis, keys), HomeViewers(redis)
    reports = Reports(changes, staff, outcomes, ChannelNames(interactive))
    desk = Desk(Tickets(changes, staff, ticket_events, cards=interactive),
                Queries(changes, staff, settings.triage_channel, index), staff, changes,
                reminders, Sweeper(changes), store, interactive.identity,
                lambda user, text: interactive.post(user, text),
                Homes(changes, staff, index, viewers), reports=reports,
                ratings=Ratings(changes), channels=Channels(changes, outcomes))
    mailer = (Mailer(settings.smtp_url.get_secret_value(),
                     settings.email_from or "support-desk@localhost")
              if settings.smtp_url else None)
    worker_staff = StaffCheck(Directory(worker_slack, settings.support_usergroup), settings)
    deps = Deps(settings, store, worker_slack, mailer, changes, reminders, worker_staff,
                Homes(changes, worker_staff, index, viewers),
                pager=Pager(http, settings.pagerduty_routing_key.get_secret_value(),
                            settings.pagerduty_url) if settings.pagerduty_routing_key else None,
                webhook=Webhook(http, settings.webhook_url,
                                settings.webhook_secret.get_secret_value())
                if settings.webhook_url and settings.webhook_secret else None,
                reports=reports, retention=Retention(outcomes, settings, clock))
    bolt = AsyncApp(
        client=interactive.client,
        signing_secret=(settings.slack_signing_secret.get_secret_value()
                        if settings.slack_signing_secret else None),
        logger=logging.getLogger("slack_bolt"),
        process_before_response=True,
    )
    bolt.use(provide(desk))
    for surface in (events, commands, views, actions, home, csat, errors):
        surface.register(bolt)
    worker = Worker(queue, deps, clock)
    return Runtime(settings, redis, clock, store, queue, interactive, desk, bolt, worker, http)


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
    """The ``/metrics`` handler: this process's metrics and its peers', as one. The queue's
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
