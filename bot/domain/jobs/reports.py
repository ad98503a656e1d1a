"""The jobs of reports by DM (asked for, or a monthly statement) and of CSAT comments."""

from __future__ import annotations

from typing import Literal

from bot.domain.jobs.base import JobBase, JobKind


class ReportDM(JobBase):
    """An SLA report (its summary, then its CSV in the summary's thread) by DM: asked for
    with ``/ticket report``, or a client's monthly statement to its account manager."""

    kind: Literal[JobKind.REPORT_DM] = JobKind.REPORT_DM
    ticket: int = 0
    ref: str
    """What makes it unique: the command that asked for it, or ``statement:<c>:<month>``."""
    user: str | None
    """Whom to DM; None: the account manager of ``channel``'s client when it goes out."""
    start: float
    end: float
    label: str
    channel: str | None = None
    """The one client reported on (its channel); None: every client."""

    @property
    def id(self) -> str:
        return f"report:{self.ref}"


class CsatComment(JobBase):
    """A client's CSAT comment, told in the ticket's triage thread."""

    kind: Literal[JobKind.CSAT_COMMENT] = JobKind.CSAT_COMMENT
    user: str
    ref: str
    """The modal submission it came from."""

    @property
    def id(self) -> str:
        return f"csat_comment:{self.ticket}:{self.ref}"

