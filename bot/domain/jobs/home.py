"""The jobs of App Home: refresh the Homes a changed ticket is on, publish one Home."""

from __future__ import annotations

from typing import Literal

from bot.domain.jobs.base import JobBase, JobKind


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
