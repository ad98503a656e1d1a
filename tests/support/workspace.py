"""The Slack workspace the tests run in: its channels and people, as the stand-in knows
them (the ``slack`` fixture adds them)."""

from __future__ import annotations

TRIAGE = "C0TRIAGE01"
CLIENT_CHANNEL = "C0ACME0001"
STAFF = "U0STAFF001"
STAFF_2 = "U0STAFF002"
AM = "U0AMGR0001"
LEAD = "U0LEAD0001"
GUEST = "U0GUEST001"
EXTERNAL = "U0EXTRN001"
CLIENT_USER = "U0CLIENT01"
