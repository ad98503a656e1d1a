"""The jobs of assignment: the client and the assignee told of an assignment, the desk's
own assignment of a ticket (again every minute while nobody is available), the hand-over
of a silent assignee's ticket, an assignee who cannot be reached skipped, and a note in
the triage thread."""

from __future__ import annotations

import hashlib
from typing import Literal

from bot.domain.jobs.base import JobBase, JobKind


class AssignedNotice(JobBase):
    """The client thread told who now looks after the ticket (``change``: the assignment's
    index in the ticket's history)."""

    kind: Literal[JobKind.ASSIGNED_NOTICE] = JobKind.ASSIGNED_NOTICE
    change: int

    @property
    def id(self) -> str:
        return f"assigned:{self.ticket}:{self.change}"


class AssignedDM(JobBase):
    """A DM about an assignment: to the new assignee, or to the one it was taken from."""

    kind: Literal[JobKind.ASSIGNED_DM] = JobKind.ASSIGNED_DM
    change: int
    user: str

    @property
    def id(self) -> str:
        return f"assigned_dm:{self.ticket}:{self.change}:{self.user}"


class AutoAssign(JobBase):
    """The desk assigns the ticket (``after``: its assignment, at that index, went unanswered
    or its assignee could not be reached: hand it to someone else; -1: a new ticket)."""

    kind: Literal[JobKind.AUTO_ASSIGN] = JobKind.AUTO_ASSIGN
    after: int = -1
    unreachable: str | None = None
    """The assignee who could not be DMed: skipped for a day."""

    @property
    def id(self) -> str:
        skipped = f":{self.unreachable}" if self.unreachable else ""
        return f"auto_assign:{self.ticket}:{self.after}{skipped}"


class AssignmentNote(JobBase):
    """A note in the ticket's triage thread about its assignment, once each: nobody is
    available (``reason``), or it passed from ``previous`` to ``to`` (or stays with
    ``previous``) because they did not answer or could not be reached (``unreachable``)."""

    kind: Literal[JobKind.ASSIGNMENT_NOTE] = JobKind.ASSIGNMENT_NOTE
    reason: str | None = None
    previous: str | None = None
    to: str | None = None
    unreachable: bool = False

    @property
    def id(self) -> str:
        what = f"{self.reason}|{self.previous}|{self.to}|{self.unreachable}"
        return f"assign_note:{self.ticket}:{hashlib.sha1(what.encode()).hexdigest()[:12]}"
