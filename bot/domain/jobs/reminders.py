"""The jobs of SLA reminders: a timer, and each message its step sends (a DM, a group
alert, the triage note, the breach email); and the note of an effect that failed."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import Field

from bot.domain.jobs.base import JobBase, JobKind, Role
from bot.domain.sla import Step, rung_suffix


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
    """What failed, in plain words, as written (the catalog translates it), its ``{name}``
    fields filled from ``params``: ``DM <@{user}> ({role}) about the {step}``."""
    error: str
    hint: str = ""
    recipient: str | None = None
    """The person who could not be reached, if it was a person."""
    params: dict[str, str] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        """Once per cause: the same person unreachable for the same reason is told once."""
        what = self.what.format(**self.params) if self.params else self.what
        cause = hashlib.sha1(f"{self.recipient or what}|{self.error}".encode()).hexdigest()
        return f"problem:{self.ticket}:{cause[:12]}"
