"""An email the desk sends (the breach email, answers to clients): to whom, what it says,
its id, and the headers that thread it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    message_id: str
    """Stable per notification, so that mail clients fold a resend into one message."""
    sender: str | None = None
    """Its From (None: the mailer's, ``EMAIL_FROM``)."""
    cc: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    """More headers: ``In-Reply-To``, ``References``, ``Auto-Submitted``."""
