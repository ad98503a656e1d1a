"""The jobs of ticket events: an event for the sinks (the pager, the webhook), and the
delivery of a ticket's outbox to one sink."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from bot.domain.jobs.base import JobBase, JobKind


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
