"""Redis persistence of tickets and clients, and the one place the key layout is written down.

Every key carries the hash tag ``{desk}``, so each script touches one slot and the
layout runs unchanged on Redis Cluster::

    sd:{desk}:seq               STRING  last ticket number (the first ticket is T-1001)
    sd:{desk}:ticket:<n>        HASH    one ticket: a field per attribute, plus ``version``
    sd:{desk}:open              ZSET    tickets not resolved, scored by creation (ms)
    sd:{desk}:timers:<n>        SET     ids of the SLA timers armed for ticket <n>
    sd:{desk}:thread:<c>:<ts>   STRING  ticket number of the client thread at channel <c>, ts <ts>
    sd:{desk}:clients           HASH    client channel ID -> client (JSON)
    sd:{desk}:sweep             STRING  lock: one worker sweeps at a time (TTL)
    sd:{desk}:once:<key>        STRING  idempotency record (a view submission, an event id), TTL
    sd:{desk}:q:due             ZSET    job id -> due time (ms, Redis clock)
    sd:{desk}:q:lease           ZSET    job id -> lease expiry (ms) while a worker holds it
    sd:{desk}:q:job             HASH    job id -> payload (JSON)
    sd:{desk}:q:tries           HASH    job id -> attempts so far
    sd:{desk}:q:dead            HASH    job id -> payload, attempts and last error (JSON)
    sd:{desk}:q:wake            LIST    a token pushed on every new due-now job (BLPOP wakes)

Timers and Slack posts are both jobs in the queue (``bot.timers`` works it). A ticket
change, its index entry, its jobs and its timers are written by one script.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Final, cast

from redis.asyncio import Redis

from bot.sla import Timer
from bot.tickets import Client, Severity, SeverityChange, Status, StatusChange, Ticket

NS: Final = "sd:{desk}:"
SEQ: Final = NS + "seq"
OPEN: Final = NS + "open"
CLIENTS: Final = NS + "clients"
DUE: Final = NS + "q:due"
LEASE: Final = NS + "q:lease"
JOB: Final = NS + "q:job"
TRIES: Final = NS + "q:tries"
DEAD: Final = NS + "q:dead"
WAKE: Final = NS + "q:wake"
FIRST_NUMBER: Final = 1001


def ticket_hash(number: int) -> str:
    return f"{NS}ticket:{number}"


def timer_set(number: int) -> str:
    return f"{NS}timers:{number}"


def thread_key(channel: str, ts: str) -> str:
    return f"{NS}thread:{channel}:{ts}"


def once_key(key: str) -> str:
    return f"{NS}once:{key}"


def timer_id(number: int, timer: Timer) -> str:
    return f"sla:{number}:{timer.step.value}:{timer.generation}"


@dataclass(frozen=True)
class Job:
    """A job to enqueue with a ticket change. ``#`` in ``id`` stands for the ticket's number."""

    id: str
    payload: dict[str, Any]
    due: float = 0.0
    """Epoch seconds; 0 means now, by Redis's clock."""


@dataclass(frozen=True)
class Versioned:
    ticket: Ticket
    version: int


class Conflict(Exception):
    """The ticket changed since it was read (optimistic concurrency): read again and retry."""


# One script for every ticket change: idempotency record, number, fields, open index,
# jobs and SLA timers, all or nothing. Per-ticket keys are derived from the number
# inside the ``{desk}`` slot that KEYS[1] routes to.
_COMMIT = """
local ns = ARGV[1]
local spec = cjson.decode(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if spec.once then
  local seen = redis.call('GET', ns .. 'once:' .. spec.once)
  if seen then return {'seen', tonumber(seen), 0} end
end
local n = spec.number
local key
local version
if n == 0 then
  n = redis.call('INCR', KEYS[1])
  if n < tonumber(spec.first) then
    redis.call('SET', KEYS[1], spec.first)
    n = tonumber(spec.first)
  end
  key = ns .. 'ticket:' .. n
  version = 1
else
  key = ns .. 'ticket:' .. n
  local current = tonumber(redis.call('HGET', key, 'version') or '0')
  if current ~= spec.version then return {'conflict', n, current} end
  version = current + 1
end
if spec.once then
  redis.call('SET', ns .. 'once:' .. spec.once, n, 'EX', spec.once_ttl)
end
spec.fields['number'] = tostring(n)
spec.fields['version'] = tostring(version)
local flat = {}
for k, v in pairs(spec.fields) do flat[#flat + 1] = k; flat[#flat + 1] = v end
redis.call('HSET', key, unpack(flat))
if #spec.unset > 0 then redis.call('HDEL', key, unpack(spec.unset)) end
if spec.open then
  redis.call('ZADD', ns .. 'open', 'NX', spec.created, n)
else
  redis.call('ZREM', ns .. 'open', n)
end
local due, lease, job = ns .. 'q:due', ns .. 'q:lease', ns .. 'q:job'
local woke = false
local function arm(id, at, payload)
  if redis.call('ZSCORE', lease, id) then return end
  redis.call('HSET', job, id, cjson.encode(payload))
  redis.call('ZADD', due, at, id)
  if at <= now and not woke then
    redis.call('LPUSH', ns .. 'q:wake', '1')
    redis.call('LTRIM', ns .. 'q:wake', 0, 0)
    woke = true
  end
end
for _, j in ipairs(spec.jobs) do
  j.payload.ticket = n
  local at = j.due
  if at == 0 then at = now end
  arm(string.gsub(j.id, '#', tostring(n)), at, j.payload)
end
if spec.timers then
  local tset = ns .. 'timers:' .. n
  for _, id in ipairs(redis.call('SMEMBERS', tset)) do
    redis.call('ZREM', due, id)
    if not redis.call('ZSCORE', lease, id) then
      redis.call('HDEL', job, id)
      redis.call('HDEL', ns .. 'q:tries', id)
    end
  end
  redis.call('DEL', tset)
  for _, tm in ipairs(spec.timers) do
    local id = 'sla:' .. n .. ':' .. tm.step .. ':' .. tm.generation
    arm(id, tm.due, {kind = 'sla', ticket = n, step = tm.step, generation = tm.generation})
    redis.call('SADD', tset, id)
  end
end
return {'ok', n, version}
"""

_ENQUEUE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = tonumber(ARGV[3])
if at == 0 then at = now end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], 'NX', at, ARGV[1])
if at <= now then
  redis.call('LPUSH', KEYS[3], '1')
  redis.call('LTRIM', KEYS[3], 0, 0)
end
return 1
"""

_TICKET_FIELDS = tuple(f.name for f in fields(Ticket))
_WRITE_ONCE = frozenset({"client_ts", "triage_ts", "engineering_ts"})
"""Message timestamps, set with HSETNX by whoever posted: a save never deletes them."""


def encode_ticket(ticket: Ticket) -> tuple[dict[str, str], list[str]]:
    """A ticket as hash fields to set, and the names of the unset ones to delete."""
    values: dict[str, str] = {}
    unset: list[str] = []
    for name in _TICKET_FIELDS:
        value = getattr(ticket, name)
        if value is None:
            if name not in _WRITE_ONCE:
                unset.append(name)
        elif name in ("severity_changes", "status_changes"):
            values[name] = json.dumps([asdict(c) for c in value])
        elif name == "sent":
            values[name] = json.dumps(sorted(value))
        else:
            values[name] = str(value.value if isinstance(value, Severity | Status) else value)
    return values, unset


def decode_ticket(raw: dict[str, str]) -> Ticket:
    def opt_float(name: str) -> float | None:
        return float(raw[name]) if name in raw else None

    return Ticket(
        number=int(raw["number"]),
        channel=raw["channel"],
        reporter=raw["reporter"],
        title=raw["title"],
        description=raw["description"],
        severity=Severity(raw["severity"]),
        created_at=float(raw["created_at"]),
        status=Status(raw["status"]),
        assignee=raw.get("assignee"),
        claimed_at=opt_float("claimed_at"),
        first_response_at=opt_float("first_response_at"),
        resolved_at=opt_float("resolved_at"),
        client_ts=raw.get("client_ts"),
        triage_ts=raw.get("triage_ts"),
        severity_changes=tuple(
            SeverityChange(c["at"], c["by"], Severity(c["old"]), Severity(c["new"]))
            for c in json.loads(raw.get("severity_changes", "[]"))
        ),
        status_changes=tuple(
            StatusChange(c["at"], c["by"], Status(c["old"]), Status(c["new"]))
            for c in json.loads(raw.get("status_changes", "[]"))
        ),
        resolution=raw.get("resolution"),
        reopened_at=opt_float("reopened_at"),
        last_update_at=opt_float("last_update_at"),
        engineering_ts=raw.get("engineering_ts"),
        source_link=raw.get("source_link"),
        sent=frozenset(json.loads(raw.get("sent", "[]"))),
    )


def _timer_spec(timers: Iterable[Timer]) -> list[dict[str, Any]]:
    return [
        {"step": t.step.value, "due": round(t.due * 1000), "generation": t.generation}
        for t in timers
    ]


class Store:
    """Tickets and clients in Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._commit = redis.register_script(_COMMIT)
        self._enqueue = redis.register_script(_ENQUEUE)

    async def _run(self, spec: dict[str, Any]) -> tuple[str, int, int]:
        # Absent, not null: cjson decodes null to a truthy userdata.
        spec = {k: v for k, v in spec.items() if v is not None}
        status, number, version = await self._commit(keys=[SEQ], args=[NS, json.dumps(spec)])
        return str(status), int(number), int(version)

    async def create(
        self,
        draft: Ticket,
        *,
        once: str | None,
        once_ttl: int,
        jobs: Sequence[Job],
        timers: Sequence[Timer],
    ) -> tuple[Versioned, bool]:
        """Number and save a new ticket with its jobs and timers, at most once per ``once``.

        Returns the ticket and whether it was created now (False: ``once`` was seen,
        the ticket is the one it created then).
        """
        values, unset = encode_ticket(draft)
        status, number, version = await self._run({
            "once": once, "once_ttl": once_ttl, "number": 0, "first": FIRST_NUMBER,
            "fields": values, "unset": unset, "open": True,
            "created": round(draft.created_at * 1000),
            "jobs": [_job_spec(j) for j in jobs], "timers": _timer_spec(timers),
        })
        if status == "ok":
            return Versioned(replace(draft, number=number), version), True
        saved = await self.get(number)
        if saved is None:
            raise LookupError(f"T-{number} was opened by an earlier submission, then deleted")
        return saved, False

    async def save(
        self,
        current: Versioned,
        ticket: Ticket,
        *,
        jobs: Sequence[Job] = (),
        timers: Sequence[Timer] | None = None,
    ) -> Versioned:
        """Write ``ticket`` over ``current`` if nobody changed it since; raise Conflict if so.

        ``timers`` replaces the ticket's armed SLA timers (None leaves them as they are).
        """
        values, unset = encode_ticket(ticket)
        status, _, version = await self._run({
            "once": None, "number": ticket.number, "version": current.version,
            "fields": values, "unset": unset,
            "open": ticket.status is not Status.RESOLVED,
            "created": round(ticket.created_at * 1000),
            "jobs": [_job_spec(j) for j in jobs],
            "timers": None if timers is None else _timer_spec(timers),
        })
        if status == "conflict":
            raise Conflict(ticket.key)
        return Versioned(ticket, version)

    async def enqueue(self, job: Job) -> None:
        """Arm a job that is not part of a ticket change (due now unless ``job.due``)."""
        await self._enqueue(keys=[DUE, JOB, WAKE],
                            args=[job.id, json.dumps(job.payload), round(job.due * 1000)])

    async def get(self, number: int) -> Versioned | None:
        raw = cast(dict[str, str], await self.redis.hgetall(ticket_hash(number)))
        if not raw:
            return None
        return Versioned(decode_ticket(raw), int(raw["version"]))

    async def open_numbers(self) -> list[int]:
        return [int(n) for n in cast(list[str], await self.redis.zrange(OPEN, 0, -1))]

    async def set_message_ts(self, ticket: Ticket, name: str, ts: str) -> bool:
        """Record where a ticket's message lives (``client_ts``, ``triage_ts``), once."""
        if name not in _WRITE_ONCE:
            raise ValueError(f"{name} is not a message timestamp field")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(ticket_hash(ticket.number), name, ts)
            if name == "client_ts":
                pipe.set(thread_key(ticket.channel, ts), ticket.number, nx=True)
            first, *_ = await pipe.execute()
        return bool(first)

    async def ticket_for_thread(self, channel: str, thread_ts: str) -> int | None:
        """The ticket whose client thread is ``thread_ts`` in ``channel``, if any."""
        number = await self.redis.get(thread_key(channel, thread_ts))
        return int(number) if number else None

    async def remember_once(self, key: str, ttl: int) -> bool:
        """True the first time ``key`` is seen within ``ttl`` seconds (Slack retries, doubles)."""
        return bool(await self.redis.set(once_key(key), "1", nx=True, ex=ttl))

    async def forget_once(self, key: str) -> None:
        """Undo ``remember_once`` when the work failed, so that Slack's retry is taken."""
        await self.redis.delete(once_key(key))

    async def lock(self, name: str, ttl: int) -> bool:
        return bool(await self.redis.set(NS + name, "1", nx=True, ex=ttl))

    # -- clients --------------------------------------------------------------------------

    async def client(self, channel: str) -> Client | None:
        raw = await self.redis.hget(CLIENTS, channel)
        return Client(**json.loads(raw)) if raw else None

    async def clients(self) -> list[Client]:
        raw = cast(dict[str, str], await self.redis.hgetall(CLIENTS))
        return sorted((Client(**json.loads(v)) for v in raw.values()), key=lambda c: c.name)

    async def put_client(self, client: Client) -> None:
        await self.redis.hset(CLIENTS, client.channel, json.dumps(asdict(client)))

    async def remove_client(self, channel: str) -> bool:
        return bool(await self.redis.hdel(CLIENTS, channel))


def _job_spec(job: Job) -> dict[str, Any]:
    return {"id": job.id, "payload": job.payload, "due": round(job.due * 1000)}
