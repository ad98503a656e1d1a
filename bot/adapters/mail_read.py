"""An email's bytes as the desk reads them (``Inbound``): headers, the text (the text/plain
part, or the HTML turned into text by inscriptis when there is none), attachments."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from inscriptis import get_text

from bot.domain.email_in import Attachment, Inbound

_IDS = re.compile(r"<[^<>\s]+>")


def read_email(raw: bytes, received_at: float) -> Inbound:
    """``raw`` (RFC 5322 bytes) as an ``Inbound`` that reached the mailbox at
    ``received_at``. A message without a Message-ID is named by its bytes' hash."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    name, sender = parseaddr(str(message.get("From", "")))
    message_id = _first_id(message.get("Message-ID")) or _hashed(raw)
    return_path = message.get("Return-Path")
    return Inbound(
        message_id=message_id,
        sender=sender.strip().lower(),
        sender_name=name.strip() or sender.strip(),
        subject=" ".join(str(message.get("Subject", "")).split()),
        text=_text(message),
        received_at=received_at,
        in_reply_to=_first_id(message.get("In-Reply-To")),
        references=tuple(_IDS.findall(str(message.get("References", "")))),
        cc=tuple(a.lower() for _, a in getaddresses([str(v) for v in message.get_all("Cc", [])])
                 if a),
        auto_submitted=_header(message, "Auto-Submitted"),
        precedence=_header(message, "Precedence"),
        autoreply=bool(message.get("X-Autoreply") or message.get("X-Autorespond")),
        list_id=message.get("List-Id") is not None,
        return_path=None if return_path is None else parseaddr(str(return_path))[1],
        attachments=tuple(_attachments(message)),
    )


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else str(value)


def _first_id(value: object) -> str | None:
    found = _IDS.findall(str(value)) if value is not None else []
    return found[0] if found else None


def _hashed(raw: bytes) -> str:
    import hashlib

    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id>"


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return str(part.get_content())
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return str(get_text(str(part.get_content()))).strip()
    return ""


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            found.append(Attachment(part.get_filename() or "attachment",
                                    part.get_content_type(), data))
    return found
