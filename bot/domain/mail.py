"""An email the desk sends (the breach email): to whom, what it says, and its id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    message_id: str
    """Stable per notification, so that mail clients fold a resend into one message."""
