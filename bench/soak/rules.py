"""The SLA rules as the soak's checker reads them, written again from the product's
documented rules (none of the desk's code: a checker reusing it would share its mistakes):
which warnings and breaches a run's history calls for, to whom, and when.

Each instant of the history is uncertain (``Span``): the desk took an action between when
it was sent and when its answer came back. So a notification is due within a span, and
its clock surely ran then, surely had stopped, or either.

- Initial response: from creation to the first staff reply or resolution; never paused,
  never again after a reopen. Warning at ``warn_at`` of the target: a DM to the account
  manager and the assignee, a triage note, a webhook ``warning``; breach at the target: a
  DM to the head of support, an email to them, a triage note, the triage post BREACHED,
  a ``breach`` event to each webhook and pager.
- Next response: from a client's message after a staff one (when none runs) to the next
  staff message or the resolution; paused while waiting on the client. A pause moves the
  deadline, so the generation: each warns and breaches once (its warning at once on
  resuming, if due by then). Past a deadline only the breach is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bench.soak.history import History, Span, histories, stamped, took
from bench.soak.record import Action, Config, Fault

TOLERANCE = 0.05
"""Seconds of slack for "surely before" and "early"."""
GRACE = 2.0
"""Seconds a notification may take after its due time (or after a fault ends)."""
SETTLE = 5.0
"""Nothing due in the run's last seconds is required: it may still be on its way."""

Clock = Literal["initial", "next"]
Step = Literal["warning", "breach"]
Medium = Literal["dm", "note", "email", "webhook", "pager", "post"]
Running = Literal["yes", "maybe", "no"]


def add(start: float, seconds: float, pauses: Sequence[tuple[float, float]]) -> float:
    """``seconds`` of running time after ``start``, not counting ``pauses``."""
    at, left = start, seconds
    for a, b in sorted(pauses):
        if b <= at or b <= a:
            continue
        if at + left <= a:
            break
        left -= max(0.0, a - at)
        at = max(at, b)
    return at + left


def allowed(hi: float, faults: Sequence[Fault]) -> float:
    """The latest a notification due by ``hi`` may arrive: ``GRACE`` after it, or after
    the end of a fault under way meanwhile (a chain of them)."""
    latest = hi + GRACE
    for fault in sorted(faults, key=lambda f: f.start):
        if fault.start <= latest and fault.end >= hi:
            latest = max(latest, fault.end + GRACE)
    return latest


@dataclass(frozen=True)
class Segment:
    """One generation of a clock: its notifications, due in ``warning`` and ``deadline``;
    it ran from ``begin`` (a resume, or the clock's start) until ``end`` (None: never)."""

    clock: Clock
    begin: Span
    end: Span | None
    warning: Span
    deadline: Span


@dataclass(frozen=True)
class Due:
    """A notification the rules call for (``running`` says how surely)."""

    ticket: str
    clock: Clock
    step: Step
    medium: Medium
    to: str
    """A DM's user, a hook's receiver; empty for the rest."""
    role: str
    due: Span
    deadline: Span
    latest: float
    """Its latest allowed delivery (``allowed``)."""
    running: Running
    stopped: Span | None = None
    """When its clock stopped (or paused), if it did."""

    @property
    def kind(self) -> str:
        return kind_name(self.clock, self.step, self.medium, self.role)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return self.ticket, self.clock, self.step, self.medium, self.to


def kind_name(clock: str, step: str, medium: str, role: str = "") -> str:
    what = {"dm": f"DM to {role}", "note": "triage note", "email": "email",
            "webhook": "webhook event", "pager": "pager event",
            "post": "triage post BREACHED"}.get(medium, medium)
    return f"{clock} {step} {what}"


@dataclass
class Walk:
    """The state the next-response clock and the assignee depend on, action by action."""

    status: str = "open"
    staff_spoke: bool = False
    assignee: str | None = None
    assignments: list[tuple[Span, str]] = field(default_factory=list)
    awaiting: Span | None = None
    pauses: list[tuple[Span, Span]] = field(default_factory=list)
    paused: Span | None = None
    begin: Span | None = None
    segments: list[Segment] = field(default_factory=list)
    resolved: list[tuple[Span, bool]] = field(default_factory=list)
    """Each resolve (True) and reopen (False), in order."""


def walk(history: History, target: float | None, warn_at: float) -> Walk:
    state = Walk()

    def close(end: Span | None) -> None:
        if state.begin is not None and state.awaiting is not None and target:
            state.segments.append(next_segment(state.awaiting, state.begin, end,
                                               state.pauses, target, warn_at))
        state.begin = None

    def resume(at: Span) -> None:
        if state.paused is not None and state.awaiting is not None:
            state.pauses.append((state.paused, at))
            state.begin = at
            last = state.segments[-1] if state.segments else None
            if last is not None and state.paused.lo >= last.deadline.hi:
                state.segments.pop()  # paused past its deadline: the same generation
                state.begin = last.begin
        state.paused = None

    for action in history.actions:
        at, kind = took(action), action.kind
        user = action.detail.get("user")
        if kind == "staff_reply":
            close(at)
            state.staff_spoke, state.awaiting, state.pauses = True, None, []
        elif kind == "client_reply":
            if state.status == "resolved":
                state.status = "claimed" if state.assignee else "open"
                state.resolved.append((at, False))
            elif state.status == "waiting":
                state.status = "claimed"
                resume(at)
            if state.staff_spoke and state.awaiting is None:
                start = stamped(action)
                state.awaiting, state.begin, state.pauses = start, start, []
        elif kind in ("claim", "assign") and isinstance(user, str):
            if (state.status == "open" and state.assignee is None) or (
                    kind == "assign" and state.status != "resolved"):
                if state.assignee != user:
                    state.assignments.append((at, user))
                state.assignee = user
                state.status = "claimed" if state.status == "open" else state.status
        elif kind == "wait_client" and state.assignee and state.status in (
                "claimed", "engineering"):
            close(at)
            state.status, state.paused = "waiting", at
        elif kind == "engineering" and state.assignee and state.status in (
                "claimed", "waiting"):
            if state.status == "waiting":
                resume(at)
            state.status = "engineering"
        elif kind == "resolve" and state.status != "resolved":
            close(at)
            state.status, state.awaiting, state.paused = "resolved", None, None
            state.resolved.append((at, True))
        elif kind == "reopen" and state.status == "resolved":
            state.status = "claimed" if state.assignee else "open"
            state.resolved.append((at, False))
    close(None)
    return state


def next_segment(start: Span, begin: Span, end: Span | None, pauses: list[tuple[Span, Span]],
                 target: float, warn_at: float) -> Segment:
    """A next-response generation: its deadline and warning moved by the pauses so far,
    the earliest with the shortest pauses, the latest with the longest."""
    short = [(a.hi, b.lo) for a, b in pauses]
    long = [(a.lo, b.hi) for a, b in pauses]
    warning = Span(max(add(start.lo, warn_at * target, short), begin.lo),
                   max(add(start.hi, warn_at * target, long), begin.hi))
    return Segment("next", begin, end, warning,
                   Span(add(start.lo, target, short), add(start.hi, target, long)))


def initial_segment(history: History, target: float, warn_at: float) -> Segment:
    stop = next((took(a) for a in history.actions if a.kind in ("staff_reply", "resolve")),
                None)
    start = history.opened
    return Segment("initial", start, stop,
                   Span(start.lo + warn_at * target, start.hi + warn_at * target),
                   Span(start.lo + target, start.hi + target))


def running_at(segment: Segment, due: Span, until: float, ended: float) -> Running:
    """Whether the clock surely ran from ``due`` until ``until`` (then the notification is
    required, if due soon enough before the run ended), surely stopped before ``due``, or
    either: a notification may fire as late as ``GRACE`` after its due time, and a
    warning may be dropped as stale up to its latest delivery."""
    end = segment.end
    if end is not None and end.hi < due.lo - TOLERANCE:
        return "no"
    return "yes" if (end is None or end.lo > until) and due.hi < ended - SETTLE else "maybe"


def assignees(walked: Walk, due: Span, latest: float) -> tuple[str | None, set[str]]:
    """Who surely is the assignee while the warning may fire, and who may be."""
    before = [user for at, user in walked.assignments if at.hi < due.lo]
    during = {user for at, user in walked.assignments if at.hi >= due.lo and at.lo <= latest}
    first = before[-1] if before else None
    if not during:
        return first, set()
    return None, during | ({first} if first else set())


def segment_dues(history: History, segment: Segment, walked: Walk, manager: str,
                 config: Config, faults: Sequence[Fault], receivers: Sequence[tuple[str, str]]
                 ) -> list[Due]:
    """A generation's notifications: to the account ``manager``, the assignee, the head
    of support, the triage thread and post, and each hook receiver ((kind, name))."""
    dues: list[Due] = []
    breach_latest = allowed(segment.deadline.hi, faults)
    breach_running = running_at(segment, segment.deadline, segment.deadline.hi + GRACE,
                                config.ended)

    def due(step: Step, medium: Medium, to: str = "", role: str = "",
            running: Running | None = None) -> None:
        span = segment.warning if step == "warning" else segment.deadline
        latest = allowed(span.hi, faults)
        until = latest if step == "warning" else span.hi + GRACE
        state = running or running_at(segment, span, until, config.ended)
        if step == "warning" and state == "yes" and segment.deadline.lo <= latest:
            state = "maybe"  # the breach was due at once: only it is sent
        if state == "yes" and not (history.certain and history.number):
            state = "maybe"  # the runner saw its opening fail, or never saw its number
        dues.append(Due(history.ticket, segment.clock, step, medium, to, role, span,
                        segment.deadline, latest, state, segment.end))

    warned_latest = allowed(segment.warning.hi, faults)
    sure, maybe = assignees(walked, segment.warning, warned_latest)
    if manager:
        due("warning", "dm", manager, "account manager")
    if sure and sure != manager:
        due("warning", "dm", sure, "assignee")
    for user in sorted(maybe - {manager}):
        due("warning", "dm", user, "assignee", "maybe")
    due("warning", "note")
    if config.lead:
        due("breach", "dm", config.lead, "head of support")
    if config.lead_email:
        due("breach", "email", config.lead_email)
    due("breach", "note")
    for channel, name in receivers:
        if channel == "webhook":
            due("warning", "webhook", name)
        due("breach", "webhook" if channel == "webhook" else "pager", name)
    if segment.clock == "initial":
        replied = next((took(a) for a in history.actions if a.kind == "staff_reply"), None)
        flag = breach_running
        if flag == "yes" and replied is not None and replied.lo <= breach_latest:
            flag = "maybe"  # answered before the post was redrawn: it never says BREACHED
        due("breach", "post", running=flag)
    return dues


def dues(config: Config, actions: Iterable[Action], faults: Sequence[Fault],
         receivers: Sequence[tuple[str, str]]) -> list[Due]:
    """Every notification the run's history calls for (and those it forbids)."""
    found: list[Due] = []
    for history in histories(actions).values():
        client = config.clients.get(history.client, {})
        plan = config.plans.get(client.get("plan", "standard"), {})
        target = plan.get("targets", {}).get(history.severity)
        if not target:
            continue
        again = plan.get("next_response", {}).get(history.severity)
        walked = walk(history, again, config.warn_at)
        manager = client.get("account_manager", "")
        for segment in [initial_segment(history, target, config.warn_at), *walked.segments]:
            found += segment_dues(history, segment, walked, manager, config, faults, receivers)
    return found


@dataclass(frozen=True)
class Final:
    """What a ticket's triage post must show at the end (None: either is right)."""

    ticket: str
    number: int | None
    breached: bool | None
    resolved: bool | None
    opened: float | None
    """When it was surely opened (None: its opening may have failed)."""


def finals(config: Config, actions: Iterable[Action], found: Sequence[Due]) -> list[Final]:
    posts = {d.ticket: d for d in found if d.medium == "post"}
    result = []
    for history in histories(actions).values():
        walked = walk(history, None, config.warn_at)
        settled = config.ended - SETTLE
        replied = next((took(a) for a in history.actions if a.kind == "staff_reply"), None)
        post = posts.get(history.ticket)
        breached: bool | None = None
        if replied is not None:
            breached = False if replied.hi < settled else None
        elif post is not None and post.due.hi < settled:
            breached = {"yes": True, "no": False}.get(post.running)
        elif post is not None and post.due.lo > config.ended:
            breached = False
        resolved: bool | None = False
        if walked.resolved:
            at, resolve = walked.resolved[-1]
            resolved = resolve if at.hi < settled else None
        result.append(Final(history.ticket, history.number, breached, resolved,
                            history.opened.hi if history.certain else None))
    return result
