"""Email a client sends to the support address: what it is, and the rules it meets.

Pure: the message as read (``Inbound``), whether it may open or join anything (the loop
rules of RFC 3834), its severity tag, the new text without quoted history and signature,
and the desk's own Message-IDs, which name the ticket they are about.

The rule for quoted history and signatures: the text ends at the first line that starts
a quote of an earlier message (``On ... wrote:``, ``Il giorno ... ha scritto:``, ``-----
Original Message -----``, ``From: ...`` of a forwarded header block, ``Da: ...``) or a
signature (``-- `` alone on its line); lines quoted with ``>`` are dropped wherever they
are. What is left is the sender's own new text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr

from bot.domain.tickets import Severity

ATTACHMENT_MOST = 25 * 1024 * 1024
"""The largest attachment copied into Slack (what the common mail services carry at most);
a larger one is named in the thread, and stays in the mailbox."""
TITLE_MOST = 150
"""A title longer than this is cut at a word; the whole subject opens the description."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Inbound:
    """An email as read from the mailbox."""

    message_id: str
    sender: str
    """The From address, lower case."""
    sender_name: str
    subject: str
    text: str
    """The body as text: the text/plain part, or the HTML turned into text."""
    received_at: float
    """When it reached the mailbox (epoch seconds)."""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    auto_submitted: str | None = None
    precedence: str | None = None
    autoreply: bool = False
    """``X-Autoreply`` or ``X-Autorespond`` is set."""
    list_id: bool = False
    return_path: str | None = None
    """None when absent; ``""`` for the empty path of a bounce (``<>``)."""
    attachments: tuple[Attachment, ...] = field(default=())

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]


def copied(attachments: tuple[Attachment, ...], most: int = ATTACHMENT_MOST
           ) -> tuple[list[tuple[int, Attachment]], list[str]]:
    """The attachments to copy into Slack (with their places), and the others named with
    their sizes (over ``most`` bytes: not copied, nothing dropped silently)."""
    kept, named = [], []
    for k, attachment in enumerate(attachments):
        if len(attachment.data) > most:
            named.append(f"{attachment.name} ({len(attachment.data) / 2**20:.1f} MB)")
        else:
            kept.append((k, attachment))
    return kept, named


def address(header: str) -> str:
    """The bare address of a From/To header, lower case."""
    return parseaddr(header)[1].strip().lower()


BOUNCERS = ("mailer-daemon", "postmaster")


def loop_reason(mail: Inbound, support_email: str) -> str | None:
    """Why this email must open nothing and get no answer, or None (RFC 3834)."""
    local = mail.sender.partition("@")[0]
    if mail.sender == support_email.lower() or desk_ticket(mail.message_id, support_email):
        return "the desk's own mail"
    if mail.return_path == "" or local in BOUNCERS or not mail.sender:
        return "a bounce"
    if mail.auto_submitted and mail.auto_submitted.strip().lower() != "no":
        return f"an automatic reply (Auto-Submitted: {mail.auto_submitted})"
    if mail.precedence and mail.precedence.strip().lower() in ("bulk", "junk", "list"):
        return f"bulk mail (Precedence: {mail.precedence})"
    if mail.autoreply:
        return "an automatic reply (X-Autoreply)"
    if mail.list_id:
        return "list mail (List-Id)"
    return None


_SEVERITY_NAMES: dict[str, Severity] = {
    "critical": Severity.CRITICAL, "critico": Severity.CRITICAL, "critica": Severity.CRITICAL,
    "high": Severity.HIGH, "alto": Severity.HIGH, "alta": Severity.HIGH,
    "medium": Severity.MEDIUM, "medio": Severity.MEDIUM, "media": Severity.MEDIUM,
    "low": Severity.LOW, "basso": Severity.LOW, "bassa": Severity.LOW,
}
_TAG = re.compile(r"\[\s*([^\]\s]+)\s*\]")
_PREFIX = re.compile(r"^\s*((re|r|fw|fwd|i|inoltro|aw|sv)\s*:\s*)+", re.IGNORECASE)
_TICKET_TAG = re.compile(r"\[\s*T-([0-9]{1,12})\s*\]", re.IGNORECASE | re.ASCII)


def severity_tag(subject: str) -> tuple[Severity | None, str]:
    """The severity a subject's tag names (``[Critical]``, ``[Critico]``, any case), and the
    subject without it."""
    for found in _TAG.finditer(subject):
        severity = _SEVERITY_NAMES.get(found.group(1).lower())
        if severity is not None:
            rest = subject[:found.start()] + subject[found.end():]
            return severity, " ".join(rest.split())
    return None, " ".join(subject.split())


def ticket_in_subject(subject: str) -> int | None:
    """The ticket a subject names as ``[T-1042]``."""
    found = _TICKET_TAG.search(subject)
    return int(found.group(1)) if found else None


def bare_subject(subject: str) -> str:
    """The subject without ``Re:``/``Fwd:`` prefixes and the desk's ``[T-n]`` tag."""
    return " ".join(_PREFIX.sub("", _TICKET_TAG.sub("", subject)).split())


def title_and_description(subject: str, text: str) -> tuple[str, str]:
    """A ticket's title (the subject, cut at a word past ``TITLE_MOST``) and description
    (the body, after the whole subject when it was cut): nothing is lost."""
    subject = subject or "(no subject)"
    if len(subject) <= TITLE_MOST:
        return subject, text or subject
    cut = subject[:TITLE_MOST].rsplit(" ", 1)[0] or subject[:TITLE_MOST]
    return cut + "…", f"{subject}\n\n{text}".strip()


_QUOTE_START = re.compile(
    r"^\s*(on\s.+\swrote:|il giorno\s.+\sha scritto:|.+\sha scritto:|-{2,}\s*original message"
    r"\s*-{2,}|-{2,}\s*messaggio originale\s*-{2,}|(from|da):\s.+@.+)\s*$",
    re.IGNORECASE)


def new_text(text: str) -> str:
    """The sender's own new text: quoted history, quoted lines and the signature dropped
    (the rule in this module's docstring)."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.rstrip() == "--" or line == "-- " or _QUOTE_START.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def desk_message_id(number: int, what: str, domain: str) -> str:
    """The Message-ID of the desk's email ``what`` about ticket ``number``."""
    return f"<T-{number}.{what}@{domain}>"


_DESK_ID = re.compile(r"<T-([0-9]{1,12})\.[^@>]+@([^>]+)>", re.ASCII)


def desk_ticket(message_id: str, support_email: str) -> int | None:
    """The ticket a Message-ID of the desk's (of ``support_email``'s domain) is about."""
    found = _DESK_ID.fullmatch(message_id.strip())
    domain = support_email.rpartition("@")[2].lower()
    return int(found.group(1)) if found and found.group(2).lower() == domain else None


def thread_ticket(mail: Inbound, support_email: str) -> int | None:
    """The ticket an email answers, by its ``In-Reply-To``/``References`` to the desk's
    emails (the most recent first)."""
    for ref in (mail.in_reply_to, *reversed(mail.references)):
        number = desk_ticket(ref, support_email) if ref else None
        if number is not None:
            return number
    return None
