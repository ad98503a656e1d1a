"""Support plans: a table of severity -> target for each clock, and the hours they count.

Targets are seconds of business time under the plan's calendar, calendar time (24x7)
without one or for the severities the plan keeps 24x7.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from bot.domain.calendar import Calendar
from bot.domain.tickets import Severity

DAY = 86_400
HOUR = 3_600
STANDARD = "standard"

DEFAULT_TARGETS: Mapping[Severity, int] = {
    Severity.CRITICAL: HOUR, Severity.HIGH: 4 * HOUR, Severity.MEDIUM: 8 * HOUR,
    Severity.LOW: DAY,
}

DEFAULT_UPDATE_EVERY: Mapping[Severity, int | None] = {
    Severity.CRITICAL: HOUR, Severity.HIGH: 4 * HOUR, Severity.MEDIUM: DAY, Severity.LOW: None,
}


ROLES = ("account_manager", "assignee", "head_of_support", "pager", "webhook")
"""Who an escalation step can notify, besides a user group (``S...``) or a channel (``C...``)."""


@dataclass(frozen=True)
class Rung:
    """One step of an escalation ladder: whom to notify, and when.

    At ``share`` of a response clock's window (a warning), or ``after`` seconds after its
    breach (0: at the breach itself); then again every ``every`` seconds, up to ``times``
    more, until someone responds.
    """

    notify: tuple[str, ...]
    share: float | None = None
    after: int = 0
    every: int | None = None
    times: int = 0

    @property
    def at_breach(self) -> bool:
        return self.share is None


Ladder = tuple[Rung, ...]


@cache
def default_ladder(warn_at: float) -> Ladder:
    """Today's escalation: the account manager and the assignee at ``WARN_AT``; the head of
    support at the breach."""
    return (Rung(("account_manager", "assignee"), share=warn_at),
            Rung(("head_of_support",)))


@dataclass(frozen=True)
class Plan:
    """A support plan: each clock's target per severity, and the hours they count in."""

    name: str
    targets: Mapping[Severity, int]
    """The initial-response target."""
    update_every: Mapping[Severity, int | None]
    next_response: Mapping[Severity, int | None] = field(default_factory=dict)
    resolve_within: Mapping[Severity, int | None] = field(default_factory=dict)
    calendar: Calendar | None = None
    always: frozenset[Severity] = frozenset()
    """Severities that keep calendar time (24x7) under this plan's calendar."""
    csat: bool = True
    message_severity: Severity | None = Severity.MEDIUM
    """The severity of a ticket opened from a client's plain message; None: the plan's
    clients' messages are not watched."""
    escalation: Mapping[Severity, Ladder] = field(default_factory=dict)
    """The response clocks' escalation ladder per severity (the default where none)."""

    def ladder(self, severity: Severity, warn_at: float) -> Ladder:
        return self.escalation.get(severity) or default_ladder(warn_at)

    def target(self, severity: Severity) -> int:
        return self.targets[severity]

    def calendar_for(self, severity: Severity) -> Calendar | None:
        """The hours a ticket of ``severity`` counts in (None: calendar time, 24x7)."""
        return None if severity in self.always else self.calendar


def default_plans() -> dict[str, Plan]:
    return {STANDARD: Plan(STANDARD, dict(DEFAULT_TARGETS), dict(DEFAULT_UPDATE_EVERY))}


def merge_plan(name: str, base: Plan, **changes: Any) -> Plan:
    """``base`` with the given entries overridden: a plan names only what differs.

    Per-severity tables (``targets``, ``update_every``, ``next_response``,
    ``resolve_within``) are merged entry by entry; the rest replace the base's.
    """
    merged = dict(changes)
    for table in ("targets", "update_every", "next_response", "resolve_within", "escalation"):
        if table in changes:
            merged[table] = {**getattr(base, table), **changes[table]}
    return replace(base, name=name, **merged)
