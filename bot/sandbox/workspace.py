"""The sandbox's demo workspace: who is in it, its channels, and its demo plans.

Two clients, each another organisation in a shared channel: Acme Media, which reads
English, and Rossi Media, which reads Italian; two support engineers, the clients'
account manager and the head of support. The people's timezones differ, so each sees
the desk's dates (``<!date^...>``) in their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.records import BOT_USER, TEAM_ID, Records

ACME_TEAM = "T0ACMEMED1"
"""The client's own organisation (a Slack Connect partner of the desk's workspace)."""
CLIENT_CHANNEL = "C0ACME0001"
ROSSI_TEAM = "T0ROSSIME1"
"""The Italian client's organisation."""
ROSSI_CHANNEL = "C0ROSSI001"
ROSSI_NAME = "Rossi Media"
TRIAGE = "C0TRIAGE01"
ENGINEERING = "C0ENGINE01"
CLIENT_NAME = "Acme Media"
CLIENT_PHONE = "+1 555 0100"
LEAD_EMAIL = "lee.chen@desk-demo.example"
DESK_EMAIL = "support-desk@desk-demo.example"
"""Where the desk's alerts come from (``EMAIL_FROM``)."""
SUPPORT_EMAIL = "support@desk-demo.example"
"""The address clients write to, and the desk answers them from (``SUPPORT_EMAIL``)."""
WORKSPACE_NAME = "Desk Demo"


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    role: str
    tz: str
    team: str = TEAM_ID
    email: str = ""

    @property
    def external(self) -> bool:
        """A member of another organisation (Slack Connect): no slash commands, no shortcuts."""
        return self.team != TEAM_ID


CLIENT = Persona("U0CLIENT01", "Dana Reyes", "Client at Acme Media", "America/New_York",
                 ACME_TEAM, "dana@acme-media.example")
ROSSI = Persona("U0ROSSI001", "Giulia Rossi", "Client at Rossi Media", "Europe/Rome",
                ROSSI_TEAM, "giulia@rossi-media.example")
ENGINEER = Persona("U0ENGINE01", "Sam Okafor", "Support engineer", "Europe/London",
                   email="sam@desk-demo.example")
ENGINEER_2 = Persona("U0ENGINE02", "Priya Natarajan", "Support engineer", "Asia/Kolkata",
                     email="priya@desk-demo.example")
ACCOUNT_MANAGER = Persona("U0AMGR0001", "Morgan Blake", "Account manager", "Europe/Berlin",
                          email="morgan@desk-demo.example")
LEAD = Persona("U0LEAD0001", "Lee Chen", "Head of support", "America/Los_Angeles",
               email=LEAD_EMAIL)
CLIENT_DOMAIN = CLIENT.email.rpartition("@")[2]
ROSSI_DOMAIN = ROSSI.email.rpartition("@")[2]
PERSONAS = (CLIENT, ROSSI, ENGINEER, ENGINEER_2, ACCOUNT_MANAGER, LEAD)
BY_ID = {p.id: p for p in PERSONAS}
FIRST_VISIT = CLIENT
"""Who a visitor is until they choose someone else: where a ticket starts."""

CHANNELS = ((CLIENT_CHANNEL, "acme-support", True), (ROSSI_CHANNEL, "rossi-support", True),
            (TRIAGE, "support-triage", False), (ENGINEERING, "engineering", False))
"""(id, name, shared with the client's organisation)."""
SHARED_WITH = {CLIENT_CHANNEL: ACME_TEAM, ROSSI_CHANNEL: ROSSI_TEAM}
"""Each shared channel's client organisation: its members see that channel alone."""
ORGANISATIONS = {ACME_TEAM: CLIENT_NAME, ROSSI_TEAM: ROSSI_NAME}
"""The clients' organisations by their Slack team, as the page names them."""

DEMO_PLANS: dict[str, Any] = {
    "standard": {
        "critical": 240, "high": 480, "medium": 900, "low": 1800,
        "update_every": {"critical": 300, "high": 600, "medium": 1200, "low": None},
    },
}
"""Minutes, not hours: a visitor sees the warning and the breach arrive."""

FIRST_MESSAGE = ("Hi team, since this morning some of our editors get a blank page when "
                 "they open the video library. Could you have a look?")
"""What the client writes as the sandbox starts: it opens the first ticket."""
ROSSI_MESSAGE = ("Buongiorno, da ieri sera i video caricati restano in elaborazione e non "
                 "vengono pubblicati. Potete verificare?")
"""What the Italian client writes as the sandbox starts: it opens her first ticket."""


def seed(slack: Records) -> None:
    """Put the demo workspace's people and channels into the stand-in."""
    for persona in PERSONAS:
        first, _, last = persona.name.partition(" ")
        slack.add_user(persona.id, team_id=persona.team, tz=persona.tz,
                       name=first.lower(), real_name=persona.name,
                       profile={"email": persona.email, "real_name": persona.name,
                                "display_name": persona.name, "title": persona.role,
                                "first_name": first, "last_name": last})
    slack.add_user(BOT_USER, is_bot=True, name="support-desk", real_name="Support Desk",
                   profile={"real_name": "Support Desk", "display_name": "Support Desk"})
    for cid, name, shared in CHANNELS:
        slack.add_channel(cid, name, shared=shared)


def visible_channels(persona: Persona) -> list[tuple[str, str, bool]]:
    """The channels ``persona`` is in: a client only sees its own shared channel."""
    return [c for c in CHANNELS if not persona.external or SHARED_WITH.get(c[0]) == persona.team]
