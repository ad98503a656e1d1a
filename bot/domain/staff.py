"""The staff rule: who may claim, resolve and change a ticket's internal state.

Staff are human members of the organisation that installed the app: not a bot, not
Slackbot, not a guest, not a deleted account, not a member of another organisation in
a shared channel; ``SUPPORT_TEAM``, when set, narrows them further.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.tickets import TicketError

SLACKBOT = "USLACKBOT"


class WhoUnknown(TicketError):
    """Slack could not say in time who is acting; nothing was changed."""

    def __init__(self) -> None:
        super().__init__("Slack did not say in time who you are, so nothing was changed; "
                         "please try again in a minute")


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


def is_staff(member: Member, org: Organisation, *, payload_team: str | None,
             support_team: frozenset[str] | None) -> bool:
    """``member`` acting with ``payload_team`` (the team a payload names, if any) is staff.

    ``support_team``: the members of ``SUPPORT_TEAM`` when it is set, else None.
    """
    # A member of an Enterprise Grid org may act from another workspace of the same org:
    # the payload then names their own workspace.
    if payload_team is not None and not (
            org.owns(payload_team)
            or (payload_team == member.team_id and org.owns(member.enterprise_id))):
        return False
    if (member.is_bot or member.deleted or member.guest or member.id == SLACKBOT
            or not (org.owns(member.team_id) or org.owns(member.enterprise_id))):
        return False
    return support_team is None or member.id in support_team
