"""The command line: ``serve`` (default), ``worker``, ``check``, ``clients``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.adapters.embedded_redis import EmbeddedRedisError, embedded_redis
from bot.adapters.slack import Retryable, Slack, Undeliverable, slack_call
from bot.bootstrap import Runtime, http_app, open_runtime, redis_client, web_client
from bot.config import CHANNEL_ID, USER_ID, ConfigError, Settings, load_settings
from bot.domain.text import clean_line
from bot.domain.tickets import Client
from bot.slack_ui.messages import welcome_message

log = logging.getLogger("bot")


NAME_MAX = 100
PHONE_MAX = 40


class Failure(Exception):
    """Stops the command with this message and exit code 1."""


@contextlib.contextmanager
def redis_url(settings: Settings) -> Iterator[str]:
    if settings.redis_url:
        yield settings.redis_url
    else:
        with embedded_redis(settings.data_dir) as url:
            yield url


def require(settings: Settings, command: str) -> None:
    missing = settings.missing_for(command)
    if missing:
        raise ConfigError("Cannot start: Slack credentials are not configured.\n"
                          + "\n".join(f"- {m}" for m in missing)
                          + "\nSee README.md, 'Create the Slack app'.")


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def serve(settings: Settings, url: str, *, with_worker: bool) -> None:
    async with open_runtime(settings, url) as runtime:
        await serving(runtime, with_worker=with_worker)


async def serving(runtime: Runtime, *, with_worker: bool) -> None:
    settings = runtime.settings
    stop = asyncio.Event()
    _stop_on_signals(stop)
    await runtime.redis.ping()
    worker = asyncio.create_task(runtime.worker.run(stop)) if with_worker else None
    if settings.socket_mode and settings.slack_app_token:
        handler = AsyncSocketModeHandler(runtime.bolt, settings.slack_app_token.get_secret_value())
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("serving Slack over Socket Mode%s", " with the timer loop" if worker else "")
        await stop.wait()
        await handler.close_async()  # type: ignore[no-untyped-call]
    else:
        runner = web.AppRunner(http_app(runtime), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", settings.port).start()
        log.info("serving Slack on http://0.0.0.0:%d/slack/events%s", settings.port,
                 " with the timer loop" if worker else "")
        await stop.wait()
        await runner.cleanup()
    if worker:
        await worker


async def work(settings: Settings, url: str) -> None:
    async with open_runtime(settings, url) as runtime:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await runtime.redis.ping()
        await runtime.worker.run(stop)


def without_password(url: str) -> str:
    """A URL fit to print: any password in it replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


async def check(settings: Settings, url: str) -> bool:
    """Print each setting's state and reach Redis and Slack; False on any failure."""
    ok = True

    def line(name: str, state: str, good: bool = True) -> None:
        nonlocal ok
        ok = ok and good
        print(f"  {'ok ' if good else 'ERR'} {name:<22} {state}")

    print("Settings")
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        shown = ("set" if value is not None else "not set") if "token" in name or name in (
            "slack_signing_secret", "smtp_url") else (value if value not in (None, "") else
                                                       f"not set (default {field.default})")
        if name == "redis_url" and value:
            shown = without_password(str(value))
        line(name.upper(), str(shown))
    for problem in settings.missing_for("check"):
        line("missing", problem, good=False)
    if not settings.smtp_url or not settings.support_lead_email:
        line("email", "SMTP_URL or SUPPORT_LEAD_EMAIL not set: breaches are not emailed")
    print("Redis")
    try:
        redis = redis_client(url)
        info = await redis.info("server")
        line("reach", f"{without_password(url)} (Redis {info.get('redis_version')})")
        await redis.aclose()
    except (RedisError, OSError) as exc:
        line("reach", f"{without_password(url)}: {type(exc).__name__}", good=False)
    if settings.slack_bot_token is None:
        return False
    print("Slack")
    async with aiohttp.ClientSession() as http:
        return await check_slack(settings, Slack(web_client(settings, http, interactive=True)),
                                 line) and ok


async def check_slack(settings: Settings, slack: Slack, line: Callable[..., None]) -> bool:
    ok = True

    def failed(name: str, state: str) -> None:
        nonlocal ok
        ok = False
        line(name, state, good=False)

    try:
        identity = await slack.identity()
        line("auth.test", f"team {identity.team_id}, bot user {identity.bot_user_id}")
    except (Retryable, Undeliverable) as exc:
        failed("auth.test", f"{settings.slack_api_url}: {exc}")
        return False
    if settings.slack_app_token:
        try:
            await slack_call(slack.client.apps_connections_open(
                app_token=settings.slack_app_token.get_secret_value()))
            line("SLACK_APP_TOKEN", "Socket Mode connection allowed")
        except (Retryable, Undeliverable) as exc:
            failed("SLACK_APP_TOKEN", f"apps.connections.open: {exc}")
    for name, channel in (("TRIAGE_CHANNEL", settings.triage_channel),
                          ("ENGINEERING_CHANNEL", settings.engineering_channel)):
        if channel is None:
            continue
        try:
            r = await slack_call(slack.client.conversations_info(channel=channel))
            if r["channel"].get("is_member"):
                line(name, f"#{r['channel'].get('name')}")
            else:
                failed(name, f"#{r['channel'].get('name')}: the app is not a member; invite "
                       "it (/invite @app)")
        except (Retryable, Undeliverable) as exc:
            failed(name, f"{channel}: {exc}")
    return ok


async def clients(settings: Settings, url: str, args: argparse.Namespace) -> None:
    async with open_runtime(settings, url) as runtime:
        store = runtime.store
        if args.action == "list":
            listed = await store.clients()
            if not listed:
                print("No clients yet: python -m bot clients set --channel C.. --name NAME "
                      "--account-manager U..")
            for c in listed:
                print(f"{c.channel}  {c.name}  plan={c.plan}  account_manager="
                      f"{c.account_manager or '-'}  phone={c.phone or '-'}")
        elif args.action == "remove":
            if not await store.remove_client(args.channel):
                raise Failure(f"No client is registered for channel {args.channel}.")
            print(f"Removed the client of {args.channel}; its open tickets keep their data.")
        else:
            await set_client(runtime, channel=args.channel, name=args.name,
                             account_manager=args.account_manager, plan=args.plan,
                             phone=args.phone)


async def set_client(runtime: Runtime, *, channel: str, name: str, account_manager: str,
                     plan: str = "standard", phone: str | None = None) -> None:
    """``clients set``: register or update a client channel, with its welcome message."""
    settings, store = runtime.settings, runtime.store
    problems = []
    if not CHANNEL_ID.match(channel):
        problems.append(f"--channel {channel!r} is not a channel ID (C0123ABCD)")
    if not USER_ID.match(account_manager):
        problems.append(f"--account-manager {account_manager!r} is not a user ID (U0123ABCD)")
    if len(clean_line(name)) > NAME_MAX or not clean_line(name):
        problems.append(f"--name must be 1 to {NAME_MAX} characters (it has "
                        f"{len(clean_line(name))})")
    if phone and len(clean_line(phone)) > PHONE_MAX:
        problems.append(f"--phone must be at most {PHONE_MAX} characters")
    if plan not in settings.plan_table:
        problems.append(f"--plan {plan!r} is not a plan; known: "
                        f"{', '.join(sorted(settings.plan_table))} (add plans with PLANS)")
    if problems:
        raise Failure("\n".join(problems))
    previous = await store.client(channel)
    client = Client(channel=channel, name=clean_line(name), plan=plan,
                    account_manager=account_manager, phone=clean_line(phone) if phone else None,
                    welcome_ts=previous.welcome_ts if previous else None)
    slack = runtime.slack
    text, body = welcome_message(client)
    try:
        ts = client.welcome_ts
        if ts:
            try:
                await slack.update(client.channel, ts, text, body)
            except Undeliverable as exc:
                if exc.error != "message_not_found":
                    raise
                ts = None
        if ts is None:
            ts = await slack.post(client.channel, text, body)
            # Saved before pinning: a pin that fails must not make a rerun post a second one.
            await store.put_client(replace(client, welcome_ts=ts))
        await pin(slack, client.channel, ts)
    except Undeliverable as exc:
        hint = (" Invite the app to the channel first (/invite @app)."
                if exc.error in ("not_in_channel", "channel_not_found") else "")
        raise Failure(f"Slack refused the welcome message in {client.channel}: "
                      f"{exc.error}.{hint} Nothing was saved.") from exc
    except Retryable as exc:
        raise Failure(f"Slack is not answering ({exc}); nothing was saved. Try again.") from exc
    await store.put_client(replace(client, welcome_ts=ts))
    print(f"{'Updated' if previous else 'Registered'} {client.name} in {client.channel} "
          f"(plan {client.plan}, account manager {client.account_manager}); welcome message "
          f"{'updated' if previous and previous.welcome_ts == ts else 'posted and pinned'}.")
    if previous and (previous.plan, previous.account_manager) != (
            client.plan, client.account_manager):
        moved = await runtime.desk.sweeper.follow_plan(client.channel)
        print(f"{moved} open ticket(s) of {client.name} now follow plan {client.plan}.")


async def pin(slack: Slack, channel: str, ts: str) -> None:
    try:
        await slack_call(slack.client.pins_add(channel=channel, timestamp=ts))
    except Undeliverable as exc:
        if exc.error != "already_pinned":
            print(f"Could not pin the welcome message ({exc}); pin it by hand, or run this "
                  "again.", file=sys.stderr)
    except Retryable as exc:
        print(f"Could not pin the welcome message ({exc}); pin it by hand, or run this again.",
              file=sys.stderr)


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
    c.add_parser("list", help="list the clients")
    cr = c.add_parser("remove", help="unregister a client channel")
    cr.add_argument("--channel", required=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "serve"
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        if command in ("serve", "worker") or (command == "clients" and args.action == "set"):
            require(settings, command)
        with redis_url(settings) as url:
            if command == "serve":
                asyncio.run(serve(settings, url, with_worker=not args.no_worker))
            elif command == "worker":
                asyncio.run(work(settings, url))
            elif command == "check":
                return 0 if asyncio.run(check(settings, url)) else 1
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
