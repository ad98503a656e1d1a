"""Support plans: a table of severity -> target for each clock, and the hours they count.

Targets are seconds of business time under the plan's calendar, calendar time (24x7)
without one or for the severities the plan keeps 24x7.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
    for table in ("targets", "update_every", "next_response", "resolve_within"):
        if table in changes:
            merged[table] = {**getattr(base, table), **changes[table]}
    return replace(base, name=name, **merged)
