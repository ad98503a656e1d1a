"""``python -m bot check``: the settings, Redis, Slack, every registered client, the head
of support and the granted scopes; exits 1 on any failure."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from redis.exceptions import RedisError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.directory import member_from, patiently
from bot.adapters.imap import MailboxError, opened
from bot.adapters.slack import Retryable, Slack, Undeliverable, slack_call
from bot.adapters.store import Store
from bot.bootstrap import (
    layout,
    redis_client,
    web_client,
)
from bot.cli import NAME_MAX, Failure
from bot.config import Settings
from bot.config.assignment import parse_shifts
from bot.config.languages import available
from bot.domain.staff import Member, WhoUnknown
from bot.domain.text import clean_line
from bot.domain.tickets import Client

log = logging.getLogger("bot")


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
        elif name == "imap_url" and settings.imap_url is not None:
            shown = without_password(settings.imap_url.get_secret_value())
        line(name.upper(), str(shown))
    for problem in settings.missing_for("check"):
        line("missing", problem, good=False)
    line("languages", f"{', '.join(available())} (a catalog each, under bot/locale)")
    if not settings.smtp_url or not settings.support_lead_email:
        line("email", "SMTP_URL or SUPPORT_LEAD_EMAIL not set: breaches are not emailed")
    print("Redis")
    registered: list[Client] | None = None
    try:
        redis = redis_client(settings, url)
        info = await redis.info("server")
        line("reach", f"{without_password(url)} (Redis {info.get('redis_version')})")
        registered = await Store(redis, layout=layout(settings)).clients()
        await redis.aclose()
    except (RedisError, OSError) as exc:
        line("reach", f"{without_password(url)}: {type(exc).__name__}", good=False)
    ok = await check_mailbox(settings, line) and ok
    if settings.slack_bot_token is None:
        return False
    print("Slack")
    async with aiohttp.ClientSession() as http:
        return await check_slack(settings, Slack(web_client(settings, http, interactive=True)),
                                 line, registered) and ok


async def check_mailbox(settings: Settings, line: Callable[..., None]) -> bool:
    """Log in to the support mailbox (``IMAP_URL``) and say what is in it."""
    address = settings.mailbox
    print("Mailbox")
    if address is None:
        line("IMAP_URL", "not set: email to support is not read")
        return True
    try:
        async with opened(address) as box:
            unseen = await box.unseen()
            line("login", f"{address.where}: {box.exists} messages, {len(unseen)} unseen "
                 f"({box.secured}; waiting with {'IDLE' if box.idles else 'a poll'})")
    except (TimeoutError, MailboxError, OSError) as exc:
        line("login", f"{exc or type(exc).__name__}", good=False)
        return False
    if not settings.smtp_url:
        line("answers", "SMTP_URL not set: email senders get no acknowledgement or answers",
             warn=True)
    return True


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


PATIENCE = 60.0


async def patient(call: Callable[[], Awaitable[AsyncSlackResponse]]) -> AsyncSlackResponse:
    """A Slack call, retried on 429 and 5xx for up to ``PATIENCE`` (then Retryable)."""
    try:
        return await patiently(call, PATIENCE)
    except WhoUnknown as exc:
        raise Retryable(str(exc)) from exc
"""How long a check waits out Slack's rate limits (a desk with many clients meets them)."""
MANIFEST = "manifest.yml"


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
    """The head of support, the people given shifts, then each client: channel, sharing,
    account manager, plan, pin."""
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
    # Each person given a shift (the calendars they name were checked with the settings).
    for user, calendar in sorted(parse_shifts(settings.shifts, settings.calendars).items()):
        problem = await problem_with(user)
        result("SHIFTS", f"{problem}, yet given the calendar {calendar.name}" if problem
               else f"{user} is active, on shift by {calendar.name}", warn=problem is not None)
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
            severity = plans[client.plan].message_severity
            result("watching", "messages: a client's plain message opens a "
                   f"{severity.value} ticket" if client.watch == "messages" and severity
                   else "messages, but the plan's message_severity is null: no ticket"
                   if client.watch == "messages" else
                   f"tickets only (clients set --channel {client.channel} --watch messages "
                   "to watch its messages)")
        else:
            result("plan", f"{client.plan!r} is not a plan; known: "
                   f"{', '.join(sorted(plans))} (PLANS)", good=False)
        if client.language is None:
            result("language", f"{settings.language} (LANGUAGE)")
        elif client.language in available():
            result("language", client.language)
        else:
            result("language", f"{client.language!r} has no catalog; known: "
                   f"{', '.join(available())} (clients set --language)", good=False)
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
