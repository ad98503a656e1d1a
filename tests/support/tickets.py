"""Tickets as a test builds them, before the store numbers them."""

from __future__ import annotations

import time

from bot.domain.tickets import Severity, Ticket


def draft(severity: Severity = Severity.HIGH, channel: str = "C0ACME0001",
          at: float | None = None) -> Ticket:
    return Ticket(number=0, channel=channel, reporter="U0CLIENT01", title="t",
                  description="d", severity=severity,
                  created_at=time.time() if at is None else at)
