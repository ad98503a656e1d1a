"""The command line: ``serve`` (default), ``worker``, ``check``, ``clients``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.directory import member_from
from bot.adapters.embedded_redis import EmbeddedRedisError, embedded_redis
from bot.adapters.queue import JobQueue
from bot.adapters.slack import Retryable, Slack, Undeliverable, slack_call
from bot.adapters.store import Store
from bot.bootstrap import (
    Runtime,
    http_app,
    metrics_app,
    open_runtime,
    redis_client,
    web_client,
)
from bot.config import CHANNEL_ID, USER_ID, ConfigError, Settings, load_settings
from bot.domain.staff import Member
from bot.domain.text import clean_line
from bot.domain.tickets import Client, ticket_key
from bot.logs import configure as configure_logging
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
        async with metrics_served(settings.metrics_port):
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
    async with open_runtime(settings, url) as runtime, metrics_served(settings.metrics_port):
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await runtime.redis.ping()
        await runtime.worker.run(stop)


@contextlib.asynccontextmanager
async def metrics_served(port: int | None) -> AsyncIterator[None]:
    """``GET /metrics`` on ``METRICS_PORT`` (for a process that serves no HTTP of its own)."""
    if port is None:
        yield
        return
    runner = web.AppRunner(metrics_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    log.info("metrics on http://0.0.0.0:%d/metrics", port)
    try:
        yield
    finally:
        await runner.cleanup()


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

    def line(name: str, state: str, good: bool = True, warn: bool = False) -> None:
        nonlocal ok
        ok = ok and good
        print(f"  {'ERR' if not good else 'WRN' if warn else 'ok '} {name:<22} {state}")

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
    registered: list[Client] | None = None
    try:
        redis = redis_client(url)
        info = await redis.info("server")
        line("reach", f"{without_password(url)} (Redis {info.get('redis_version')})")
        registered = await Store(redis).clients()
        await redis.aclose()
    except (RedisError, OSError) as exc:
        line("reach", f"{without_password(url)}: {type(exc).__name__}", good=False)
    if settings.slack_bot_token is None:
        return False
    print("Slack")
    async with aiohttp.ClientSession() as http:
        return await check_slack(settings, Slack(web_client(settings, http, interactive=True)),
                                 line, registered) and ok


async def check_slack(settings: Settings, slack: Slack, line: Callable[..., None],
                      registered: Sequence[Client] | None = None) -> bool:
    ok = True

    def failed(name: str, state: str) -> None:
        nonlocal ok
        ok = False
        line(name, state, good=False)

    try:
        auth = await slack_call(slack.client.auth_test())
        line("auth.test", f"team {auth.get('team_id')}, bot user {auth.get('user_id')}")
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
    ok = check_scopes(auth, line) and ok
    return await check_people(settings, slack, registered or [], line) and ok


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
    await require_account_manager(runtime.slack, account_manager)
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


# -- check: the clients, the head of support, the scopes -------------------------------

PATIENCE = 60.0
"""How long a check waits out Slack's rate limits (a desk with many clients meets them)."""
MANIFEST = "manifest.yml"


async def patient(call: Callable[[], Awaitable[AsyncSlackResponse]]) -> AsyncSlackResponse:
    """A Slack call, retried after Slack's Retry-After for up to ``PATIENCE``."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            return await slack_call(call())
        except Retryable as exc:
            wait = exc.retry_after or 1.0
            if not exc.rate_limited or time.monotonic() + wait > deadline:
                raise
            await asyncio.sleep(wait)


async def person(slack: Slack, user: str) -> Member | None:
    """``users.info``: the person, or None when Slack knows no such user."""
    try:
        r = await patient(lambda: slack.client.users_info(user=user))
    except Undeliverable as exc:
        if exc.error == "user_not_found":
            return None
        raise
    return member_from(dict(r["user"]))


def unfit(user: str, member: Member | None) -> str | None:
    """Why ``user`` cannot be someone the desk tells things to (None: they can)."""
    if member is None:
        return f"{user} does not exist in Slack (user_not_found)"
    who = f"{user} ({clean_line(member.name)[:NAME_MAX]})" if clean_line(member.name) else user
    if member.deleted:
        return f"{who} is deactivated"
    if member.is_bot:
        return f"{who} is a bot, not a person"
    return None


async def require_account_manager(slack: Slack, user: str) -> None:
    """``clients set``: the account manager must be an active person in Slack."""
    try:
        problem = unfit(user, await person(slack, user))
    except Undeliverable as exc:
        raise Failure(f"Slack refused to look up the account manager {user} (users.info: "
                      f"{exc.error}). Nothing was saved.") from exc
    except Retryable as exc:
        raise Failure(f"Slack is not answering ({exc}); nothing was saved. Try again.") from exc
    if problem:
        raise Failure(f"--account-manager {problem}: the account manager must be an active "
                      "person in Slack. Nothing was saved and no welcome message was posted.")


def manifest_path() -> Path | None:
    for where in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (where / MANIFEST).is_file():
            return where / MANIFEST
    return None


def manifest_scopes(path: Path) -> list[str]:
    """The manifest's ``oauth_config.scopes.bot``, read line by line (no YAML library): a
    block list (``- scope  # comment``) or a flow list (``bot: [a, b]``)."""
    want = ["oauth_config", "scopes", "bot"]
    stack: list[tuple[int, str]] = []
    scopes: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip())
        text = text.strip()
        if text == "-" or text.startswith("- "):
            while stack and stack[-1][0] > indent:
                stack.pop()
            if [key for _, key in stack] == want:
                scopes.append(text[1:].strip().strip("'\""))
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key, _, value = text.partition(":")
        stack.append((indent, key.strip().strip("'\"")))
        value = value.strip()
        if [k for _, k in stack] == want and value.startswith("["):
            scopes.extend(s.strip().strip("'\"") for s in value.strip("[]").split(",")
                          if s.strip())
    return scopes


def granted_scopes(response: AsyncSlackResponse) -> set[str] | None:
    """The scopes Slack says the token has (the ``x-oauth-scopes`` header); None if unsaid."""
    for name, value in (response.headers or {}).items():
        if str(name).lower() == "x-oauth-scopes":
            return {s.strip() for s in str(value).split(",") if s.strip()}
    return None


def check_scopes(auth: AsyncSlackResponse, line: Callable[..., None]) -> bool:
    path = manifest_path()
    if path is None:
        line("scopes", f"{MANIFEST} not found here: the scopes are not checked", warn=True)
        return True
    wanted = manifest_scopes(path)
    granted = granted_scopes(auth)
    if granted is None:
        line("scopes", "Slack did not say which scopes are granted (no x-oauth-scopes "
             "header): not checked", warn=True)
        return True
    missing = [s for s in wanted if s not in granted]
    if missing:
        line("scopes", f"missing {', '.join(missing)}: add them to the app (OAuth & "
             f"Permissions, or from {MANIFEST}) and reinstall it", good=False)
        return False
    line("scopes", f"the {len(wanted)} bot scopes of {MANIFEST} are granted")
    return True


async def check_people(settings: Settings, slack: Slack, registered: Sequence[Client],
                       line: Callable[..., None]) -> bool:
    """The head of support, then each client: channel, sharing, account manager, plan, pin."""
    ok = True
    people: dict[str, str | None] = {}

    async def problem_with(user: str) -> str | None:
        if user not in people:
            try:
                people[user] = unfit(user, await person(slack, user))
            except (Retryable, Undeliverable) as exc:
                people[user] = f"{user}: users.info: {exc}"
        return people[user]

    def result(name: str, state: str, good: bool = True, warn: bool = False) -> None:
        nonlocal ok
        ok = ok and good
        line(name, state, good=good, warn=warn)

    if settings.support_lead:
        problem = await problem_with(settings.support_lead)
        result("SUPPORT_LEAD", problem or f"{settings.support_lead} is active",
               good=problem is None)
    else:
        result("SUPPORT_LEAD", "not set: breaches are not sent to a head of support",
               warn=True)
    plans = settings.plan_table
    for client in registered:
        print(f"Client {clean_line(client.name)} ({client.channel})")
        member = False
        try:
            r = await patient(partial(slack.client.conversations_info, channel=client.channel))
            info = r["channel"]
            name = f"#{info.get('name')}"
            member = bool(info.get("is_member"))
            result("channel", name if member else f"{name}: the app is not a member; invite "
                   "it (/invite @app)", good=member)
            if info.get("is_ext_shared"):
                result("shared", "shared with another organisation (Slack Connect)")
            else:
                result("shared", "not shared with another organisation: fine if the "
                       "client's people are guests here", warn=True)
        except (Retryable, Undeliverable) as exc:
            result("channel", f"{client.channel}: {exc}", good=False)
        if client.account_manager:
            problem = await problem_with(client.account_manager)
            result("account manager", f"{problem}: name an active person with clients set "
                   f"--channel {client.channel} --account-manager U.."
                   if problem else f"{client.account_manager} is active", good=problem is None)
        else:
            result("account manager", "none: warnings go to the assignee only", warn=True)
        if client.plan in plans:
            result("plan", client.plan)
        else:
            result("plan", f"{client.plan!r} is not a plan; known: "
                   f"{', '.join(sorted(plans))} (PLANS)", good=False)
        await check_welcome(slack, client, result)
    return ok


async def check_welcome(slack: Slack, client: Client, result: Callable[..., None]) -> None:
    again = f"run clients set --channel {client.channel} ... again"
    if client.welcome_ts is None:
        result("welcome message", f"never posted: {again}", good=False)
        return
    try:
        r = await patient(lambda: slack.client.pins_list(channel=client.channel))
    except Undeliverable as exc:
        if exc.error == "missing_scope":
            result("welcome message", "cannot see the pins: pins.list needs the pins:read "
                   "scope; not checked", warn=True)
        else:
            result("welcome message", f"pins.list: {exc.error}", good=False)
        return
    except Retryable as exc:
        result("welcome message", f"pins.list: {exc}", good=False)
        return
    pinned = {str((item.get("message") or {}).get("ts")) for item in r.get("items") or []}
    if client.welcome_ts in pinned:
        result("welcome message", "pinned")
    else:
        result("welcome message", f"not pinned (or deleted): pin it, or {again}", good=False)


# -- dead letters -----------------------------------------------------------------------

_TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
_URL_PASSWORD = re.compile(r"(://[^/\s:@]*:)[^@\s/]+@")


def shown(error: str, limit: int = 300) -> str:
    """An error fit to print: one line, no token or password in it."""
    text = _URL_PASSWORD.sub(r"\1***@", _TOKEN.sub(r"\1-***", clean_line(error)))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def dead_letters(url: str, args: argparse.Namespace) -> None:
    """``dead-letters [list | retry ID | drop ID]``: the jobs that failed for good."""
    redis = redis_client(url)
    try:
        queue = JobQueue(redis)
        action = args.action or "list"
        if action == "list":
            letters = await queue.dead_letter_list()
            if not letters:
                print("No dead letters.")
            for d in letters:
                ticket = ticket_key(d.ticket) if d.ticket else "-"
                print(f"{d.id}  {ticket}  {d.kind}  attempts={d.attempts}  "
                      f"dead since {when(d.at_ms)}  error: {shown(d.error) or '-'}")
        elif action == "retry":
            outcome = await queue.revive(args.id)
            if outcome == "unknown":
                raise Failure(f"No dead letter has the id {args.id!r}; python -m bot "
                              "dead-letters lists them.")
            if outcome == "empty":
                raise Failure(f"The dead letter {args.id} kept no job to run again; drop it: "
                              f"python -m bot dead-letters drop {args.id}")
            print(f"{args.id} is back in the queue, due now with its attempts reset; the "
                  "next worker to look runs it.")
        elif not await queue.drop(args.id):
            raise Failure(f"No dead letter has the id {args.id!r}; python -m bot dead-letters "
                          "lists them.")
        else:
            print(f"Dropped the dead letter {args.id}.")
    finally:
        await redis.aclose()


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
                asyncio.run(dead_letters(url, args))
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
