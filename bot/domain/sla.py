"""Service levels: plans, deadlines and the timers a ticket should have.

Pure functions of a ticket's state, its plan and the time: the timer queue in
Redis is only a projection of ``desired_timers`` and can always be rebuilt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.tickets import Severity, Status, Ticket

DAY = 86_400

DEFAULT_TARGETS: Mapping[Severity, int] = {
    Severity.CRITICAL: 3_600,
    Severity.HIGH: 4 * 3_600,
    Severity.MEDIUM: 8 * 3_600,
    Severity.LOW: DAY,
}

DEFAULT_UPDATE_EVERY: Mapping[Severity, int | None] = {
    Severity.CRITICAL: 3_600,
    Severity.HIGH: 4 * 3_600,
    Severity.MEDIUM: DAY,
    Severity.LOW: None,
}

STANDARD = "standard"


@dataclass(frozen=True)
class Plan:
    """A support plan: severity -> initial-response target, in seconds of calendar time."""

    name: str
    targets: Mapping[Severity, int]
    update_every: Mapping[Severity, int | None]

    def target(self, severity: Severity) -> int:
        return self.targets[severity]


def default_plans() -> dict[str, Plan]:
    return {STANDARD: Plan(STANDARD, dict(DEFAULT_TARGETS), dict(DEFAULT_UPDATE_EVERY))}


def merge_plan(
    name: str,
    base: Plan,
    targets: Mapping[Severity, int],
    update_every: Mapping[Severity, int | None],
) -> Plan:
    """``base`` with the given entries overridden: a plan names only what differs."""
    return Plan(name, {**base.targets, **targets}, {**base.update_every, **update_every})


class Step(StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    UPDATE = "update"
    """The client is owed an update (the cadence while support or engineering works)."""


@dataclass(frozen=True)
class Timer:
    """A reminder the ticket should get: ``step`` at ``due``, for the deadline ``generation``."""

    step: Step
    due: float
    generation: int

    @property
    def notification(self) -> str:
        """The once-ever identity of what this timer sends (see ``Ticket.sent``)."""
        return f"{self.step.value}:{self.generation}"


@dataclass(frozen=True)
class Window:
    """The current response window: it ends at ``deadline`` and lasts ``length`` seconds."""

    deadline: float
    length: int

    @property
    def generation(self) -> int:
        """Changes whenever the deadline moves: the deadline itself, in milliseconds."""
        return round(self.deadline * 1000)


def response_window(ticket: Ticket, plan: Plan) -> Window:
    """The initial-response window after every severity change.

    A downgrade counts the new target from creation; an upgrade never makes the
    deadline later, and gives at most the new target counted from the change.
    """
    length = plan.target(ticket.severity_changes[0].old if ticket.severity_changes
                         else ticket.severity)
    deadline = ticket.created_at + length
    for change in ticket.severity_changes:
        target = plan.target(change.new)
        if target >= plan.target(change.old):
            deadline, length = ticket.created_at + target, target
        elif change.at + target < deadline:
            deadline, length = change.at + target, target
    return Window(deadline, length)


def clock_stopped_at(ticket: Ticket) -> float | None:
    """When the initial-response clock stopped: the first response or the first resolution.

    The clock is one-shot: once stopped it never runs again, reopened or not.
    """
    stops = [c.at for c in ticket.status_changes if c.new is Status.RESOLVED]
    if ticket.resolved_at is not None:
        stops.append(ticket.resolved_at)
    if ticket.first_response_at is not None:
        stops.append(ticket.first_response_at)
    return min(stops) if stops else None


def clock_running(ticket: Ticket) -> bool:
    return clock_stopped_at(ticket) is None


def is_breached(ticket: Ticket, plan: Plan, now: float) -> bool:
    """Breached from the deadline itself on (``now >= deadline``) if the clock was still running."""
    deadline = response_window(ticket, plan).deadline
    stopped = clock_stopped_at(ticket)
    return (now if stopped is None else stopped) >= deadline


UPDATE_OWED = frozenset({Status.CLAIMED, Status.WITH_ENGINEERING})


def update_timer(ticket: Ticket, plan: Plan) -> Timer | None:
    """When the client is next owed an update, while support or engineering works on it.

    Counted from the last staff message to the client, or from when the ticket entered
    its status, whichever is later; only once there has been a first response.
    """
    period = plan.update_every.get(ticket.severity)
    if (ticket.status not in UPDATE_OWED or ticket.first_response_at is None
            or not period):
        return None
    anchor = max(ticket.last_update_at or ticket.first_response_at, ticket.status_since)
    return Timer(Step.UPDATE, anchor + period, round(anchor * 1000))


def desired_timers(ticket: Ticket, plan: Plan, now: float, warn_at: float) -> list[Timer]:
    """The reminders ``ticket`` should still get, in due order.

    Past the deadline only the breach remains (a warning then a breach at once
    would be noise); a notification already sent for this deadline is never due again.
    """
    timers: list[Timer] = []
    if clock_running(ticket):
        window = response_window(ticket, plan)
        gen = window.generation
        if now < window.deadline:
            warn_due = window.deadline - (1 - warn_at) * window.length
            timers.append(Timer(Step.WARNING, warn_due, gen))
        timers.append(Timer(Step.BREACH, window.deadline, gen))
    update = update_timer(ticket, plan)
    if update is not None:
        timers.append(update)
    return [t for t in timers if t.notification not in ticket.sent]


def reminder_current(ticket: Ticket, plan: Plan, step: Step, generation: int) -> bool:
    """Whether a fired reminder still says something true when its messages go out.

    A warning or an update reminder whose deadline moved, or whose clock stopped, since it
    fired is dropped; a breach is a fact, and is told however late.
    """
    if step is Step.BREACH:
        return True
    if step is Step.WARNING:
        return (clock_running(ticket)
                and response_window(ticket, plan).generation == generation)
    update = update_timer(ticket, plan)
    return update is not None and update.generation == generation
