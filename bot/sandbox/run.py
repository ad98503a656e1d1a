"""``python -m bot sandbox``: the real bot, offline, and a page that plays Slack.

It starts the embedded Redis (its own ``DATA_DIR`` under the sandbox folder, emptied at
each start: the stand-in keeps its messages in memory, so a demo starts afresh), an SMTP
inbox and the Slack stand-in, all on loopback, and the support mailbox in memory; then the
bot as ``serve`` runs it (HTTP at ``/slack/events``, the worker and the mailbox's reader),
registers the demo clients as ``clients set`` does, has them write their first messages
(each opens a ticket, as in Slack) and serves the page. Ctrl-C stops everything, the Redis
server too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapters.embedded_redis import embedded_redis, running_in
from bot.bootstrap import Runtime, open_runtime
from bot.cli.clients import set_client
from bot.cli.worker_child import loopback_port
from bot.sandbox.inbox import Inbox
from bot.sandbox.mailbox import Mailboxes, MemoryMailbox
from bot.sandbox.page import Page
from bot.sandbox.people import People
from bot.sandbox.settings import SANDBOX_TOKEN, sandbox_settings
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import SlackStandIn
from bot.sandbox.workspace import (
    ACCOUNT_MANAGER,
    CLIENT,
    CLIENT_CHANNEL,
    CLIENT_DOMAIN,
    CLIENT_NAME,
    CLIENT_PHONE,
    FIRST_MESSAGE,
    ROSSI,
    ROSSI_CHANNEL,
    ROSSI_DOMAIN,
    ROSSI_MESSAGE,
    ROSSI_NAME,
    WORKSPACE_NAME,
    seed,
)
from bot.web import http_app

log = logging.getLogger(__name__)


class SandboxError(Exception):
    """The sandbox cannot start; the message says why and what to do."""


@contextlib.asynccontextmanager
async def served(app: web.Application, port: int) -> AsyncIterator[None]:
    """``app`` on ``127.0.0.1:port`` (loopback only: nobody else can reach the sandbox)."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    except OSError as exc:
        await runner.cleanup()
        raise SandboxError(f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}): another "
                           "program uses it; choose another with --port.") from exc
    try:
        yield
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def fake_slack() -> AsyncIterator[tuple[SlackStandIn, Inbox]]:
    """The Slack stand-in with the demo workspace, and the mail inbox, on loopback."""
    slack = SlackStandIn(bot_token=SANDBOX_TOKEN, team_name=WORKSPACE_NAME,
                         strict_triggers=True)
    seed(slack)
    inbox = Inbox()
    await slack.start()
    await inbox.start()
    try:
        yield slack, inbox
    finally:
        await inbox.stop()
        await slack.stop()


async def set_the_scene(runtime: Runtime) -> None:
    """A fresh demo: an empty Redis, the clients registered (watched, as new clients are;
    each with its email domain)."""
    await runtime.redis.flushdb()
    await set_client(runtime, channel=CLIENT_CHANNEL, name=CLIENT_NAME,
                     account_manager=ACCOUNT_MANAGER.id, plan="standard", phone=CLIENT_PHONE,
                     email_domains=[CLIENT_DOMAIN])
    await set_client(runtime, channel=ROSSI_CHANNEL, name=ROSSI_NAME,
                     account_manager=ACCOUNT_MANAGER.id, plan="standard", language="it",
                     email_domains=[ROSSI_DOMAIN])


async def first_words(people: People) -> None:
    """The clients' first messages, written as in Slack: the desk gets each one's event and
    opens its ticket (the card in its thread, the post in triage, its clock running)."""
    await people.write(CLIENT, CLIENT_CHANNEL, FIRST_MESSAGE)
    await people.write(ROSSI, ROSSI_CHANNEL, ROSSI_MESSAGE)


async def run(port: int, data_dir: Path, plans: Mapping[str, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with fake_slack() as (slack, inbox):
        settings = sandbox_settings(api_url=slack.url, smtp_port=inbox.port,
                                    data_dir=data_dir / "data", plans=plans)
        secret = settings.slack_signing_secret
        assert secret is not None
        mailbox = MemoryMailbox()
        with embedded_redis(settings.data_dir) as redis_url:
            async with open_runtime(settings, redis_url, mailbox=mailbox.source) as runtime:
                await set_the_scene(runtime)
                bot_port = loopback_port()
                worker = asyncio.create_task(runtime.worker.run(stop))
                reader = runtime.mailbox
                assert reader is not None
                reading = asyncio.create_task(reader.run(stop))
                try:
                    async with served(http_app(runtime), bot_port), \
                            aiohttp.ClientSession() as session:
                        side = SlackClientSide(f"http://127.0.0.1:{bot_port}", session,
                                               secret=secret.get_secret_value())
                        people = People(slack, side, f"http://127.0.0.1:{port}/slack/respond")
                        page = Page(people, Mailboxes(inbox, mailbox), runtime.changes, port)
                        await first_words(people)
                        async with served(page.app(), port):
                            print(f"The sandbox is ready: open http://127.0.0.1:{port}/ "
                                  "(Ctrl-C stops it)", flush=True)
                            await stop.wait()
                            page.close()
                finally:
                    stop.set()
                    await worker
                    await reading
    log.info("the sandbox has stopped")


def sandbox(port: int, data_dir: Path, plans: Mapping[str, Any]) -> None:
    """Run the sandbox until Ctrl-C (or SIGTERM)."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's every SMTP line
    if running_in(data_dir / "data"):
        raise SandboxError(f"A sandbox is already running with its data in {data_dir}: stop "
                           "it first, or give this one another folder with --dir.")
    asyncio.run(run(port, data_dir, plans))
