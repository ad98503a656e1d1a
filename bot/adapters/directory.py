"""Who is who in Slack: ``users.info`` and the support user group, cached with a TTL."""

from __future__ import annotations

import time
from typing import Any

from bot.adapters.slack import Slack, Undeliverable, slack_call
from bot.domain.staff import Member, Organisation

DIRECTORY_TTL = 300.0


def member_from(info: dict[str, Any]) -> Member:
    profile = info.get("profile") or {}
    enterprise = info.get("enterprise_user") or {}
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
    )


class Directory:
    def __init__(self, slack: Slack, usergroup: str | None, ttl: float = DIRECTORY_TTL) -> None:
        self.slack = slack
        self.usergroup = usergroup
        self.ttl = ttl
        self._members: dict[str, tuple[float, Member]] = {}
        self._team: tuple[float, frozenset[str]] | None = None

    async def organisation(self) -> Organisation:
        identity = await self.slack.identity()
        return Organisation(identity.team_id, identity.enterprise_id)

    async def member(self, user: str) -> Member | None:
        """The user's profile; None when Slack knows no such user."""
        cached = self._members.get(user)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            r = await slack_call(self.slack.client.users_info(user=user))
        except Undeliverable as exc:
            if exc.error == "user_not_found":
                return None
            raise
        member = member_from(dict(r["user"]))
        self._members[user] = (time.monotonic() + self.ttl, member)
        return member

    async def support_team(self) -> frozenset[str] | None:
        """The members of the ``SUPPORT_TEAM`` user group; None when it is not a group."""
        if self.usergroup is None:
            return None
        if self._team and self._team[0] > time.monotonic():
            return self._team[1]
        r = await slack_call(self.slack.client.usergroups_users_list(usergroup=self.usergroup))
        members = frozenset(r.get("users") or [])
        self._team = (time.monotonic() + self.ttl, members)
        return members
