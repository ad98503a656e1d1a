"""A delivered job's last write and its ack, in one script (``queue_scripts.FINISH``): what
it recorded on its ticket (the message it posted, what went out), the jobs that follow
from it, and the job leaving the queue. Between the write and the ack nothing can be
lost or found half done: the job is either done and gone, or runs again whole."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from redis.commands.core import AsyncScript

from bot.adapters.codec import WRITE_ONCE, decode_ticket, job_spec
from bot.adapters.connection import RedisClient
from bot.adapters.keys import NS, Layout, thread_key
from bot.adapters.queue import MAX_CLAIMS, Leased
from bot.domain.jobs import Armed
from bot.domain.tickets import Ticket, Versioned


@dataclass(frozen=True)
class Closing:
    """The job being finished, as its worker leases it, and how long that worker leases a
    job it takes on at once (``Choice.take``)."""

    job: Leased
    lease_ms: int


@dataclass(frozen=True)
class Finished:
    recorded: bool
    """The done mark, or the message's ts, was new."""
    value: str | None
    """The message field's value now (the ts recorded, by this job or before it)."""
    acked: bool | None
    """The job left the queue (False: its lease was lost meanwhile; None: not asked)."""
    now_ms: int = 0
    """Redis's clock (with the shift) when it was written."""
    taken: Leased | None = None
    """The job that follows, leased to this worker to run at once (``Choice.take``), with
    the ticket as it was then (it need not read it again)."""


@dataclass(frozen=True)
class Posted:
    """A message just posted for a ticket: its ts, to record in ``field`` (``client_ts``...)."""

    field: str
    ts: str


@dataclass(frozen=True)
class Choice:
    """Arm ``set`` if the ticket's ``field`` is set, else ``unset``; with ``take``, the job
    chosen is leased to the finishing worker at once, which runs it next (no claim, no read
    of the ticket), unless another worker holds it."""

    field: str
    set: Armed
    unset: Armed
    take: bool = False


class Finishing:
    redis: RedisClient
    layout: Layout
    thread_ttl: int
    _shift: Callable[[], int]
    _finish: AsyncScript
    """``queue_scripts.FINISH``, registered by the store."""

    async def finish(self, ticket: Ticket, lease: Closing | None, *, mark: str | None = None,
                     posted: Posted | None = None, jobs: Sequence[Armed] = (),
                     seen: Versioned | None = None, seen_field: str | None = None,
                     changed: Sequence[Armed] = (), choose: Choice | None = None) -> Finished:
        """Record ``mark`` or ``posted`` on ``ticket``, arm ``jobs`` (and ``changed``
        if the ticket changed since ``seen``, its version or its ``seen_field``; and one of
        ``choose``), then ack ``lease``: one round trip, all or nothing.

        The lease is acked here only when it is in the ticket's partition (a ticket's jobs
        always are); otherwise ``acked`` is None and the caller acks it."""
        number = ticket.number
        home = self.layout.of_ticket(number)
        if lease is not None and lease.job.home != home:
            lease = None
        keys = [*home.queue, self.layout.ticket_hash(number), self.layout.done_set(number)]
        spec: dict[str, Any] = {"jobs": [job_spec(a) for a in jobs]}
        if mark is not None:
            spec["mark"] = mark
        if posted is not None:
            if posted.field not in WRITE_ONCE:
                raise ValueError(f"{posted.field} is not a message timestamp field")
            spec.update(field=posted.field, ts=posted.ts)
            if posted.field == "client_ts":
                # The thread's index with it: in the script when it shares the ticket's
                # slot (one partition), else written first, so that a thread recorded is
                # always found.
                thread = thread_key(ticket.channel, posted.ts)
                if home.ns == NS:
                    keys.append(thread)
                    spec["thread"] = {"number": number, "ttl": self.thread_ttl}
                else:
                    await self.redis.set(thread, number, nx=True, ex=self.thread_ttl)
        if seen is not None:
            # Absent, not null: cjson decodes null to a truthy userdata.
            spec["seen"] = {"version": seen.version}
            if seen_field is not None:
                spec["seen"]["field"] = seen_field
                if getattr(seen.ticket, seen_field) is not None:
                    spec["seen"]["value"] = getattr(seen.ticket, seen_field)
            spec["changed"] = [job_spec(a) for a in changed]
        if choose is not None:
            spec["choose"] = {"field": choose.field, "set": job_spec(choose.set),
                              "unset": job_spec(choose.unset)}
        if lease is not None:
            spec["lease"] = {"id": lease.job.id, "token": lease.job.token}
            if choose is not None and choose.take:
                spec["choose"]["take"] = True
                spec.update(lease_ms=lease.lease_ms, max_claims=MAX_CLAIMS)
        raw = await self._finish(keys=keys, args=[int(self._shift()), json.dumps(spec)])
        recorded, value, acked, now = raw[:4]
        done = Finished(bool(recorded), value or None,
                        None if int(acked) < 0 else bool(acked), int(now))
        if len(raw) == 4:
            return done
        (job_id, payload, attempt, token), fields, members = raw[4:]
        flat = dict(zip(fields[::2], fields[1::2], strict=True))
        ticket_now = Versioned(decode_ticket(flat, set(members)), int(flat["version"]))
        return replace(done, taken=Leased(str(job_id), json.loads(payload), int(attempt),
                                          int(token), home, ticket_now))
