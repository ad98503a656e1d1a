"""Service levels: the four clocks, their deadlines, and the timers a ticket should have.

Pure functions of a ticket's state, its plan and the time: the timer queue in Redis is
only a projection of ``desired_timers`` and can always be rebuilt. Every deadline is
business time under the plan's calendar for the ticket's severity (``bot.domain.calendar``)
and moves by the business time a pause lasted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.calendar import Calendar, Span, add
from bot.domain.plans import Ladder, Plan, default_ladder
from bot.domain.tickets import Severity, Status, Ticket


class SlaClock(StrEnum):
    INITIAL = "first response"
    NEXT = "next response"
    UPDATE = "update"
    RESOLUTION = "resolution"


class Step(StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    UPDATE = "update"
    """The client is owed an update (the cadence while support or engineering works)."""
    NEXT_WARNING = "next_warning"
    NEXT_BREACH = "next_breach"
    RESOLVE_WARNING = "resolve_warning"
    RESOLVE_BREACH = "resolve_breach"

    @property
    def clock(self) -> SlaClock:
        return _CLOCK_OF[self]

    @property
    def is_breach(self) -> bool:
        return self in (Step.BREACH, Step.NEXT_BREACH, Step.RESOLVE_BREACH)


_CLOCK_OF = {
    Step.WARNING: SlaClock.INITIAL, Step.BREACH: SlaClock.INITIAL, Step.UPDATE: SlaClock.UPDATE,
    Step.NEXT_WARNING: SlaClock.NEXT, Step.NEXT_BREACH: SlaClock.NEXT,
    Step.RESOLVE_WARNING: SlaClock.RESOLUTION, Step.RESOLVE_BREACH: SlaClock.RESOLUTION,
}
_STEPS = {SlaClock.INITIAL: (Step.WARNING, Step.BREACH),
          SlaClock.NEXT: (Step.NEXT_WARNING, Step.NEXT_BREACH),
          SlaClock.RESOLUTION: (Step.RESOLVE_WARNING, Step.RESOLVE_BREACH)}


@dataclass(frozen=True)
class Timer:
    """A reminder the ticket should get: ``step`` at ``due``, for the deadline ``generation``."""

    step: Step
    due: float
    generation: int
    rung: int = 0
    """Which of the ladder's warning (or breach) steps this is: 0 is the first."""
    repeat: int = 0
    """Which re-notification of its step: 0 is the first notification."""

    @property
    def notification(self) -> str:
        """The once-ever identity of what this timer sends (see ``Ticket.sent``)."""
        return f"{self.step.value}:{self.generation}{rung_suffix(self.rung, self.repeat)}"


@dataclass(frozen=True)
class SlaEvent:
    """An SLA warning or breach as it happened: which clock and step, due and fired when."""

    notification: str
    clock: str
    step: str
    due: float
    fired: float

    @property
    def late_by(self) -> float:
        return max(0.0, self.fired - self.due)


def rung_suffix(rung: int, repeat: int) -> str:
    """How a ladder's later steps and re-notifications are told apart in ids (the first
    step's first notification has none: its ids are as they have always been)."""
    return f":r{rung}.{repeat}" if rung or repeat else ""


@dataclass(frozen=True)
class Window:
    """A clock's current window: ``length`` business seconds from ``start``, not counting
    ``pauses``, ending at ``deadline``."""

    start: float
    length: int
    deadline: float
    calendar: Calendar | None = None
    pauses: tuple[Span, ...] = ()

    @property
    def generation(self) -> int:
        """Changes whenever the deadline moves: the deadline itself, in milliseconds."""
        return round(self.deadline * 1000)

    def warning_due(self, warn_at: float) -> float:
        """``warn_at`` of the window, in business time: never in closed time."""
        return add(self.start, warn_at * self.length, self.calendar, self.pauses)


def _window(start: float, length: int, calendar: Calendar | None,
            pauses: tuple[Span, ...] = ()) -> Window:
    return Window(start, length, add(start, length, calendar, pauses), calendar, pauses)


def _changed_window(ticket: Ticket, start: float, target: Callable[[Severity], int | None],
                    hours: Callable[[Severity], Calendar | None],
                    pauses: tuple[Span, ...] = ()) -> Window | None:
    """A clock's window from ``start``, after the severity changes made since.

    A downgrade counts the new target from the clock's start; an upgrade never makes the
    deadline later, and gives at most the new target counted from the change. Each window
    counts in the hours of its own severity (a plan may keep one 24x7). None when the
    current severity has no target for this clock.
    """
    if not ticket.severity_changes:  # the usual case, and the sweep's hot path
        length = target(ticket.severity)
        return _window(start, length, hours(ticket.severity), pauses) if length else None
    before = [c for c in ticket.severity_changes if c.at <= start]
    after = [c for c in ticket.severity_changes if c.at > start]
    first = before[-1].new if before else (
        after[0].old if after else ticket.severity)
    length = target(first)
    window = _window(start, length, hours(first), pauses) if length else None
    for change in after:
        new, old = target(change.new), target(change.old)
        if not new:
            window = None
        elif window is None or old is None or new >= old:
            window = _window(start, new, hours(change.new), pauses)
        else:
            sooner = _window(change.at, new, hours(change.new), pauses)
            if sooner.deadline < window.deadline:
                window = sooner
    return window


def response_window(ticket: Ticket, plan: Plan) -> Window:
    """The initial-response window after every severity change (see ``_changed_window``)."""
    window = _changed_window(ticket, ticket.created_at, plan.target, plan.calendar_for)
    assert window is not None, "every severity has an initial-response target"
    return window


def clock_stopped_at(ticket: Ticket) -> float | None:
    """When the initial-response clock stopped: the first response or the first resolution.

    The clock is one-shot: once stopped it never runs again, reopened or not. (A ticket
    closed as not a request and made a request again is created anew: what came before
    does not count.)
    """
    stops = [c.at for c in ticket.status_changes
             if c.new is Status.RESOLVED and c.at >= ticket.created_at]
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


def periods(ticket: Ticket, *statuses: Status) -> tuple[Span, ...]:
    """When the ticket was in one of ``statuses`` (a period still going ends at infinity)."""
    spans: list[Span] = []
    since = ticket.created_at if Status.OPEN in statuses else None
    for change in ticket.status_changes:
        if change.new in statuses and since is None:
            since = change.at
        elif change.new not in statuses and since is not None:
            spans.append((since, change.at))
            since = None
    if since is not None:
        spans.append((since, float("inf")))
    return tuple(spans)


PAUSED = Status.WAITING_ON_CLIENT
"""While the ticket waits on the client, the next-response, update and resolution clocks
stand still."""


def next_response_window(ticket: Ticket, plan: Plan) -> Window | None:
    """The window of the client's latest unanswered message (after a staff one), if the plan
    has a next-response target for the ticket's severity."""
    since = ticket.awaiting_since
    if since is None or ticket.status in (Status.RESOLVED, PAUSED):
        return None
    pauses = tuple(p for p in periods(ticket, PAUSED, Status.RESOLVED) if p[1] > since)
    return _changed_window(ticket, since, plan.next_response.get, plan.calendar_for, pauses)


def resolution_window(ticket: Ticket, plan: Plan) -> Window | None:
    """The resolution window while the ticket is open and not waiting on the client; time
    waiting on the client or resolved (before a reopen) does not count."""
    if ticket.status in (Status.RESOLVED, PAUSED):
        return None
    return _changed_window(ticket, ticket.created_at, plan.resolve_within.get,
                           plan.calendar_for, periods(ticket, PAUSED, Status.RESOLVED))


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
    due = add(anchor, period, plan.calendar_for(ticket.severity))
    return Timer(Step.UPDATE, due, round(anchor * 1000))


def windows(ticket: Ticket, plan: Plan) -> dict[SlaClock, Window]:
    """The windows of the clocks that run now (not the update cadence, a timer of its own)."""
    found: dict[SlaClock, Window | None] = {
        SlaClock.INITIAL: response_window(ticket, plan) if clock_running(ticket) else None,
        SlaClock.NEXT: next_response_window(ticket, plan),
        SlaClock.RESOLUTION: resolution_window(ticket, plan),
    }
    return {clock: window for clock, window in found.items() if window is not None}


def ladder_of(ticket: Ticket, plan: Plan, clock: SlaClock, warn_at: float) -> Ladder:
    """The reminders of one of the ticket's clocks: its plan's for its severity; the
    resolution clock's are the default ones."""
    if clock is SlaClock.RESOLUTION:
        return default_ladder(warn_at)
    return plan.ladder(ticket.severity, warn_at)


Running = tuple[dict[SlaClock, Window], Timer | None]
"""The clocks that run now and the update owed (``desired_timers`` and ``urgency`` use)."""


def running(ticket: Ticket, plan: Plan) -> Running:
    return windows(ticket, plan), update_timer(ticket, plan)


def desired_timers(ticket: Ticket, plan: Plan, now: float, warn_at: float,
                   clocks: Running | None = None) -> list[Timer]:
    """The reminders ``ticket`` should still get, in due order (``clocks``: its ``running``).

    Past a deadline only the breach remains (a warning then a breach at once would be
    noise); a notification already sent for a deadline is never due again.
    """
    now_running, update = clocks or running(ticket, plan)
    timers: list[Timer] = []
    for clock, window in now_running.items():
        timers += _ladder_timers(clock, window, ladder_of(ticket, plan, clock, warn_at), now)
    if update is not None:
        timers.append(update)
    return sorted((t for t in timers if t.notification not in ticket.sent), key=lambda t: t.due)


def _ladder_timers(clock: SlaClock, window: Window, ladder: Ladder, now: float) -> list[Timer]:
    """A clock's timers from its ladder: its warnings while the deadline is ahead; each
    breach step and its re-notifications, of which after an outage only the latest due is
    sent (three reminders at once would be noise)."""
    warning, breach = _STEPS[clock]
    gen, timers = window.generation, []
    warnings = [r for r in ladder if not r.at_breach]
    breaches = [r for r in ladder if r.at_breach]
    if now < window.deadline:
        timers += [Timer(warning, window.warning_due(r.share or 0.0), gen, i)
                   for i, r in enumerate(warnings)]
    for i, rung in enumerate(breaches):
        first = add(window.deadline, rung.after, window.calendar) if rung.after else \
            window.deadline
        dues = [first]
        for _ in range(rung.times if rung.every else 0):
            dues.append(add(dues[-1], rung.every or 0, window.calendar))
        steps = [Timer(breach, due, gen, i, k) for k, due in enumerate(dues)]
        past = [t for t in steps if t.due <= now]
        timers += [t for t in steps if t.due > now] + past[-1:]
    return timers


def reminder_current(ticket: Ticket, plan: Plan, step: Step, generation: int) -> bool:
    """Whether a fired reminder still says something true when its messages go out.

    A warning or an update reminder whose deadline moved, or whose clock stopped, since it
    fired is dropped; a breach is a fact, and is told however late.
    """
    if step.is_breach:
        return True
    if step is Step.UPDATE:
        update = update_timer(ticket, plan)
        return update is not None and update.generation == generation
    window = windows(ticket, plan).get(step.clock)
    return window is not None and window.generation == generation


@dataclass(frozen=True)
class ClockState:
    """How a clock other than the initial response stands, for the ticket's posts."""

    clock: SlaClock
    due: float | None
    """The deadline (None while paused)."""
    breached: bool = False

    @property
    def paused(self) -> bool:
        return self.due is None


def clock_states(ticket: Ticket, plan: Plan, now: float) -> list[ClockState]:
    """The next-response, update and resolution clocks that apply now, in that order."""
    states: list[ClockState] = []
    paused = ticket.status is PAUSED
    running = windows(ticket, plan)
    if SlaClock.NEXT in running:
        due = running[SlaClock.NEXT].deadline
        states.append(ClockState(SlaClock.NEXT, due, now >= due))
    elif paused and ticket.awaiting_since is not None and plan.next_response.get(ticket.severity):
        states.append(ClockState(SlaClock.NEXT, None))
    update = update_timer(ticket, plan)
    if update is not None:
        states.append(ClockState(SlaClock.UPDATE, update.due, now >= update.due))
    if SlaClock.RESOLUTION in running:
        due = running[SlaClock.RESOLUTION].deadline
        states.append(ClockState(SlaClock.RESOLUTION, due, now >= due))
    elif paused and plan.resolve_within.get(ticket.severity):
        states.append(ClockState(SlaClock.RESOLUTION, None))
    return states
