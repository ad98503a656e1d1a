"""The registry of effect handlers by job kind, and of what each kind's failing for good
leads to. The composition root builds it from each delivery module's ``handlers`` and
``CONSEQUENCES``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.delivery.job_run import Run
from bot.domain.jobs import Job, JobKind

Handler = Callable[[Any, Run], Awaitable[None]]
"""Carries out one job (of the kind it is registered for)."""
Consequence = Callable[[Any, str], list[Job]]
"""The jobs to arm when a job failed for good with this error (a note in the ticket's
triage thread saying who or what could not be reached and why, once per cause)."""
Handlers = Mapping[JobKind, Handler]
Consequences = Mapping[JobKind, Consequence]


class Registry:
    """Job kind -> the one function that delivers it (arq's way: by name, not an if-chain),
    and what follows when it fails for good."""

    def __init__(self) -> None:
        self._handlers: dict[JobKind, Handler] = {}
        self._consequences: dict[JobKind, Consequence] = {}

    def add(self, handlers: Handlers, consequences: Consequences | None = None) -> None:
        """A module's handlers, and the consequences of its jobs' failures (each for a kind
        it handles). Refuses a second handler (or consequence) for a kind."""
        consequences = consequences or {}
        for kind in handlers:
            if kind in self._handlers:
                raise ValueError(f"two handlers for {kind}")
        for kind in consequences:
            if kind not in handlers:
                raise ValueError(f"the consequence of {kind} is not beside its handler")
        self._handlers.update(handlers)
        self._consequences.update(consequences)

    async def run(self, job: Job, run: Run) -> None:
        await self._handlers[job.kind](job, run)

    def consequences(self, job: Job, error: str) -> list[Job]:
        """What to arm now that ``job`` failed for good with ``error`` (nothing for most)."""
        consequence = self._consequences.get(job.kind)
        return consequence(job, error) if consequence else []

    def kinds(self) -> frozenset[JobKind]:
        return frozenset(self._handlers)
