"""Who is acting, and whether they are staff (the rule itself is ``bot.domain.staff``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.staff import SLACKBOT, is_staff
from bot.domain.tickets import TicketError
from bot.services.ports import Directory


@dataclass(frozen=True)
class Actor:
    """A person acting through Slack: their user ID, the team their payload names, and the
    Enterprise Grid org a click names, if any."""

    user: str
    team: str | None = None
    enterprise: str | None = None


class NotStaff(TicketError):
    """Only the support team may do this."""


class StaffCheck:
    def __init__(self, directory: Directory, listed: frozenset[str] | None = None) -> None:
        """``listed``: the support team's members as set up (``SUPPORT_TEAM``), used while
        the directory names no support user group."""
        self.directory = directory
        self.listed = listed or None

    async def is_staff(self, actor: Actor) -> bool:
        member = await self.directory.member(actor.user)
        if member is None:
            return False
        team = await self.directory.support_team()
        return is_staff(member, await self.directory.organisation(), payload_team=actor.team,
                        payload_enterprise=actor.enterprise,
                        support_team=team if team is not None else self.listed)

    async def is_client_member(self, actor: Actor) -> bool:
        """Someone of the client's side: a member of another organisation or a guest; not
        a bot, nor any member of the installing organisation (``SUPPORT_TEAM`` aside).

        A payload naming another organisation's team settles it without asking Slack who
        the person is, unless the installing organisation is an Enterprise Grid (whose
        members may act from any of its workspaces)."""
        org = await self.directory.organisation()
        if (actor.team is not None and not org.owns(actor.team) and org.enterprise_id is None
                and actor.user != SLACKBOT):
            return True
        member = await self.directory.member(actor.user)
        if member is None or member.is_bot or member.deleted or member.id == SLACKBOT:
            return False
        return not is_staff(member, org, payload_team=actor.team,
                            payload_enterprise=actor.enterprise, support_team=None)

    async def require(self, actor: Actor, refusal: str) -> None:
        """Raise NotStaff (``refusal``: "Only the support team can ...") unless ``actor`` is
        staff."""
        if not await self.is_staff(actor):
            raise NotStaff(refusal)
