"""The names of the channels the app is in (``users.conversations``), kept for a while: a
report may name its client as ``#acme-support``, as Slack sends what was typed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from bot.adapters.slack import Retryable, Slack, Undeliverable, retried

log = logging.getLogger(__name__)

NAMES_TTL = 60.0
"""Seconds the names are used before they are read again (a renamed channel's new name
is known within this)."""
PATIENCE = 10.0
"""How long a read retries Slack's 429 and 5xx answers before giving up."""
PAGE = 1000


class SlackChannelNames:
    def __init__(self, slack: Slack, ttl: float = NAMES_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.slack = slack
        self.ttl = ttl
        self._clock = clock
        self._names: tuple[float, dict[str, str]] | None = None

    async def channel_names(self) -> dict[str, str]:
        """Channel ID -> name, of every public and private channel the app is in (the
        names last read if Slack does not answer now; none if it never did)."""
        now = self._clock()
        if self._names is not None and self._names[0] > now:
            return self._names[1]
        try:
            names = await self._read()
        except (Retryable, Undeliverable) as exc:
            log.warning("could not read the names of the app's channels "
                        "(users.conversations): %s", exc)
            return self._names[1] if self._names else {}
        self._names = (now + self.ttl, names)
        return names

    async def _read(self) -> dict[str, str]:
        names: dict[str, str] = {}
        cursor = ""
        while True:
            r = await retried(partial(
                self.slack.client.users_conversations, types="public_channel,private_channel",
                exclude_archived=True, limit=PAGE, cursor=cursor or None), PATIENCE)
            for channel in r.get("channels") or []:
                if channel.get("id") and channel.get("name"):
                    names[str(channel["id"])] = str(channel["name"])
            cursor = str((r.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return names
