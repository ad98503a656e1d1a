"""The staff rule: who may claim, resolve and change a ticket's internal state.

Staff are human members of the organisation that installed the app: not a bot, not
Slackbot, not a guest, not a deleted account, not a member of another organisation in
a shared channel; ``SUPPORT_TEAM``, when set, narrows them further.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.text import N_
from bot.domain.tickets import TicketError

SLACKBOT = "USLACKBOT"


class WhoUnknown(TicketError):
    """Slack could not say in time who is acting; nothing was changed."""

    def __init__(self) -> None:
        super().__init__(N_("Slack did not say in time who you are, so nothing was changed; "
                            "please try again in a minute"))


@dataclass(frozen=True)
class Organisation:
    """The installing organisation: its workspace, and its Enterprise Grid org if any."""

    team_id: str
    enterprise_id: str | None = None

    def owns(self, team: str | None) -> bool:
        """Whether a team id seen in a payload or a profile is this organisation's."""
        return team is not None and team in (self.team_id, self.enterprise_id)


@dataclass(frozen=True)
class Member:
    """What the directory knows of a user (from ``users.info``)."""

    id: str
    team_id: str | None
    is_bot: bool = False
    deleted: bool = False
    guest: bool = False
    enterprise_id: str | None = None
    name: str = ""
    image: str | None = None
    teams: frozenset[str] = frozenset()
    """The workspaces of their Enterprise Grid org they belong to (``enterprise_user``)."""


def is_staff(member: Member, org: Organisation, *, payload_team: str | None,
             support_team: frozenset[str] | None, payload_enterprise: str | None = None
             ) -> bool:
    """``member`` acting with ``payload_team`` (the team a payload names, if any) is staff.

    ``payload_enterprise``: the Enterprise Grid org a click names, if any.
    ``support_team``: the members of ``SUPPORT_TEAM`` when it is set, else None.
    """
    if payload_team is not None and not acts_for(org, member, payload_team, payload_enterprise):
        return False
    if (member.is_bot or member.deleted or member.guest or member.id == SLACKBOT
            or not (org.owns(member.team_id) or org.owns(member.enterprise_id))):
        return False
    return support_team is None or member.id in support_team


def acts_for(org: Organisation, member: Member, team: str, enterprise: str | None) -> bool:
    """Whether the team a payload names is the installing organisation's.

    A member of an Enterprise Grid org may act from any workspace of it: the payload then
    names that workspace, which is their own, one their profile lists, or any workspace of a
    click that names the org itself.
    """
    if org.owns(team) or (org.enterprise_id is not None and enterprise == org.enterprise_id):
        return True
    return org.owns(member.enterprise_id) and (team == member.team_id or team in member.teams)
