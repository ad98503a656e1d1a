"""The jobs of email: a ticket opened by email shown in the client channel, the
acknowledgement and the answers emailed to its reporter, a client's email reply posted in
the thread, and the triage note about mail from an unknown sender."""

from __future__ import annotations

from typing import Literal

from bot.domain.jobs.base import JobBase, JobKind


class EmailOrigin(JobBase):
    """The top-level message in the client channel naming the email's sender: the ticket's
    client thread, with the card in it."""

    kind: Literal[JobKind.EMAIL_ORIGIN] = JobKind.EMAIL_ORIGIN

    @property
    def id(self) -> str:
        return f"email_origin:{self.ticket}"


class EmailAck(JobBase):
    """The acknowledgement emailed to the reporter, threaded on their email."""

    kind: Literal[JobKind.EMAIL_ACK] = JobKind.EMAIL_ACK

    @property
    def id(self) -> str:
        return f"email_ack:{self.ticket}"


class EmailOut(JobBase):
    """Support's message to the client (a reply in the thread, an update, the resolution),
    emailed to the reporter in the ticket's email thread."""

    kind: Literal[JobKind.EMAIL_OUT] = JobKind.EMAIL_OUT
    ref: str
    """What makes it unique: the Slack message, the update's submission, the resolution."""
    by: str
    text: str

    @property
    def id(self) -> str:
        return f"email_out:{self.ticket}:{self.ref}"


class EmailIntoThread(JobBase):
    """A client's email about the ticket, posted in its client thread as theirs, with its
    attachments (the email that opened a ticket: its attachments alone, ``text`` empty)."""

    kind: Literal[JobKind.EMAIL_INTO_THREAD] = JobKind.EMAIL_INTO_THREAD
    ref: str
    """The email's Message-ID, hashed."""
    sender: str
    name: str
    text: str
    files: tuple[str, ...] = ()
    """Keys of the email's attachments, kept in Redis until they are uploaded."""
    too_big: tuple[str, ...] = ()
    """The attachments over the limit, named (with their sizes) and not copied."""

    @property
    def id(self) -> str:
        return f"email_in:{self.ticket}:{self.ref}"


class UnknownSender(JobBase):
    """A note in the triage channel: email from a sender of no client's domain (once per
    sender a day; the sender gets no answer)."""

    kind: Literal[JobKind.UNKNOWN_SENDER] = JobKind.UNKNOWN_SENDER
    ticket: int = 0
    sender: str
    subject: str
    day: int

    @property
    def id(self) -> str:
        return f"unknown_sender:{self.sender}:{self.day}"
