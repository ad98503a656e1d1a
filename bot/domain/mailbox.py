"""Where the support mailbox is (``IMAP_URL``), read and checked, and an email as read from
it: pure, no I/O.

``imaps://`` is TLS from the start; with ``imap://`` the desk asks for STARTTLS, and goes
without only to a loopback host (the password never travels in clear).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Fetched:
    """An email in the support mailbox: its UID there, its bytes, when it arrived."""

    uid: int
    raw: bytes
    received_at: float
    """INTERNALDATE: when the message reached the mailbox."""


@dataclass(frozen=True)
class MailboxAddress:
    tls: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

    @property
    def loopback(self) -> bool:
        """This host: ``imap://`` may go without STARTTLS (nothing crosses a network)."""
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    @property
    def where(self) -> str:
        """``user@host:port/folder``, for messages and logs (no password)."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_address(url: str) -> MailboxAddress:
    """``IMAP_URL`` read; ValueError (without the password) when it cannot work."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError(f"unknown scheme {parts.scheme + '://' if parts.scheme else '(none)'};"
                         " use imaps://user:pass@host:993/INBOX")
    if not parts.hostname:
        raise ValueError("names no host: imaps://user:pass@host:993/INBOX")
    if not parts.username or parts.password is None:
        raise ValueError("names no user and password: imaps://user:pass@host:993/INBOX")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number") from None
    tls = parts.scheme == "imaps"
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxAddress(tls, parts.hostname, port or (993 if tls else 143),
                          unquote(parts.username), unquote(parts.password), folder)
