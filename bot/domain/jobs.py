"""The effects the desk has on the world, each a typed job of its own.

Every Slack post, update, DM, email and triage note is one job: it has its own id (its
idempotency record and its place in the queue), its own retries and its own dead
letter, so one effect that fails never stops another. Pure data: no I/O here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from bot.domain.job_base import JobBase, JobKind, Role
from bot.domain.sla import Step, rung_suffix
from bot.domain.work_jobs import CsatComment, PublishHome, RefreshHomes, ReportDM, SyncCard

__all__ = ["JOB", "Armed", "BreachEmail", "CsatComment", "DeliverOutbox", "EngineeringHandoff",
           "FireTimer", "GroupAlert", "Job", "JobKind", "PostClientThread", "PostTriage",
           "ProblemNote", "PublishHome", "ReactionPrompt", "RefreshHomes", "RelayUpdate",
           "ReminderDM", "ReportDM", "Role", "SeverityNotice", "Sink", "StatusNotice",
           "SyncCard", "SyncTriage", "TicketEvent", "TriageNote"]


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


class FireTimer(JobBase):
    """An SLA timer: when due, and if the ticket still wants it, it fans out its effects."""

    kind: Literal[JobKind.FIRE_TIMER] = JobKind.FIRE_TIMER
    step: Step
    generation: int
    rung: int = 0
    repeat: int = 0

    @property
    def id(self) -> str:
        return (f"timer:{self.ticket}:{self.step.value}:{self.generation}"
                f"{rung_suffix(self.rung, self.repeat)}")


class ReminderDM(JobBase):
    kind: Literal[JobKind.REMINDER_DM] = JobKind.REMINDER_DM
    step: Step
    generation: int
    user: str
    role: Role
    rung: int = 0
    repeat: int = 0

    @property
    def id(self) -> str:
        return (f"dm:{self.ticket}:{self.step.value}:{self.generation}:{self.user}"
                f"{rung_suffix(self.rung, self.repeat)}")


class TriageNote(JobBase):
    """A reminder's note in the ticket's triage thread, naming who was told."""

    kind: Literal[JobKind.TRIAGE_NOTE] = JobKind.TRIAGE_NOTE
    step: Step
    generation: int
    told: tuple[str, ...] = ()
    """The people sent a DM."""
    alerted: tuple[str, ...] = ()
    """The user groups and channels alerted."""
    emailed: str | None = None
    """The head of support's address, when the step emails them."""
    rung: int = 0
    repeat: int = 0

    @property
    def id(self) -> str:
        return (f"note:{self.ticket}:{self.step.value}:{self.generation}"
                f"{rung_suffix(self.rung, self.repeat)}")


class BreachEmail(JobBase):
    kind: Literal[JobKind.BREACH_EMAIL] = JobKind.BREACH_EMAIL
    generation: int
    to: str
    step: Step = Step.BREACH
    rung: int = 0
    repeat: int = 0

    @property
    def id(self) -> str:
        return (f"email:{self.ticket}:{self.step.value}:{self.generation}"
                f"{rung_suffix(self.rung, self.repeat)}")


class GroupAlert(JobBase):
    """An escalation step to a user group (mentioned in the triage thread) or a channel (a
    post there)."""

    kind: Literal[JobKind.GROUP_ALERT] = JobKind.GROUP_ALERT
    step: Step
    generation: int
    target: str
    """``S...``: a user group; ``C...``: a channel."""
    rung: int = 0
    repeat: int = 0

    @property
    def id(self) -> str:
        return (f"alert:{self.ticket}:{self.step.value}:{self.generation}:{self.target}"
                f"{rung_suffix(self.rung, self.repeat)}")


class ProblemNote(JobBase):
    """An effect that could not be delivered, told in the ticket's triage thread."""

    kind: Literal[JobKind.PROBLEM_NOTE] = JobKind.PROBLEM_NOTE
    what: str
    """What failed, in plain words: ``DM to U0123 (account manager)``."""
    error: str
    hint: str = ""
    recipient: str | None = None
    """The person who could not be reached, if it was a person."""

    @property
    def id(self) -> str:
        """Once per cause: the same person unreachable for the same reason is told once."""
        cause = hashlib.sha1(f"{self.recipient or self.what}|{self.error}".encode()).hexdigest()
        return f"problem:{self.ticket}:{cause[:12]}"


class Sink(StrEnum):
    """Where ticket events go besides Slack: on-call paging, a webhook receiver."""

    PAGER = "pager"
    WEBHOOK = "webhook"


class TicketEvent(JobBase):
    """Something that happened to a ticket, for the event sinks. Not run by the worker:
    the change that makes it appends it, numbered, to each sink's outbox for the ticket,
    and arms that outbox's delivery (one job per ticket and sink, so events go in order)."""

    kind: Literal[JobKind.TICKET_EVENT] = JobKind.TICKET_EVENT
    event: str
    at: float
    sinks: tuple[Sink, ...]
    data: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    seq: int = 0
    """Numbered by the change's script: 1, 2, 3... per ticket."""

    @property
    def id(self) -> str:
        return f"event:{self.ticket}:{self.seq}"


class DeliverOutbox(JobBase):
    """Send a ticket's pending events to one sink, oldest first, each once."""

    kind: Literal[JobKind.DELIVER_OUTBOX] = JobKind.DELIVER_OUTBOX
    sink: Sink

    @property
    def id(self) -> str:
        return f"outbox:{self.sink.value}:{self.ticket}"


Job = Annotated[
    PostClientThread | PostTriage | SyncTriage | StatusNotice | SeverityNotice | RelayUpdate
    | EngineeringHandoff | ReactionPrompt | FireTimer | ReminderDM | TriageNote | BreachEmail
    | GroupAlert | ProblemNote | TicketEvent | DeliverOutbox | SyncCard | RefreshHomes
    | PublishHome | ReportDM | CsatComment,
    Field(discriminator="kind"),
]

JOB: TypeAdapter[Job] = TypeAdapter(Job)
"""Reads a job from its JSON in the queue (raises ``ValidationError`` on anything else)."""


@dataclass(frozen=True)
class Armed:
    """A job to arm, due at ``due`` (epoch seconds; 0: now, by Redis's clock)."""

    job: Job
    due: float = 0.0
