"""Where the support mailbox is (``IMAP_URL``), read and checked: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

LOOPBACK = ("127.0.0.1", "::1", "localhost")
@dataclass(frozen=True)
class MailboxAddress:
    tls: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

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
    if not tls and parts.hostname not in LOOPBACK:
        raise ValueError(f"imap:// to {parts.hostname} would send the password in clear "
                         "text; use imaps:// (TLS), or imap:// only to a loopback host")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxAddress(tls, parts.hostname, port or (993 if tls else 143),
                          unquote(parts.username), unquote(parts.password), folder)
