"""The effects the desk has on the world, each a typed job of its own.

Every Slack post, update, DM, email and triage note is one job: it has its own id (its
idempotency record and its place in the queue), its own retries and its own dead
letter, so one effect that fails never stops another. Pure data: no I/O here.

The jobs are grouped as the effect handlers that carry them out are (``bot.delivery``):
a ticket's posts, SLA reminders, ticket events' outbox, App Home, reports. This package
is where every job is named; import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, TypeAdapter

from bot.domain.jobs.assignment import AssignedDM, AssignedNotice, AssignmentNote, AutoAssign
from bot.domain.jobs.base import JobBase, JobKind, Role
from bot.domain.jobs.email import (
    EmailAck,
    EmailIntoThread,
    EmailOrigin,
    EmailOut,
    UnknownSender,
)
from bot.domain.jobs.home import PublishHome, RefreshHomes
from bot.domain.jobs.outbox import DeliverOutbox, Sink, TicketEvent
from bot.domain.jobs.posts import (
    EngineeringHandoff,
    PostClientThread,
    PostTriage,
    ReactionPrompt,
    RelayUpdate,
    SeverityNotice,
    StatusNotice,
    SyncCard,
    SyncTriage,
)
from bot.domain.jobs.reminders import (
    BreachEmail,
    FireTimer,
    GroupAlert,
    ProblemNote,
    ReminderDM,
    TriageNote,
)
from bot.domain.jobs.reports import CsatComment, ReportDM
from bot.domain.jobs.watch import ClientRelay, FollowUpNote, RemoveCard

__all__ = [
    "JOB",
    "Armed",
    "AssignedDM",
    "AssignedNotice",
    "AssignmentNote",
    "AutoAssign",
    "BreachEmail",
    "ClientRelay",
    "CsatComment",
    "DeliverOutbox",
    "EmailAck",
    "EmailIntoThread",
    "EmailOrigin",
    "EmailOut",
    "EngineeringHandoff",
    "FireTimer",
    "FollowUpNote",
    "GroupAlert",
    "Job",
    "JobBase",
    "JobKind",
    "PostClientThread",
    "PostTriage",
    "ProblemNote",
    "PublishHome",
    "ReactionPrompt",
    "RefreshHomes",
    "RelayUpdate",
    "ReminderDM",
    "RemoveCard",
    "ReportDM",
    "Role",
    "SeverityNotice",
    "Sink",
    "StatusNotice",
    "SyncCard",
    "SyncTriage",
    "TicketEvent",
    "TriageNote",
    "UnknownSender",
]


Job = Annotated[
    PostClientThread | PostTriage | SyncTriage | StatusNotice | SeverityNotice | RelayUpdate
    | EngineeringHandoff | ReactionPrompt | FireTimer | ReminderDM | TriageNote | BreachEmail
    | GroupAlert | ProblemNote | TicketEvent | DeliverOutbox | SyncCard | RefreshHomes
    | PublishHome | ReportDM | CsatComment | FollowUpNote | ClientRelay | RemoveCard
    | AssignedNotice | AssignedDM | AutoAssign | AssignmentNote | EmailOrigin | EmailAck
    | EmailOut | EmailIntoThread | UnknownSender,
    Field(discriminator="kind"),
]

JOB: TypeAdapter[Job] = TypeAdapter(Job)
"""Reads a job from its JSON in the queue (raises ``ValidationError`` on anything else)."""


@dataclass(frozen=True)
class Armed:
    """A job to arm, due at ``due`` (epoch seconds; 0: now, by Redis's clock)."""

    job: Job
    due: float = 0.0
