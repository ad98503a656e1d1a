"""The jobs of a ticket's posts: its client thread and card, its triage post, the
notices and updates in the client thread, the engineering hand-off, reaction prompts."""

from __future__ import annotations

from typing import Literal

from bot.domain.jobs.base import JobBase, JobKind


class PostClientThread(JobBase):
    """The ticket's first message in the client channel: it becomes the ticket's thread."""

    kind: Literal[JobKind.POST_CLIENT_THREAD] = JobKind.POST_CLIENT_THREAD

    @property
    def id(self) -> str:
        return f"client_thread:{self.ticket}"


class PostTriage(JobBase):
    """The ticket's post in the triage channel."""

    kind: Literal[JobKind.POST_TRIAGE] = JobKind.POST_TRIAGE

    @property
    def id(self) -> str:
        return f"triage:{self.ticket}"


class SyncTriage(JobBase):
    """Re-render the triage post from the ticket's latest state."""

    kind: Literal[JobKind.SYNC_TRIAGE] = JobKind.SYNC_TRIAGE

    @property
    def id(self) -> str:
        return f"sync_triage:{self.ticket}"


class StatusNotice(JobBase):
    """The client told of a status change (``change``: its index in the history)."""

    kind: Literal[JobKind.STATUS_NOTICE] = JobKind.STATUS_NOTICE
    change: int

    @property
    def id(self) -> str:
        return f"status:{self.ticket}:{self.change}"


class SeverityNotice(JobBase):
    kind: Literal[JobKind.SEVERITY_NOTICE] = JobKind.SEVERITY_NOTICE
    change: int

    @property
    def id(self) -> str:
        return f"severity:{self.ticket}:{self.change}"


class RelayUpdate(JobBase):
    """A staff member's update, posted in the client thread under their name."""

    kind: Literal[JobKind.RELAY_UPDATE] = JobKind.RELAY_UPDATE
    ref: str
    """What makes it unique: the modal submission it came from."""
    by: str
    text: str

    @property
    def id(self) -> str:
        return f"update:{self.ticket}:{self.ref}"


class EngineeringHandoff(JobBase):
    kind: Literal[JobKind.ENGINEERING_HANDOFF] = JobKind.ENGINEERING_HANDOFF
    by: str

    @property
    def id(self) -> str:
        return f"engineering:{self.ticket}"


class ReactionPrompt(JobBase):
    """A :ticket: reaction answered in its thread with an Open a ticket button."""

    kind: Literal[JobKind.REACTION_PROMPT] = JobKind.REACTION_PROMPT
    ticket: int = 0
    channel: str
    ts: str
    by: str

    @property
    def id(self) -> str:
        return f"prompt:{self.channel}:{self.ts}"


class SyncCard(JobBase):
    """Re-render the ticket's card (the first message of its client thread) from its
    latest state."""

    kind: Literal[JobKind.SYNC_CARD] = JobKind.SYNC_CARD

    @property
    def id(self) -> str:
        return f"sync_card:{self.ticket}"
