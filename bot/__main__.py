"""The command line: ``serve`` (default), ``worker``, ``check``, ``clients``, ``sandbox``."""

from __future__ import annotations

import signal
import sys


def _stopped_while_starting(signum: int, frame: object) -> None:
    """A stop (SIGTERM) while the process is still loading: nothing is in flight yet, so it
    ends at once and cleanly, as a stop after start does. Installed before the imports
    below, which take seconds on a loaded machine; the running desk's own handlers replace
    it."""
    raise SystemExit(0)


signal.signal(signal.SIGTERM, _stopped_while_starting)

import argparse
import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Iterator, Sequence

from aiohttp import web
from redis.exceptions import RedisError
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.adapters.embedded_redis import EmbeddedRedisError, embedded_redis
from bot.bootstrap import Runtime, open_runtime
from bot.cli import Failure
from bot.cli.check import check
from bot.cli.clients import clients
from bot.cli.dead_letters import dead_letters
from bot.cli.worker_child import WorkerChild
from bot.config import ConfigError, Settings, load_settings
from bot.config.languages import available
from bot.logs import configure as configure_logging
from bot.sandbox.command import add_sandbox_parser, sandbox_command
from bot.web import http_app, metrics_app

log = logging.getLogger("bot")



@contextlib.contextmanager
def redis_url(settings: Settings) -> Iterator[str]:
    if settings.redis_url:
        yield settings.redis_url
    elif settings.redis_cluster:
        raise ConfigError("REDIS_CLUSTER=true needs REDIS_URL: the address of one of the "
                          "cluster's nodes (redis://host:port); the embedded Redis is one "
                          "server, not a cluster")
    else:
        with embedded_redis(settings.data_dir) as url:
            yield url


def require(settings: Settings, command: str) -> None:
    missing = settings.missing_for(command)
    if missing:
        raise ConfigError("Cannot start: Slack credentials are not configured.\n"
                          + "\n".join(f"- {m}" for m in missing)
                          + "\nSee README.md, 'Create the Slack app'."
                          + "\nTo try the desk first, without a Slack workspace: "
                          "./scripts/run sandbox (python -m bot sandbox).")


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def serve(settings: Settings, url: str, *, with_worker: bool) -> None:
    async with open_runtime(settings, url) as runtime:
        await serving(runtime, WorkerChild(url) if with_worker else None)


async def serving(runtime: Runtime, worker: WorkerChild | None) -> None:
    """Serve Slack until SIGTERM or SIGINT, with the timer loop in its own process."""
    settings = runtime.settings
    stop = asyncio.Event()
    _stop_on_signals(stop)
    await runtime.redis.ping()
    settle_heap()
    loop = None
    if worker is not None:
        runtime.metrics_peers.append(worker.metrics_url)
        loop = asyncio.create_task(worker.run(stop))
    also = " with the timer loop" if worker else ""
    if settings.socket_mode and settings.slack_app_token:
        handler = AsyncSocketModeHandler(runtime.bolt, settings.slack_app_token.get_secret_value())
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("serving Slack over Socket Mode%s", also)
        async with metrics_served(runtime):
            await stop.wait()
        await handler.close_async()  # type: ignore[no-untyped-call]
    else:
        runner = web.AppRunner(http_app(runtime), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", settings.port).start()
        log.info("serving Slack on http://0.0.0.0:%d/slack/events%s", settings.port, also)
        await stop.wait()
        await runner.cleanup()
    if loop:
        await loop


def settle_heap() -> None:
    """Keep what start-up built out of the collector's full passes.

    Everything built so far (modules, the app, its models) lives as long as the process;
    left in the collector's oldest generation, each full pass walks all of it and stalls
    every request in flight for tens of milliseconds."""
    gc.collect()
    gc.freeze()


async def work(settings: Settings, url: str) -> None:
    async with open_runtime(settings, url) as runtime, metrics_served(runtime):
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await runtime.redis.ping()
        settle_heap()
        mailbox = runtime.mailbox
        reading = asyncio.create_task(mailbox.run(stop)) if mailbox else None
        await runtime.worker.run(stop)
        if reading is not None:
            await reading


@contextlib.asynccontextmanager
async def metrics_served(runtime: Runtime) -> AsyncIterator[None]:
    """``GET /metrics`` on ``METRICS_PORT`` (for a process that serves no HTTP of its own)."""
    settings = runtime.settings
    if settings.metrics_port is None:
        yield
        return
    runner = web.AppRunner(metrics_app(runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.metrics_host, settings.metrics_port).start()
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)
    try:
        yield
    finally:
        await runner.cleanup()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="serve Slack (HTTP, or Socket Mode with SLACK_APP_TOKEN)")
    s.add_argument("--no-worker", action="store_true", help="do not run the timer loop here")
    sub.add_parser("worker", help="run the timer loop alone")
    sub.add_parser("check", help="validate the configuration and reach Redis and Slack")
    c = sub.add_parser("clients", help="register client channels").add_subparsers(
        dest="action", required=True)
    cs = c.add_parser("set", help="register or update a client channel")
    cs.add_argument("--channel", required=True)
    cs.add_argument("--name", required=True)
    cs.add_argument("--account-manager", required=True)
    cs.add_argument("--plan", default="standard")
    cs.add_argument("--phone")
    cs.add_argument("--language", help="what the client reads is in this language "
                    f"({', '.join(available())}; default: LANGUAGE)")
    cs.add_argument("--email-domain", action="append", dest="email_domains", metavar="DOMAIN",
                    help="senders of this domain write for this client by email (repeat for "
                    "more; the ones given replace the client's; --email-domain none: none)")
    cs.add_argument("--watch", choices=["messages", "tickets"],
                    help="messages: a client's plain message in the channel opens a ticket "
                         "(the default for a new client); tickets: only /ticket, the button, "
                         "the reaction and the shortcut do")
    c.add_parser("list", help="list the clients")
    cr = c.add_parser("remove", help="unregister a client channel")
    cr.add_argument("--channel", required=True)
    add_sandbox_parser(sub)
    d = sub.add_parser("dead-letters", help="list, retry or drop the jobs that failed for good "
                       "(list is the default)").add_subparsers(dest="action")
    d.add_parser("list", help="every dead letter, newest first")
    d.add_parser("retry", help="put a dead letter back in the queue, due now").add_argument(
        "id", help="the dead letter's id, as the list shows it")
    d.add_parser("drop", help="delete a dead letter").add_argument(
        "id", help="the dead letter's id, as the list shows it")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "serve"
    configure_logging()
    if command == "sandbox":
        return sandbox_command(args)
    try:
        settings = load_settings()
        configure_logging(settings.log_format)
        if command in ("serve", "worker") or (command == "clients" and args.action == "set"):
            require(settings, command)
        with redis_url(settings) as url:
            if command == "serve":
                asyncio.run(serve(settings, url, with_worker=not args.no_worker))
            elif command == "worker":
                asyncio.run(work(settings, url))
            elif command == "check":
                return 0 if asyncio.run(check(settings, url)) else 1
            elif command == "dead-letters":
                asyncio.run(dead_letters(settings, url, args))
            else:
                asyncio.run(clients(settings, url, args))
    except ConfigError as exc:
        print(f"Configuration error:\n{exc}", file=sys.stderr)
        return 2
    except (EmbeddedRedisError, Failure) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (RedisError, OSError) as exc:
        print(f"Cannot reach Redis: {exc}. Check REDIS_URL (or unset it to use the embedded "
              "Redis).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
