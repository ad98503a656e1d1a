"""Tickets in Redis, with the jobs and timers each change arms (see ``keys``); clients and
the desk's other records are in ``desk_records``.

Every change to a ticket is one script (``scripts``): its fields, its index entries, the
jobs that tell Slack about it and its SLA timers, all or nothing. Writes that record what
went out (``done``) and the sweep's repairs never bump a ticket's version, so they never
make a person's change retry; a timer that fires does (a resolve that read the ticket
before it is made again, so its outcome counts that breach).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from bot.adapters import queue_scripts, scripts, sweep_scripts
from bot.adapters.codec import (
    WRITE_ONCE,
    encode_outcome,
    encode_ticket,
    job_spec,
    timer_specs,
)
from bot.adapters.connection import RedisClient, run_scripts
from bot.adapters.desk_records import DeskRecords
from bot.adapters.finish import Finishing
from bot.adapters.index import index_spec
from bot.adapters.keys import HOME_VIEWERS, NS, Layout, Partition, intake_key, thread_key
from bot.adapters.rebuild import Rebuilding
from bot.domain.jobs import Armed
from bot.domain.reports import Outcome
from bot.domain.sla import SlaEvent, Timer
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

log = logging.getLogger(__name__)

THREAD_TTL = 730 * 86_400
"""How long a client thread stays tied to its ticket (``RETAIN_DAYS``; an archived
ticket's is deleted then)."""


OPENING_WAIT = 1.5
"""Seconds a repeated submission waits for the ticket its first delivery is opening."""

class Store(DeskRecords, Finishing, Rebuilding):
    """Tickets and clients in Redis. ``shift`` is the clock's deliberate shift (tests)."""

    def __init__(self, redis: RedisClient, shift_ms: Callable[[], int] | None = None,
                 layout: Layout | None = None, thread_ttl: int = THREAD_TTL) -> None:
        self.redis = redis
        self.thread_ttl = thread_ttl
        self.layout = layout or Layout()
        self._shift = shift_ms or (lambda: 0)
        self._admit = redis.register_script(scripts.ADMIT)
        self._intake = redis.register_script(scripts.INTAKE)
        self._commit = redis.register_script(scripts.COMMIT)
        self._effects = redis.register_script(scripts.EFFECTS)
        self._enqueue = redis.register_script(scripts.ENQUEUE)
        self._enqueue_once = redis.register_script(scripts.ENQUEUE_ONCE)
        self._client_change = redis.register_script(scripts.CLIENT_CHANGE)
        self._finish = redis.register_script(queue_scripts.FINISH)
        self._read = redis.register_script(scripts.READ)
        self._rebuild = redis.register_script(scripts.REBUILD)
        self._unswept = redis.register_script(sweep_scripts.UNSWEPT)

    def _args(self, spec: dict[str, Any]) -> list[Any]:
        # Absent, not null: cjson decodes null to a truthy userdata.
        spec = {k: v for k, v in spec.items() if v is not None}
        return [int(self._shift()), json.dumps(spec)]

    def _keys(self, number: int) -> list[str]:
        """What a ticket script declares: its partition's queue, then the ticket's keys."""
        return [*self.layout.of_ticket(number).queue, *self.layout.ticket_keys(number)]

    def _declared(self, number: int, indices: Sequence[str] = ()
                  ) -> tuple[list[str], dict[str, int]]:
        """``_keys`` and ``indices``, then who keeps App Home open (``keys.HOME_VIEWERS``)
        when it shares the ticket's slot (one server): a Homes refresh is armed only if
        someone does (on a cluster, always). With its place, for the spec."""
        keys = [*self._keys(number), *indices]
        if self.layout.of_ticket(number).ns != NS:
            return keys, {}
        return [*keys, HOME_VIEWERS], {"viewers": len(keys) + 1}

    async def create(self, draft: Ticket, *, once: str | None, once_ttl: int,
                     jobs: Sequence[Armed], timers: Sequence[Timer],
                     limit: IntakeLimit | None = None,
                     urgency: Urgency | None = None) -> tuple[Versioned, bool]:
        """Number and save a new ticket with its jobs and timers, at most once per ``once``.

        Returns the ticket and whether it was created now (False: ``once`` was seen, the
        ticket is the one it created then). ``urgency`` places it in the indices (see
        ``index``; None: in none). Raises TooMany past the reporter's ``limit``.
        The ticket's partition is the submission's (so a repeat finds its record), or any.
        """
        home = self.layout.of_text(once or f"{draft.reporter}:{draft.created_at}")
        # The submission's record and number, and the reporter's count, side by side: one
        # round trip before the ticket is written. A number given to a submission past
        # the limit is skipped.
        admission: Awaitable[list[Any]] = self._admit(
            keys=[home.once(once or "-"), home.seq],
            args=[1 if once else 0, self.layout.partitions, FIRST_NUMBER + home.index])
        admitted: list[Any] | BaseException
        counted: str | BaseException | None
        admitted, counted = await asyncio.gather(
            admission, self._count_intake(draft, limit), return_exceptions=True)
        if isinstance(admitted, BaseException):
            await self._uncount(counted)
            raise admitted
        kind, number = str(admitted[0]), int(admitted[1])
        if kind != "new":
            await self._uncount(counted)  # counted by the delivery that numbered it
            counted = None
            if kind == "seen":
                return await self._opened_before(number), False
            opened = await self._opened_within(number)
            if opened is not None:
                return opened, False
            # Numbered by an earlier delivery that never wrote it (it failed after taking
            # the number: Redis failing over, the process killed): written now, under that
            # number, so that submitting again works.
            log.warning("T-%d: numbered by an earlier delivery of %s that did not write it; "
                        "writing it now", number, once)
        if isinstance(counted, BaseException):
            raise counted
        values, unset = encode_ticket(replace(draft, number=number))
        indices, index = index_spec(self.layout, None, replace(draft, number=number), urgency)
        keys, viewers = self._declared(number, indices)
        status, seen, version = await self._commit(
            keys=[*keys, home.once(once or "-")], args=self._args({
                **viewers, "once": once, "once_ttl": once_ttl, "number": number, "version": 0,
                "index": index,
                "fields": values, "unset": unset, "open": True,
                "created": round(draft.created_at * 1000),
                "jobs": [job_spec(a, number) for a in jobs],
                "timers": timer_specs(number, timers),
            }))
        if status == "ok":
            return Versioned(replace(draft, number=number), int(version)), True
        # Opened meanwhile by the same submission (a double click): that one stands.
        await self._uncount(counted)
        if status == "seen":
            return await self._opened_before(int(seen)), False
        raise Conflict(f"T-{number}")

    async def _uncount(self, counted: str | BaseException | None) -> None:
        """Take back a ticket counted toward its reporter's limit but not opened."""
        if isinstance(counted, str):
            await self.redis.decr(counted)

    async def _opened_before(self, number: int) -> Versioned:
        """The ticket this submission opened (written, or being written by a double click)."""
        opened = await self._opened_within(number)
        if opened is None:
            raise LookupError(f"T-{number}, opened by this submission, is gone")
        return opened

    async def _opened_within(self, number: int) -> Versioned | None:
        """The ticket an earlier delivery of the same submission opened, waited for while
        that one may still be writing it (a double click); None if it is not there."""
        for _ in range(round(OPENING_WAIT / 0.02)):
            saved = await self.get(number)
            if saved is not None:
                return saved
            await asyncio.sleep(0.02)
        return None

    async def _count_intake(self, draft: Ticket, limit: IntakeLimit | None) -> str | None:
        """Count the ticket toward its reporter's limit; raise TooMany past it. The key
        counted (to take it back if the ticket is not made after all)."""
        if limit is None:
            return None
        key = intake_key(draft.reporter, int(draft.created_at // limit.window))
        if not await self._intake(keys=[key], args=[limit.most, limit.window]):
            raise TooMany(limit.most)
        return key

    async def save(self, current: Versioned, ticket: Ticket, *, jobs: Sequence[Armed] = (),
                   timers: Sequence[Timer], urgency: Urgency | None = None,
                   outcome: Outcome | None = None) -> Versioned:
        """Write ``ticket`` over ``current`` if nobody changed it since; raise Conflict if so.

        ``timers`` replaces the ticket's armed SLA timers; ``urgency`` its index entries
        (None: they stay as they are); ``outcome`` (of a resolved ticket) is indexed by
        resolution time (for retention) and creation time (for reports).
        """
        values, unset = encode_ticket(ticket)
        n = ticket.number
        home = self.layout.of_ticket(n)
        indices, index = index_spec(self.layout, current.ticket, ticket, urgency)
        keys, viewers = self._declared(n, indices)
        status, _, version = await self._commit(
            keys=[*keys, home.once("-")], args=self._args({
                **viewers, "index": index,
                "number": n, "version": current.version, "fields": values, "unset": unset,
                "open": ticket.status is not Status.RESOLVED,
                "created": round(ticket.created_at * 1000),
                "jobs": [job_spec(a) for a in jobs],
                "timers": timer_specs(n, timers),
                "outcome": encode_outcome(outcome) if outcome else None,
                "resolved": round(outcome.resolved_at * 1000)
                if outcome and outcome.resolved_at is not None else None,
            }))
        if status == "conflict":
            raise Conflict(ticket.key)
        return Versioned(replace(ticket, sent=current.ticket.sent), int(version))

    async def commit_effects(self, current: Versioned, *, marks: Sequence[str] = (),
                             jobs: Sequence[Armed] = (),
                             timers: Sequence[Timer] | None = None,
                             fired: SlaEvent | None = None) -> bool | None:
        """Record ``marks`` (and what ``fired``) and arm ``jobs`` (and replace the timers) for
        the ticket as read.

        False, with nothing written, if the ticket changed since ``current`` was read; None
        if ``fired`` had fired already (nothing written either). Only a firing moves the
        ticket's version.
        """
        n = current.ticket.number
        outcome = {0: False, 1: True, 2: None}
        keys, viewers = self._declared(n)
        return outcome[int(await self._effects(keys=keys, args=self._args({
            **viewers,
            "fired": None if fired is None else {
                "name": fired.notification,
                "record": json.dumps({"clock": fired.clock, "step": fired.step,
                                      "due": fired.due, "fired": fired.fired})},
            "number": n, "version": current.version, "marks": list(marks),
            "jobs": [job_spec(a) for a in jobs],
            "timers": None if timers is None else timer_specs(n, timers),
        })))]

    def _home(self, armed: Armed) -> Partition:
        """The partition whose queue holds a job: its ticket's, or its id's."""
        job = armed.job
        return (self.layout.of_ticket(job.ticket) if job.ticket > 0
                else self.layout.of_text(job.id))

    async def enqueue(self, armed: Armed) -> None:
        """Arm one job that is not part of a ticket change."""
        await self.enqueue_many([armed])

    async def enqueue_many(self, armed: Sequence[Armed]) -> None:
        """Arm jobs that are not part of a ticket change, in one round trip (on one server)."""
        await run_scripts(self.redis, self._enqueue, [
            (list(self._home(a).queue),
             [a.job.id, int(self._shift()), round(a.due * 1000), a.job.model_dump_json()])
            for a in armed])

    async def enqueue_once(self, once: str, ttl: int, armed: Armed) -> bool:
        """Arm ``armed`` unless ``once`` was seen within ``ttl`` seconds; True if armed."""
        job, home = armed.job, self._home(armed)
        return bool(await self._enqueue_once(keys=[*home.queue, home.once(once)], args=[
            job.id, int(self._shift()), round(armed.due * 1000), job.model_dump_json(), ttl]))

    async def sla_events(self, number: int) -> list[SlaEvent]:
        """Every SLA warning and breach the ticket had, earliest due first (for reports)."""
        raw = cast(dict[str, str], await self.redis.hgetall(self.layout.fired_hash(number)))
        found = [SlaEvent(name, **json.loads(record)) for name, record in raw.items()]
        return sorted(found, key=lambda f: f.due)

    async def outbox_head(self, sink: str, number: int) -> str | None:
        """The oldest event still to send to ``sink`` for the ticket."""
        return cast(str | None, await self.redis.lindex(self.layout.outbox(sink, number), 0))

    async def outbox_sent(self, sink: str, number: int, head: str) -> None:
        """The oldest event went out: the next one is the head now."""
        await self.redis.lrem(self.layout.outbox(sink, number), 1, head)

    async def mark_done(self, number: int, record: str) -> bool:
        """Record that ``record`` went out for the ticket; False if it already had."""
        return bool(await self.redis.sadd(self.layout.done_set(number), record))

    async def get(self, number: int) -> Versioned | None:
        return (await self.get_many([number]))[0]

    async def open_numbers(self) -> list[int]:
        """Every open ticket's number, oldest first."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in self.layout.all:
                pipe.zrange(part.open, 0, -1, withscores=True)
            found = [(float(created), int(n)) for scored in await pipe.execute()
                     for n, created in scored]
        return [n for _, n in sorted(found)]

    async def set_message_ts(self, ticket: Ticket, name: str, ts: str) -> bool:
        """Record where a ticket's message lives (``client_ts``, ``triage_ts``...), once."""
        if name not in WRITE_ONCE:
            raise ValueError(f"{name} is not a message timestamp field")
        # The thread's index first: a thread recorded is always found (the two are in
        # different slots on a cluster).
        if name == "client_ts":
            await self.redis.set(thread_key(ticket.channel, ts), ticket.number, nx=True,
                                 ex=self.thread_ttl)
        return bool(await self.redis.hsetnx(self.layout.ticket_hash(ticket.number), name, ts))

    async def clear_message_ts(self, number: int, name: str) -> None:
        """Forget where a ticket's message was (it was deleted: a card removed)."""
        if name not in WRITE_ONCE:
            raise ValueError(f"{name} is not a message timestamp field")
        await self.redis.hdel(self.layout.ticket_hash(number), name)

    async def index_thread(self, channel: str, thread_ts: str, number: int) -> None:
        """Tie a client thread to its ticket (again: after the channel's ID changed)."""
        await self.redis.set(thread_key(channel, thread_ts), number, ex=self.thread_ttl)

    async def ticket_for_thread(self, channel: str, thread_ts: str) -> int | None:
        """The ticket whose client thread is ``thread_ts`` in ``channel``, if any."""
        number = await self.redis.get(thread_key(channel, thread_ts))
        return int(number) if number else None
