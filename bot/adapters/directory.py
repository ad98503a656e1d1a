"""Who is who in Slack: ``users.info`` and the support user group, cached with a TTL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.slack import Retryable, Slack, Undeliverable, retried
from bot.domain.staff import Member, Organisation, WhoUnknown

log = logging.getLogger(__name__)

DIRECTORY_TTL = 300.0
"""A profile is fresh this long; after that it is still used at once while a fresh copy is
fetched in the background (the cache is kept warm), for up to ``STALE_FOR``."""
STALE_FOR = 86_400.0
UNSEEN = frozenset({"user_not_found", "user_not_visible"})
"""users.info's answers for a person the app cannot see: no such person, or one of
another organisation that Slack does not show it."""
STATUS_TTL = 60.0
"""A person's status emoji (away or not) is read at most this often."""
PATIENCE = 10.0
"""How long a lookup retries Slack's 429 and 5xx answers before giving up."""


def member_from(info: dict[str, Any]) -> Member:
    profile = info.get("profile") or {}
    enterprise = info.get("enterprise_user") or {}
    teams = enterprise.get("teams")
    return Member(
        id=str(info.get("id") or ""),
        team_id=info.get("team_id"),
        is_bot=bool(info.get("is_bot")),
        deleted=bool(info.get("deleted")),
        guest=bool(info.get("is_restricted") or info.get("is_ultra_restricted")),
        enterprise_id=enterprise.get("enterprise_id"),
        name=str(profile.get("display_name") or profile.get("real_name") or info.get("name")
                 or ""),
        image=profile.get("image_72"),
        teams=frozenset(t for t in teams if isinstance(t, str)) if isinstance(teams, list)
        else frozenset(),
    )


class SlackDirectory:
    def __init__(self, slack: Slack, usergroup: str | None, ttl: float = DIRECTORY_TTL) -> None:
        self.slack = slack
        self.usergroup = usergroup
        self.ttl = ttl
        self._members: dict[str, tuple[float, Member]] = {}
        self._team: tuple[float, frozenset[str]] | None = None
        self._refreshing: set[str] = set()
        self._status: dict[str, tuple[float, str]] = {}

    async def organisation(self) -> Organisation:
        identity = await self.slack.identity()
        return Organisation(identity.team_id, identity.enterprise_id)

    async def member(self, user: str) -> Member | None:
        """The user's profile; None when Slack knows no such user or will not show them
        to the app (someone of another organisation: never staff).

        Raises WhoUnknown when Slack does not answer within ``PATIENCE``.
        """
        cached = self._members.get(user)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        if cached and cached[0] + STALE_FOR > now:
            if user not in self._refreshing:
                self._refreshing.add(user)
                task = asyncio.create_task(self._refresh(user))
                task.add_done_callback(lambda _: self._refreshing.discard(user))
            return cached[1]
        return await self._fetch(user)

    async def _refresh(self, user: str) -> None:
        try:
            await self._fetch(user)
        except (WhoUnknown, Undeliverable) as exc:
            log.warning("could not refresh the profile of %s: %s", user, exc)

    async def _fetch(self, user: str) -> Member | None:
        try:
            r = await patiently(lambda: self.slack.client.users_info(user=user))
        except Undeliverable as exc:
            if exc.error not in UNSEEN:
                raise
            if exc.error != "user_not_found":
                log.warning("Slack will not show %s to the app (users.info: %s): taken for "
                            "someone outside the support team", user, exc.error)
            return None
        info = dict(r["user"])
        member = member_from(info)
        self._members[user] = (time.monotonic() + self.ttl, member)
        emoji = str((info.get("profile") or {}).get("status_emoji") or "")
        self._status[user] = (time.monotonic() + STATUS_TTL, emoji)
        return member

    async def status_emoji(self, user: str) -> str:
        """The person's Slack status emoji (``:palm_tree:``; empty without one), read at
        most once every ``STATUS_TTL`` seconds."""
        cached = self._status.get(user)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        await self._fetch(user)
        return self._status.get(user, (0.0, ""))[1]

    async def support_team(self) -> frozenset[str] | None:
        """The members of the ``SUPPORT_TEAM`` user group; None when it is not a group."""
        if self.usergroup is None:
            return None
        if self._team and self._team[0] > time.monotonic():
            return self._team[1]
        group = self.usergroup
        r = await patiently(lambda: self.slack.client.usergroups_users_list(usergroup=group))
        members = frozenset(r.get("users") or [])
        self._team = (time.monotonic() + self.ttl, members)
        return members


async def patiently(call: Callable[[], Awaitable[AsyncSlackResponse]],
                    patience: float = PATIENCE) -> AsyncSlackResponse:
    """A directory call, retried on 429 (after Retry-After) and 5xx for up to ``patience``
    seconds; then WhoUnknown."""
    try:
        return await retried(call, patience)
    except Retryable as exc:
        log.warning("Slack's directory is not answering: %s", exc)
        raise WhoUnknown() from exc
