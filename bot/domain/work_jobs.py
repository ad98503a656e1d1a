"""The jobs of the places people work in (see ``bot.domain.jobs``): the ticket's card,
App Home, reports and statements, CSAT comments."""

from __future__ import annotations

from typing import Literal

from bot.domain.job_base import JobBase, JobKind


class SyncCard(JobBase):
    """Re-render the ticket's card (the first message of its client thread) from its
    latest state."""

    kind: Literal[JobKind.SYNC_CARD] = JobKind.SYNC_CARD

    @property
    def id(self) -> str:
        return f"sync_card:{self.ticket}"


class RefreshHomes(JobBase):
    """The ticket changed: publish again the App Home of each person who sees it."""

    kind: Literal[JobKind.REFRESH_HOMES] = JobKind.REFRESH_HOMES

    @property
    def id(self) -> str:
        return f"homes:{self.ticket}"


class PublishHome(JobBase):
    """One person's App Home, rendered from the queue now (``views.publish``); at most one
    per person every few seconds, unless they ``asked`` (opened it, turned a page)."""

    kind: Literal[JobKind.PUBLISH_HOME] = JobKind.PUBLISH_HOME
    ticket: int = 0
    user: str
    asked: bool = False

    @property
    def id(self) -> str:
        return f"home:{self.user}"


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
