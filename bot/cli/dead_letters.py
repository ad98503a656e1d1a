"""``python -m bot dead-letters [list | retry ID | drop ID]``."""

from __future__ import annotations

import argparse
import logging
import re
from datetime import UTC, datetime

from bot.adapters.queue import JobQueue
from bot.bootstrap import (
    layout,
    redis_client,
)
from bot.cli import Failure
from bot.config import Settings
from bot.domain.text import clean_line
from bot.domain.tickets import ticket_key

log = logging.getLogger("bot")


log = logging.getLogger("bot")


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


async def dead_letters(settings: Settings, url: str, args: argparse.Namespace) -> None:
    """``dead-letters [list | retry ID | drop ID]``: the jobs that failed for good."""
    redis = redis_client(settings, url)
    try:
        queue = JobQueue(redis, layout=layout(settings))
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
