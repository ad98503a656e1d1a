"""The one composition root: settings -> clients -> services -> the Bolt app and the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial

import aiohttp
from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

import bot.delivery.assignment
import bot.delivery.email
import bot.delivery.home
import bot.delivery.outbox
import bot.delivery.posts
import bot.delivery.reminders
import bot.delivery.reports
import bot.delivery.watch
import handlers
from bot.adapters.channel_names import SlackChannelNames
from bot.adapters.client_cache import HEALTH_CHECK, ClientCache
from bot.adapters.connection import RedisClient, subscriber_client
from bot.adapters.connection import redis_client as connect
from bot.adapters.directory import SlackDirectory
from bot.adapters.home_viewers import RedisHomeViewers
from bot.adapters.hooks import Pager, Webhook
from bot.adapters.index import Index
from bot.adapters.keys import Layout
from bot.adapters.mail import Mailer
from bot.adapters.metrics import ticket_opened
from bot.adapters.outcomes import Outcomes
from bot.adapters.queue import JobQueue
from bot.adapters.redis_time import RedisTime
from bot.adapters.roster import RedisRoster
from bot.adapters.slack import Slack, sdk_logger
from bot.adapters.store import Store
from bot.config import Settings
from bot.config.assignment import parse_away, parse_reassign_after, parse_rule, parse_shifts
from bot.delivery.job_run import DeliveryConfig, Deps
from bot.delivery.mailbox import MailboxReader, MailboxSource, imap_mailbox
from bot.delivery.outage import Outages
from bot.delivery.registry import Registry
from bot.delivery.worker import MAX_IDLE, Worker
from bot.domain.assignment import Rule
from bot.services.assignment import Assignments, AutoSettings
from bot.services.changes import Changes
from bot.services.channels import Channels
from bot.services.csat import Ratings
from bot.services.email_intake import EmailIntake
from bot.services.home import Homes
from bot.services.plans import Plans
from bot.services.ports import ClientBook, Directory, FileStash
from bot.services.queries import Queries
from bot.services.reminders import Reminders
from bot.services.reports import Reports
from bot.services.retention import Retention
from bot.services.sinks import Sinks
from bot.services.staff import StaffCheck
from bot.services.sweep import Sweeper
from bot.services.tickets import Tickets
from bot.services.watch import Watcher
from bot.slack_ui.words import Words, words_for
from handlers.desk import Desk, provide

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


class _Without(logging.Filter):
    """Drops the log records of one message."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


def redis_client(settings: Settings, url: str) -> RedisClient:
    """The client of the desk's Redis: one server, or a cluster with ``REDIS_CLUSTER``."""
    return connect(url, cluster=settings.redis_cluster, timeout=REDIS_TIMEOUT,
                   max_connections=settings.redis_max_connections)


def layout(settings: Settings) -> Layout:
    return Layout(settings.partitions)


@dataclass
class Runtime:
    settings: Settings
    redis: RedisClient
    clock: RedisTime
    store: Store
    queue: JobQueue
    slack: Slack
    """The Slack client of people-facing calls (the CLI's too)."""
    desk: Desk
    bolt: AsyncApp
    worker: Worker
    http: aiohttp.ClientSession
    plans: Plans
    changes: Changes
    reminders: Reminders
    mailbox: MailboxReader | None = None
    """The support mailbox's reader (with ``IMAP_URL``, or the mailbox ``open_runtime``
    was given), run beside the worker."""
    metrics_peers: list[str] = field(default_factory=list)
    """``/metrics`` of this desk's other processes on this host (``serve``'s timer loop),
    merged into this one's."""


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, redis_url: str, clock: RedisTime | None = None,
                       mailbox: MailboxSource | None = None) -> AsyncIterator[Runtime]:
    """Build the desk on one Redis client and one HTTP connection pool; close them after.
    ``mailbox``: the support mailbox to read (None: the one at ``IMAP_URL``, if set)."""
    redis = redis_client(settings, redis_url)
    clock = clock or RedisTime()
    # One pool for every Slack call (slack-sdk opens a session per call otherwise: a TCP
    # handshake each time). This is also why no listener is lazy: Bolt deep-copies the
    # client for each lazy listener.
    http = aiohttp.ClientSession()
    try:
        runtime = build(settings, redis, clock, http, mailbox)
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


async def words_in(store: ClientBook, language: str, channel: str | None) -> Words:
    """What is said in ``channel``: its client's language, else ``language``; outside
    any channel (None), ``language``."""
    client = await store.client(channel) if channel else None
    return words_for(client.language if client and client.language else language)


def build(settings: Settings, redis: RedisClient, clock: RedisTime, http: aiohttp.ClientSession,
          mailbox: MailboxSource | None = None) -> Runtime:
    keys = layout(settings)
    store = Store(redis, clock.shift_ms, keys, thread_ttl=settings.retain_days * 86_400)
    outcomes = Outcomes(redis, keys, clock.shift_ms)
    queue = JobQueue(redis, lease_seconds=settings.job_lease_seconds, shift_ms=clock.shift_ms,
                     layout=keys)
    interactive = Slack(web_client(settings, http, interactive=True))
    worker_slack = Slack(web_client(settings, http, interactive=False))
    warn_at, listed = settings.warn_at, settings.support_team_ids
    plans = Plans(store, settings.plan_table)
    auto = auto_settings(settings)
    changes = Changes(store, plans, warn_at, clock)
    people = SlackDirectory(interactive, settings.support_usergroup)
    staff = StaffCheck(people, listed)
    sinks = Sinks(webhook=settings.webhook_url is not None,
                  pager=settings.pagerduty_routing_key is not None)
    reminders = Reminders(store, plans, sinks, warn_at=warn_at, support_lead=settings.support_lead,
                          breach_email_to=settings.support_lead_email if settings.smtp_url
                          else None)
    index, viewers = Index(redis, keys), RedisHomeViewers(redis)
    reports = Reports(store, plans, staff, outcomes, clock, SlackChannelNames(interactive))
    tickets = Tickets(changes, store, plans, staff, sinks, clock, warn_at=warn_at,
                      intake_limit=settings.intake_limit,
                      claim_is_response=settings.claim_is_response,
                      reopen_days=settings.reopen_days, cards=interactive,
                      count_opened=ticket_opened,
                      auto_assign=auto.rule is not Rule.NONE)
    roster = RedisRoster(redis, index)
    desk = Desk(tickets, Queries(store, plans, staff, index, clock, settings.triage_channel),
                Homes(store, plans, staff, index, viewers, clock, warn_at), reports,
                Ratings(changes, store, plans, clock), Channels(changes, store, outcomes),
                once=store, prefills=store, identity=interactive.identity,
                tell=lambda user, text: interactive.post(user, text),
                words=partial(words_in, store, settings.language),
                staff_words=words_for(settings.language),
                assignments=Assignments(changes, store, staff, people, people, roster, sinks,
                                        clock, auto, listed),
                watcher=Watcher(tickets, changes, store, plans, staff, clock,
                                group_minutes=settings.group_minutes))
    directory = SlackDirectory(worker_slack, settings.support_usergroup)
    assigner = Assignments(changes, store, StaffCheck(directory, listed), directory, directory,
                           roster, sinks, clock, auto, listed)
    worker_homes = Homes(store, plans, StaffCheck(directory, listed), index, viewers, clock,
                         warn_at)
    mailer = mailer_of(settings)
    registry = delivery_registry(settings, http, changes, directory, reminders, worker_homes,
                                 viewers, reports, assigner, store, mailer)
    probes = {"slack": worker_slack.answers, **({"smtp": mailer.answers} if mailer else {})}
    deps = Deps(DeliveryConfig(settings.triage_channel, settings.engineering_channel,
                               settings.reopen_days, settings.language),
                store, worker_slack, plans, clock)
    bolt_log = logging.getLogger("slack_bolt")
    # Bolt reads SLACK_BOT_TOKEN from the environment too, where the desk's settings have it,
    # and warns that it is unused beside the client it is given: the client has that token.
    unused = _Without(warning_client_prioritized_and_token_skipped())
    bolt_log.addFilter(unused)
    try:
        bolt = AsyncApp(
            client=interactive.client,
            signing_secret=(settings.slack_signing_secret.get_secret_value()
                            if settings.slack_signing_secret else None),
            logger=bolt_log,
            process_before_response=True,
        )
    finally:
        bolt_log.removeFilter(unused)
    bolt.use(provide(desk))
    handlers.register(bolt, words_for(settings.language))
    worker = Worker(queue, registry, deps, clock, Sweeper(store, plans, warn_at, clock,
                                                         auto.rule is not Rule.NONE,
                                                         auto.reassign_after),
                    reports=reports, retention=Retention(
                        outcomes, clock, archive_after_days=settings.archive_after_days,
                        retain_days=settings.retain_days), outages=Outages(queue, probes))
    address = settings.mailbox
    source = mailbox or (imap_mailbox(address) if address else None)
    reader = MailboxReader(source, EmailIntake(
        tickets, changes, store, plans, clock, store, store,
        support_email=settings.support_email or "",
        reopen_days=settings.reopen_days), store,
        lease=max(settings.job_lease_seconds, 1.0)) if source else None
    return Runtime(settings, redis, clock, store, queue, interactive, desk, bolt, worker, http,
                   plans, changes, reminders, reader)


def mailer_of(settings: Settings) -> Mailer | None:
    """The SMTP client (with ``SMTP_URL``)."""
    return (Mailer(settings.smtp_url.get_secret_value(),
                   settings.email_from or "support-desk@localhost")
            if settings.smtp_url else None)


def auto_settings(settings: Settings) -> AutoSettings:
    """``ASSIGNMENT``, ``SHIFTS``, ``AWAY_EMOJI`` and ``REASSIGN_AFTER``, read."""
    return AutoSettings(parse_rule(settings.assignment, settings.support_team),
                        parse_shifts(settings.shifts, settings.calendars),
                        parse_away(settings.away_emoji),
                        parse_reassign_after(settings.reassign_after))


def delivery_registry(settings: Settings, http: aiohttp.ClientSession, changes: Changes,
                      directory: Directory, reminders: Reminders, homes: Homes,
                      viewers: RedisHomeViewers, reports: Reports, assigner: Assignments,
                      files: FileStash, mailer: Mailer | None) -> Registry:
    """Each job kind's effect handler, module by module, bound to what it uses; and what
    a job's failing for good leads to, beside its handler."""
    pager = (Pager(http, settings.pagerduty_routing_key.get_secret_value(),
                   settings.pagerduty_url) if settings.pagerduty_routing_key else None)
    webhook = (Webhook(http, settings.webhook_url, settings.webhook_secret.get_secret_value())
               if settings.webhook_url and settings.webhook_secret else None)
    registry = Registry()
    registry.add(bot.delivery.posts.handlers(changes, directory),
                 bot.delivery.posts.CONSEQUENCES)
    registry.add(bot.delivery.reminders.handlers(reminders, mailer),
                 bot.delivery.reminders.CONSEQUENCES)
    registry.add(bot.delivery.outbox.handlers(pager, webhook), bot.delivery.outbox.CONSEQUENCES)
    registry.add(bot.delivery.home.handlers(homes, viewers))
    registry.add(bot.delivery.reports.handlers(reports))
    registry.add(bot.delivery.watch.handlers(), bot.delivery.watch.CONSEQUENCES)
    registry.add(bot.delivery.assignment.handlers(assigner), bot.delivery.assignment.CONSEQUENCES)
    registry.add(bot.delivery.email.handlers(changes, directory, mailer, settings.support_email,
                                             settings.triage_channel, files),
                 bot.delivery.email.CONSEQUENCES)
    return registry
