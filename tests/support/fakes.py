"""In-memory fakes of the ports the services depend on (``bot.services.ports``).

``FakeStore`` behaves as ``bot.adapters.store.Store`` does in Redis, without Redis:

- every ticket carries a version; ``save`` raises ``Conflict`` when the version it was
  read at is stale, and bumps it otherwise;
- ``commit_effects`` and ``rebuild_many`` are refused (False, nothing written) when the
  version moved, and never bump it;
- what went out for a ticket is a set of its own (``done``), read back into
  ``Ticket.sent`` by ``get``, as the real store reads ``sd:{desk}:done:<n>``;
- the queue is a dict of job id -> (job, due): arming an id already queued replaces its
  payload and may only move it earlier; a ticket's SLA timers are a set of job ids that
  each change replaces (timers no longer wanted are disarmed);
- ``rebuild_many`` arms only the jobs that are not queued already, when due; ``unswept``
  leaves no ticket in place (the sweep works out every one: what the real store leaves in
  place is tested on Redis).

Tests can inspect the queue (``queue``, ``jobs``, ``due``), everything ever armed
(``armed``), the versions, and make one concurrent change land just before the next call
of an operation (``before``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from math import inf
from typing import Any

from bot.adapters.codec import timer_jobs
from bot.adapters.finish import Choice, Closing, Finished, Posted
from bot.domain.jobs import Armed, FireTimer, Job
from bot.domain.reports import OpenedBetween as Opened
from bot.domain.reports import Outcome, Unresolved
from bot.domain.sla import SlaEvent, Step, Timer
from bot.domain.stamps import Swept
from bot.domain.tickets import (
    FIRST_NUMBER,
    Conflict,
    IntakeLimit,
    Status,
    Ticket,
    TooMany,
    Versioned,
)
from bot.domain.urgency import Urgency
from tests.support.fake_records import FakeRecords

T0 = 1_700_000_000.0
"""Where the fake clock starts (epoch seconds)."""

WRITE_ONCE = ("client_ts", "triage_ts", "engineering_ts", "card_ts")
"""Message timestamps: a save never deletes them (the real store sets them with HSETNX)."""

Action = Callable[[], Awaitable[object]]


class FakeClock:
    """A clock that stands still until told: ``advance`` it or ``set`` it."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, at: float) -> None:
        self.now = at


@dataclass(frozen=True)
class Queued:
    job: Job
    due: float
    """Epoch seconds."""


class FakeStore(FakeRecords):
    """The ``ports.TicketStore`` protocol (and the real store's extras) in dicts."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(clock)
        self.tickets: dict[int, Ticket] = {}
        """The tickets as stored (their ``sent`` is kept apart, in ``done``)."""
        self.versions: dict[int, int] = {}
        self.done: dict[int, set[str]] = {}
        self.queue: dict[str, Queued] = {}
        """What is armed now: job id -> job and due time."""
        self.armed: list[Queued] = []
        """Every arming ever, in order (a re-armed id appears again)."""
        self.timer_ids: dict[int, set[str]] = {}
        self.once: dict[str, tuple[int, float]] = {}
        self.intake: Counter[tuple[str, int]] = Counter()
        self.fired: dict[int, dict[str, SlaEvent]] = {}
        self.outcomes: dict[int, Outcome] = {}
        """Resolved tickets' outcomes for reports, as the resolution index keeps them."""
        self.calls: Counter[str] = Counter()
        self.urgencies: dict[int, Urgency] = {}
        """Each ticket's urgency as last written (the indices')."""
        self._seq = FIRST_NUMBER - 1
        self._before: dict[str, list[Action]] = {}

    # -- test controls ----------------------------------------------------------------

    def before(self, operation: str, action: Action) -> None:
        """Run ``action`` once, just before the next call of ``operation`` checks the
        version: a change by someone else landing between that caller's read and write."""
        self._before.setdefault(operation, []).append(action)

    async def _enter(self, operation: str) -> None:
        self.calls[operation] += 1
        pending = self._before.get(operation)
        if pending:
            action = pending.pop(0)
            await action()

    def lose_queue(self) -> None:
        """Everything queued is gone (a restore from an old backup): tickets remain."""
        self.queue.clear()
        self.timer_ids.clear()

    def ack(self, job_id: str) -> None:
        """The job ran and is done: it leaves the queue (as a worker's ack)."""
        self.queue.pop(job_id, None)

    def jobs(self, ticket: int | None = None) -> list[Job]:
        """The jobs queued now (for one ticket, if given), soonest first."""
        found = sorted(self.queue.values(), key=lambda q: (q.due, q.job.id))
        return [q.job for q in found if ticket is None or q.job.ticket == ticket]

    def job_ids(self, ticket: int | None = None) -> set[str]:
        return {j.id for j in self.jobs(ticket)}

    def due(self, job_id: str) -> float | None:
        queued = self.queue.get(job_id)
        return None if queued is None else queued.due

    def timers(self, ticket: int) -> list[FireTimer]:
        """The SLA timer jobs queued for ``ticket``, soonest first."""
        return [j for j in self.jobs(ticket) if isinstance(j, FireTimer)]

    def timer(self, ticket: int, step: Step) -> FireTimer:
        """The one queued timer of ``step`` for ``ticket`` (what a worker would fire)."""
        found = [t for t in self.timers(ticket) if t.step is step]
        if len(found) != 1:
            raise LookupError(f"T-{ticket}: {len(found)} {step.value} timers queued")
        return found[0]

    def armed_since(self, mark: int) -> list[Job]:
        """The jobs armed after ``len(store.armed)`` was ``mark``."""
        return [q.job for q in self.armed[mark:]]

    def version(self, number: int) -> int:
        return self.versions[number]

    # -- the queue, as the scripts arm it ---------------------------------------------

    def _arm(self, job: Job, due: float) -> None:
        at = due if due else self.clock()
        existing = self.queue.get(job.id)
        if existing is not None:
            at = min(at, existing.due)
        queued = Queued(job, at)
        self.queue[job.id] = queued
        self.armed.append(queued)

    def _set_timers(self, number: int, timers: Sequence[Timer]) -> None:
        armed = timer_jobs(number, timers)
        wanted = {a.job.id for a in armed}
        for stale in self.timer_ids.get(number, set()) - wanted:
            self.queue.pop(stale, None)
        for a in armed:
            self._arm(a.job, a.due)
        self.timer_ids[number] = wanted

    def _stale(self, current: Versioned) -> bool:
        return self.versions.get(current.ticket.number, 0) != current.version

    def _read(self, number: int) -> Versioned | None:
        ticket = self.tickets.get(number)
        if ticket is None:
            return None
        return Versioned(replace(ticket, sent=frozenset(self.done.get(number, set()))),
                         self.versions[number])

    # -- ports.TicketStore --------------------------------------------------------------

    async def create(self, draft: Ticket, *, once: str | None, once_ttl: int,
                     jobs: Sequence[Armed], timers: Sequence[Timer],
                     limit: IntakeLimit | None = None,
                     urgency: Urgency | None = None) -> tuple[Versioned, bool]:
        await self._enter("create")
        if once is not None:
            seen = self.once.get(once)
            if seen is not None and seen[1] > self.clock():
                saved = self._read(seen[0])
                if saved is None:
                    raise LookupError(f"T-{seen[0]} was opened by an earlier submission, "
                                      "then deleted")
                return saved, False
        if limit is not None:
            bucket = (draft.reporter, int(draft.created_at // limit.window))
            if self.intake[bucket] >= limit.most:
                raise TooMany(limit.most)
            self.intake[bucket] += 1
        self._seq += 1
        n = self._seq
        if once is not None:
            self.once[once] = (n, self.clock() + once_ttl)
        self.tickets[n] = replace(draft, number=n, sent=frozenset())
        self.versions[n] = 1
        self.done[n] = set()
        if urgency is not None:
            self.urgencies[n] = urgency
        for a in jobs:
            self._arm(a.job.model_copy(update={"ticket": n}), a.due)
        self._set_timers(n, timers)
        return Versioned(replace(draft, number=n), 1), True

    async def save(self, current: Versioned, ticket: Ticket, *, jobs: Sequence[Armed] = (),
                   timers: Sequence[Timer], urgency: Urgency | None = None,
                   outcome: Outcome | None = None) -> Versioned:
        await self._enter("save")
        self.outcomes.pop(ticket.number, None)
        if outcome is not None:
            self.outcomes[ticket.number] = outcome
        if self._stale(current):
            raise Conflict(ticket.key)
        n = ticket.number
        stored = ticket
        before = self.tickets.get(n)
        if before is not None:
            for name in WRITE_ONCE:
                if getattr(stored, name) is None and getattr(before, name) is not None:
                    stored = replace(stored, **{name: getattr(before, name)})
        self.tickets[n] = replace(stored, sent=frozenset())
        self.versions[n] = current.version + 1
        if urgency is not None:
            self.urgencies[n] = urgency
        for a in jobs:
            self._arm(a.job, a.due)
        self._set_timers(n, timers)
        return Versioned(replace(ticket, sent=current.ticket.sent), self.versions[n])

    async def commit_effects(self, current: Versioned, *, marks: Sequence[str] = (),
                             jobs: Sequence[Armed] = (),
                             timers: Sequence[Timer] | None = None,
                             fired: SlaEvent | None = None) -> bool | None:
        await self._enter("commit_effects")
        if self._stale(current):
            return False
        n = current.ticket.number
        if fired is not None and fired.notification in self.done.get(n, set()):
            return None
        self.done.setdefault(n, set()).update(marks)
        if fired is not None:
            self.fired.setdefault(n, {}).setdefault(fired.notification, fired)
            self.versions[n] += 1  # a firing is on the ticket's record
        for a in jobs:
            self._arm(a.job, a.due)
        if timers is not None:
            self._set_timers(n, timers)
        return True

    async def opened(self, start: float, end: float) -> Opened:
        """``Outcomes.opened``: by creation, the resolved ones' outcomes and the others."""
        return Opened(iter([o for o in self.outcomes.values() if start <= o.created_at < end]),
                      [t.number for t in self.tickets.values() if t.status is not
                       Status.RESOLVED and start <= t.created_at < end])

    async def unresolved(self, numbers: Sequence[int]) -> AsyncIterator[Unresolved]:
        for n in numbers:
            if n in self.tickets:
                yield Unresolved(self.tickets[n], [
                    (f.clock, f.due) for f in self.fired.get(n, {}).values()
                    if Step(f.step).is_breach])

    async def sla_events(self, number: int) -> list[SlaEvent]:
        return sorted(self.fired.get(number, {}).values(), key=lambda f: f.due)

    async def rebuild_many(self, items: Sequence[tuple[Versioned, Sequence[Armed],
                                                       Sequence[Timer]]],
                           urgencies: Sequence[Urgency] | None = None,
                           swept: Sequence[Swept] | None = None) -> list[bool]:
        await self._enter("rebuild_many")
        results: list[bool] = []
        for i, (current, jobs, timers) in enumerate(items):
            if self._stale(current):
                results.append(False)
                continue
            if urgencies:
                self.urgencies[current.ticket.number] = urgencies[i]
            for a in jobs:
                if a.job.id not in self.queue:
                    self._arm(a.job, a.due)
            self._set_timers(current.ticket.number, timers)
            results.append(True)
        return results

    async def enqueue(self, armed: Armed) -> None:
        await self._enter("enqueue")
        self._arm(armed.job, armed.due)

    async def get(self, number: int) -> Versioned | None:
        await self._enter("get")
        return self._read(number)

    async def get_many(self, numbers: Sequence[int]) -> list[Versioned | None]:
        await self._enter("get_many")
        return [self._read(n) for n in numbers]

    async def unswept(self, numbers: Sequence[int], rules: Mapping[str, str], other: str
                      ) -> tuple[list[Versioned], int]:
        await self._enter("unswept")
        return [v for v in map(self._read, numbers) if v], 0

    async def open_numbers(self) -> list[int]:
        await self._enter("open_numbers")
        open_ = [t for t in self.tickets.values() if t.status is not Status.RESOLVED]
        return [t.number for t in sorted(open_, key=lambda t: (round(t.created_at * 1000),
                                                               str(t.number)))]

    async def most_urgent(self, most: int, channel: str | None = None
                          ) -> tuple[list[int], int]:
        """``ports.TicketIndex``, from the urgencies written."""
        found = sorted((inf if (u := self.urgencies[n]).due is None else u.due, n)
                       for n, t in self.tickets.items()
                       if t.status is not Status.RESOLVED and n in self.urgencies
                       and channel in (None, t.channel))
        return [n for _, n in found[:most]], len(found)

    async def enqueue_once(self, once: str, ttl: int, armed: Armed) -> bool:
        if not await self._remember_once(once, ttl):
            return False
        await self.enqueue(armed)
        return True

    # -- the real store's other operations (what delivery does) ---------------------------

    async def mark_done(self, number: int, record: str) -> bool:
        done = self.done.setdefault(number, set())
        if record in done:
            return False
        done.add(record)
        return True

    async def finish(self, ticket: Ticket, lease: Closing | None, *, mark: str | None = None,
                     posted: Posted | None = None, jobs: Sequence[Armed] = (),
                     seen: Versioned | None = None, seen_field: str | None = None,
                     changed: Sequence[Armed] = (), choose: Choice | None = None) -> Finished:
        """``Store.finish`` in dicts: its writes, and no ack (no queue leases jobs here)."""
        n = ticket.number
        done = await self.mark_done(n, mark) if mark else False
        if n not in self.tickets:
            return Finished(done, None, None)
        if posted is not None:
            done = await self.set_message_ts(ticket, posted.field, posted.ts)
        now, field = self.tickets[n], seen_field or "number"
        moved = seen is not None and (self.versions[n], getattr(now, field)) != (
            seen.version, getattr(seen.ticket, field))
        picked = [] if choose is None else [
            choose.set if getattr(now, choose.field) is not None else choose.unset]
        for a in [*jobs, *(changed if moved else ()), *picked]:
            self._arm(a.job, a.due)
        return Finished(done, getattr(now, posted.field) if posted else None, None)

    async def set_message_ts(self, ticket: Ticket, name: str, ts: str) -> bool:
        """Where a ticket's message lives, recorded once; no version bump (HSETNX)."""
        if name not in WRITE_ONCE:
            raise ValueError(f"{name} is not a message timestamp field")
        stored = self.tickets[ticket.number]
        if getattr(stored, name) is not None:
            return False
        update: dict[str, Any] = {name: ts}
        self.tickets[ticket.number] = replace(stored, **update)
        if name == "client_ts":
            self.threads.setdefault((ticket.channel, ts), ticket.number)
        return True

    async def clear_message_ts(self, number: int, name: str) -> None:
        if name not in WRITE_ONCE:
            raise ValueError(f"{name} is not a message timestamp field")
        update: dict[str, Any] = {name: None}
        self.tickets[number] = replace(self.tickets[number], **update)
