"""``python -m bot clients set | list | remove``: registering client channels."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import replace

from bot.adapters.slack import Retryable, Slack, Undeliverable, slack_call
from bot.bootstrap import (
    Runtime,
    open_runtime,
)
from bot.cli import NAME_MAX, PHONE_MAX, Failure
from bot.cli.check import require_account_manager
from bot.config import CHANNEL_ID, USER_ID, Settings
from bot.config.languages import available
from bot.domain.text import clean_line
from bot.domain.tickets import Client
from bot.domain.watch import Watch
from bot.slack_ui.messages import welcome_message
from bot.slack_ui.words import words_for

log = logging.getLogger("bot")


log = logging.getLogger("bot")




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
                      f"{c.account_manager or '-'}  phone={c.phone or '-'}  watch={c.watch}  "
                      f"language={c.language or settings.language + ' (LANGUAGE)'}  "
                      f"email_domains={','.join(c.email_domains) or '-'}")
        elif args.action == "remove":
            if not await store.remove_client(args.channel):
                raise Failure(f"No client is registered for channel {args.channel}.")
            print(f"Removed the client of {args.channel}; its open tickets keep their data.")
        else:
            await set_client(runtime, channel=args.channel, name=args.name,
                             account_manager=args.account_manager, plan=args.plan,
                             phone=args.phone, watch=args.watch, language=args.language,
                             email_domains=args.email_domains)


async def set_client(runtime: Runtime, *, channel: str, name: str, account_manager: str,
                     plan: str = "standard", phone: str | None = None,
                     watch: str | None = None, language: str | None = None,
                     email_domains: Sequence[str] | None = None) -> None:
    """``clients set``: register or update a client channel, with its welcome message.
    ``watch``: whether plain messages open tickets (None: as before; for a new client,
    they do). ``language``: what the client reads (None: as before; for a new client,
    ``LANGUAGE``). ``email_domains``: the client's email domains (None: keep the ones it
    has)."""
    settings, store = runtime.settings, runtime.store
    problems = []
    domains = email_domains_of(email_domains)
    if isinstance(domains, str):
        problems.append(domains)
    else:
        problems.extend(await domains_taken(runtime, channel, domains or ()))
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
    if language is not None and language not in available():
        problems.append(f"--language {language!r} is not a language the desk speaks; known: "
                        f"{', '.join(available())}")
    if problems:
        raise Failure("\n".join(problems))
    await require_account_manager(runtime.slack, account_manager)
    previous = await store.client(channel)
    assert not isinstance(domains, str)
    client = Client(channel=channel, name=clean_line(name), plan=plan,
                    account_manager=account_manager, phone=clean_line(phone) if phone else None,
                    welcome_ts=previous.welcome_ts if previous else None,
                    watch=watch or (previous.watch if previous else Watch.MESSAGES),
                    language=language or (previous.language if previous else None),
                    email_domains=(domains if domains is not None else
                                   previous.email_domains if previous else ()))
    slack = runtime.slack
    text, body = welcome_message(
        words_for(client.language or settings.language), client)
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
          f"(plan {client.plan}, account manager {client.account_manager}, watching "
          f"{client.watch}); welcome message "
          f"{'updated' if previous and previous.welcome_ts == ts else 'posted and pinned'}.")
    if previous and (previous.plan, previous.account_manager) != (
            client.plan, client.account_manager):
        moved = await runtime.worker.sweeper.follow_plan(client.channel)
        print(f"{moved} open ticket(s) of {client.name} now follow plan {client.plan}.")
    if previous and previous.language != client.language:
        redrawn = await runtime.worker.sweeper.redraw_cards(client.channel)
        print(f"{client.name} now reads {client.language}: its welcome message and the "
              f"cards of {redrawn} open ticket(s) are redrawn.")


DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def email_domains_of(given: Sequence[str] | None) -> tuple[str, ...] | str | None:
    """``--email-domain`` values, lower case and checked (None: not given; ``none``: no
    domains); a string: what is wrong with them."""
    if given is None:
        return None
    domains = tuple(dict.fromkeys(d.strip().lower().lstrip("@") for d in given))
    if domains == ("none",):
        return ()
    bad = [d for d in domains if not DOMAIN.match(d)]
    if bad:
        return (f"--email-domain {', '.join(repr(b) for b in bad)} is not a domain "
                "(e.g. acme.com)")
    return domains


async def domains_taken(runtime: Runtime, channel: str, domains: Sequence[str]) -> list[str]:
    """Each of ``domains`` another client has already: an email must name one client."""
    return [f"--email-domain {d} is {c.name}'s ({c.channel}) already"
            for c in await runtime.store.clients() if c.channel != channel
            for d in domains if d in c.email_domains]


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
