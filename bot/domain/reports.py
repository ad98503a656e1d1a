"""SLA reports: what a ticket leaves for reports (``Outcome``), and the figures.

Pure functions. A report covers the tickets opened in its period, resolved or not. A
ticket's outcome keeps, per clock, the business time it ran until it stopped (under the
plan's calendar for the ticket's severity, pauses not counted), which clocks breached,
and which still run with their deadline ahead (pending). A resolved ticket's outcome is
stored; an unresolved one's is worked out when the report is made. The figures are
computed from those durations, exactly: percentiles by the nearest-rank method (the
smallest value with at least p % of the values at or below it), so every figure is a
duration some ticket really had.

The clocks are data: how each ran (``RUNS``) and how it is shown (``REPORTED``); a new
clock is one more entry in each, and its columns follow everywhere, not a code path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.domain.assignment import holder_at
from bot.domain.calendar import Span, elapsed
from bot.domain.csat import score
from bot.domain.plans import Plan
from bot.domain.sla import PAUSED, SlaClock, clock_stopped_at, is_breached, periods
from bot.domain.text import N_
from bot.domain.tickets import Severity, Status, Ticket

ALL = "all"
"""The severity column of a client's row over all severities (and the all-clients row)."""
EVERYONE = "All clients"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a ticket leaves for reports (a resolved one's is kept after it is archived)."""

    number: int
    channel: str
    severity: Severity
    created_at: float
    resolved_at: float | None
    """None: not resolved (yet)."""
    durations: Mapping[SlaClock, float]
    """SlaClock -> the business seconds it ran until it stopped (a clock that never stopped
    by a response, such as a first response never given, is absent)."""
    breached: frozenset[SlaClock] = frozenset()
    scores: tuple[int, ...] = ()
    """The CSAT ratings (1 to 5), one per person who answered."""
    pending: frozenset[SlaClock] = frozenset()
    """Clocks of a met % still running with their deadline ahead (an unresolved ticket's
    first response still to come, in time so far): neither met nor breached."""
    not_request: bool = False
    """Closed as not a request (a ticket opened from a message): in no figure, counted
    apart per client."""
    holder: str | None = None
    """Whom it counts for: who held it at its first response, else its assignee."""


class OpenedBetween(NamedTuple):
    """The tickets opened in a period: the resolved ones' outcomes (decoded as they are
    consumed), and the numbers of the others."""

    resolved: Iterator[Outcome]
    unresolved: list[int]


class Unresolved(NamedTuple):
    """A ticket not resolved, and the clock and due time of each breach fired for it."""

    ticket: Ticket
    breaches: list[tuple[str, float]]


ClockRun = tuple[float, float, tuple[Span, ...]]
"""How a clock ran on a resolved ticket: from, until, and the pauses between."""


def _first_response(ticket: Ticket) -> ClockRun | None:
    if ticket.first_response_at is None:
        return None
    return ticket.created_at, ticket.first_response_at, ()


def _resolution(ticket: Ticket) -> ClockRun | None:
    """From creation to resolution; waiting on the client, or resolved before a reopen,
    does not count. None while the ticket is not resolved."""
    resolved = ticket.resolved_at
    if resolved is None or ticket.status is not Status.RESOLVED:
        return None
    pauses = tuple(p for p in periods(ticket, PAUSED, Status.RESOLVED) if p[0] < resolved)
    return ticket.created_at, resolved, pauses


RUNS: Mapping[SlaClock, Callable[[Ticket], ClockRun | None]] = {
    SlaClock.INITIAL: _first_response,
    SlaClock.RESOLUTION: _resolution,
}
"""How long each reported clock ran until it stopped (None: it has not), measured on a
ticket (with ``REPORTED``, what a new clock needs to be in reports)."""


def outcome(ticket: Ticket, plan: Plan, breached: Iterable[tuple[str, float]] = (),
            now: float | None = None) -> Outcome:
    """The outcome of a resolved ticket, or (given ``now``) of an unresolved one so far;
    ``breached``: the clock and due time of each breach fired for it
    (``Store.sla_events``). A first response that came late counts as breached even if no
    breach was fired for it (the worker was down, say); one recorded before a fired
    breach's due time does not (Slack stamped the reply before the deadline, by a clock
    behind the desk's, and the desk saw it after the breach went out). A first response
    still to come is breached once its deadline has passed, pending before."""
    stopped = clock_stopped_at(ticket)
    resolved = ticket.resolved_at if ticket.status is Status.RESOLVED else None
    at = resolved if resolved is not None else now
    if at is None:
        raise ValueError(f"{ticket.key} is not resolved: its outcome needs a time")
    calendar = plan.calendar_for(ticket.severity)
    durations: dict[SlaClock, float] = {}
    for clock, run in RUNS.items():
        ran = run(ticket)
        if ran is not None:
            start, end, pauses = ran
            durations[clock] = elapsed(start, end, calendar, pauses)
    clocks = {SlaClock(c) for c, due in breached if c in _CLOCKS
              and not (c == SlaClock.INITIAL and stopped is not None and stopped < due)}
    if is_breached(ticket, plan, at):
        clocks.add(SlaClock.INITIAL)
    pending = frozenset({SlaClock.INITIAL}) if stopped is None and SlaClock.INITIAL not in clocks \
        else frozenset()
    first = ticket.first_response_at
    holder = (holder_at(ticket, first) if first is not None else None) or ticket.assignee
    return Outcome(ticket.number, ticket.channel, ticket.severity, ticket.created_at, resolved,
                   durations, frozenset(clocks), tuple(r.score for r in ticket.ratings),
                   pending, not_request=ticket.not_request_at is not None, holder=holder)


_CLOCKS = frozenset(c.value for c in SlaClock)


def nearest_rank(ordered: Sequence[float], p: int) -> float | None:
    """The ``p``-th percentile (0 < p <= 100) of ``ordered`` (sorted), nearest rank: the
    value at rank ceil(p/100 * n). None when there are no values."""
    if not ordered:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"{p} is not a percentile")
    rank = -(-p * len(ordered) // 100)
    return ordered[rank - 1]


@dataclass(frozen=True)
class Reported:
    """A clock as reports show it: its percentiles, and whether its met % is a column."""

    clock: SlaClock
    label: str
    percentiles: tuple[int, ...]
    met: bool = False


REPORTED: tuple[Reported, ...] = (
    Reported(SlaClock.INITIAL, N_("first response"), (50, 90, 99), met=True),
    Reported(SlaClock.RESOLUTION, N_("resolution"), (50, 90)),
)
"""The clocks reports show, in order. A clock added here is a column more everywhere."""

Value = float | int | None


class Tally:
    """What the figures of a group of tickets are made from, gathered one outcome at a
    time (reports never hold every ticket): each clock's durations, breaches, ratings."""

    __slots__ = ("_sorted", "breached", "breaches", "durations", "not_request", "pending",
                 "scores", "tickets")

    def __init__(self) -> None:
        self.tickets = 0
        self.not_request = 0
        """Tickets closed as not a request: counted apart, in no other figure."""
        self.breaches = 0
        """Tickets with a breach of any clock."""
        self.breached: dict[SlaClock, int] = {}
        self.pending: dict[SlaClock, int] = {}
        self.durations: dict[SlaClock, list[float]] = {}
        self.scores: list[int] = []
        self._sorted: dict[SlaClock, list[float]] = {}

    def add(self, o: Outcome) -> None:
        if o.not_request:
            self.not_request += 1
            return
        self.tickets += 1
        if o.breached:
            self.breaches += 1
            for clock in o.breached:
                self.breached[clock] = self.breached.get(clock, 0) + 1
        for clock in o.pending:
            self.pending[clock] = self.pending.get(clock, 0) + 1
        for clock, seconds in o.durations.items():
            self.durations.setdefault(clock, []).append(seconds)
        self.scores += o.scores

    def merge(self, other: Tally) -> None:
        self.tickets += other.tickets
        self.not_request += other.not_request
        self.breaches += other.breaches
        for clock, count in other.breached.items():
            self.breached[clock] = self.breached.get(clock, 0) + count
        for clock, count in other.pending.items():
            self.pending[clock] = self.pending.get(clock, 0) + count
        for clock, values in other.durations.items():
            self.durations.setdefault(clock, []).extend(values)
        self.scores += other.scores

    def ordered(self, clock: SlaClock) -> list[float]:
        """The clock's durations, sorted once."""
        if clock not in self._sorted:
            self._sorted[clock] = sorted(self.durations.get(clock, ()))
        return self._sorted[clock]


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[Tally], Value]
    duration: bool = False
    """A number of seconds (shown as a duration)."""
    share: bool = False
    """A percentage."""
    template: str = ""
    """The name as the catalog knows it, with ``{clock}`` and ``{p}`` fields (``name``
    filled in English); empty: ``name`` itself."""
    clock: str = ""
    p: int = 0


def _met(clock: SlaClock) -> Callable[[Tally], Value]:
    """Met over met and breached (pending tickets are neither); None when none is either."""
    def met(t: Tally) -> Value:
        decided = t.tickets - t.pending.get(clock, 0)
        return 100 * (decided - t.breached.get(clock, 0)) / decided if decided else None
    return met


def _pending(clock: SlaClock) -> Callable[[Tally], Value]:
    def pending(t: Tally) -> Value:
        return t.pending.get(clock, 0)
    return pending


def _percentile(clock: SlaClock, p: int) -> Callable[[Tally], Value]:
    def percentile(t: Tally) -> Value:
        return nearest_rank(t.ordered(clock), p)
    return percentile


def columns(reported: Sequence[Reported] = REPORTED) -> list[Column]:
    """Tickets, then each reported clock's met % and pending count (where it has a met %)
    and percentiles, breaches, then CSAT."""
    found = [Column(N_("tickets"), lambda t: t.tickets)]
    for r in reported:
        if r.met:
            found.append(Column(f"{r.label} met %", _met(r.clock), share=True,
                                template=N_("{clock} met %"), clock=r.label))
            found.append(Column(f"{r.label} pending", _pending(r.clock),
                                template=N_("{clock} pending"), clock=r.label))
        found += [Column(f"{r.label} p{p}", _percentile(r.clock, p), duration=True,
                         template=N_("{clock} p{p}"), clock=r.label, p=p)
                  for p in r.percentiles]
    found.append(Column(N_("breaches"), lambda t: t.breaches))
    found.append(Column(N_("CSAT average"), lambda t: score(t.scores).average))
    found.append(Column(N_("CSAT ratings"), lambda t: len(t.scores)))
    found.append(Column(N_("not a request"), lambda t: t.not_request))
    return found


COLUMNS = columns()


@dataclass(frozen=True)
class Row:
    client: str
    severity: str
    """A severity's value, or ``all``."""
    values: tuple[Value, ...]
    """One per column of ``COLUMNS``, in order."""
    everyone: bool = False
    """The row of all clients together (last; even beside a client of that name)."""


def figures(outcomes: Iterable[Outcome], names: Mapping[str, str],
            cols: Sequence[Column] = COLUMNS) -> list[Row]:
    """Per client (by name; a channel with no name is shown as its ID) and per severity,
    then the client over all severities; then all clients together, if more than one."""
    groups: dict[tuple[str, Severity], Tally] = {}
    for o in outcomes:
        key = (names.get(o.channel, o.channel), o.severity)
        tally = groups.get(key)
        if tally is None:
            tally = groups[key] = Tally()
        tally.add(o)
    rows: list[Row] = []

    def row(client: str, severity: str, tally: Tally, everyone: bool = False) -> Row:
        return Row(client, severity, tuple(c.value(tally) for c in cols), everyone)

    together = Tally()
    clients = sorted({client for client, _ in groups}, key=str.lower)
    for client in clients:
        mine = Tally()
        for severity in Severity:
            tally = groups.get((client, severity))
            if tally is not None:
                rows.append(row(client, severity.value, tally))
                mine.merge(tally)
        rows.append(row(client, ALL, mine))
        together.merge(mine)
    if len(clients) > 1:
        rows.append(row(EVERYONE, ALL, together, everyone=True))
    return rows


def tickets_in(rows: Sequence[Row]) -> int:
    """How many tickets the figures count (each once)."""
    return sum(int(r.values[0] or 0) for r in rows if r.severity == ALL and not r.everyone)


def csv_cell(value: Value) -> str:
    """A figure as a CSV cell: blank where none, durations to the millisecond."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}".rstrip("0").rstrip(".")


def to_csv(rows: Sequence[Row], cols: Sequence[Column] = COLUMNS) -> str:
    """The figures as CSV: durations in seconds, shares in percent, blanks where none."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["client", "severity",
                     *(f"{c.name} (s)" if c.duration else c.name for c in cols)])
    for r in rows:
        writer.writerow([_csv_safe(r.client), r.severity, *(csv_cell(v) for v in r.values)])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A name a spreadsheet will not run as a formula (``=``, ``+``, ``-``, ``@``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
