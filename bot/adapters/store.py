"""Tickets and clients in Redis, with the jobs and timers each change arms (see ``keys``).

Every change to a ticket is one script: its fields, its index entries, the jobs that
tell Slack about it and its SLA timers, all or nothing. Writes that record what went out
(``done``) and the sweep's repairs never bump a ticket's version, so they never make a
person's change retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Final, cast

from redis.asyncio import Redis

from bot.adapters.keys import (
    ARM_LUA,
    CLIENTS,
    NS,
    OPEN,
    QUEUE,
    done_set,
    intake_key,
    lock_key,
    once_key,
    prefill_key,
    thread_key,
    ticket_hash,
)
from bot.domain.jobs import FireTimer, Job
from bot.domain.sla import Timer
from bot.domain.tickets import Client, Severity, SeverityChange, Status, StatusChange, Ticket

FIRST_NUMBER: Final = 1001
_NEW: Final = 999_999_999_999
"""Stands for the number of a ticket being created in its jobs' ids and payloads."""


@dataclass(frozen=True)
class Versioned:
    ticket: Ticket
    version: int


@dataclass(frozen=True)
class Armed:
    """A job to arm with a change, due at ``due`` (epoch seconds; 0: now, by Redis's clock)."""

    job: Job
    due: float = 0.0


@dataclass(frozen=True)
class IntakeLimit:
    """At most ``most`` tickets per reporter in each ``window`` seconds."""

    most: int
    window: int = 3600


class TooMany(Exception):
    """The reporter reached the intake limit."""

    def __init__(self, most: int) -> None:
        super().__init__(f"more than {most} tickets")
        self.most = most


class Conflict(Exception):
    """The ticket changed since it was read (optimistic concurrency): read again and retry."""


# Lua shared by the ticket scripts, after ARM_LUA. ARGV[1]: namespace, ARGV[2]: clock shift
# (ms), ARGV[3]: the spec (JSON).
_TICKET_LUA = ARM_LUA + """
local ns = ARGV[1]
local spec = cjson.decode(ARGV[3])
local now = now_ms(ARGV[2])
-- In the jobs of a ticket being created, NEW stands for its number.
local function numbered(text, n) return (string.gsub(text, spec.new, tostring(n))) end
local function arm_all(n, jobs)
  for _, j in ipairs(jobs) do
    local at = j.due
    if at == 0 then at = now end
    arm(numbered(j.id, n), at, numbered(j.payload, n))
  end
end
-- Replace the ticket's armed timers by ``timers``: the ones kept keep their attempts and
-- deferrals; the ones no longer wanted are disarmed.
local function set_timers(n, timers)
  local tset = ns .. 'timers:' .. n
  local wanted = {}
  for _, tm in ipairs(timers) do wanted[numbered(tm.id, n)] = true end
  for _, id in ipairs(redis.call('SMEMBERS', tset)) do
    if not wanted[id] then disarm(id) end
  end
  redis.call('DEL', tset)
  arm_all(n, timers)
  for id, _ in pairs(wanted) do redis.call('SADD', tset, id) end
end
"""

_COMMIT = _TICKET_LUA + """
if spec.once then
  local seen = redis.call('GET', ns .. 'once:' .. spec.once)
  if seen then return {'seen', tonumber(seen), 0} end
end
if spec.limit then
  local count = redis.call('INCR', spec.limit.key)
  if count == 1 then redis.call('EXPIRE', spec.limit.key, spec.limit.window) end
  if count > spec.limit.most then
    redis.call('DECR', spec.limit.key)
    return {'limited', 0, 0}
  end
end
local n = spec.number
local key
local version
if n == 0 then
  n = redis.call('INCR', ns .. 'seq')
  if n < tonumber(spec.first) then
    redis.call('SET', ns .. 'seq', spec.first)
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
arm_all(n, spec.jobs)
set_timers(n, spec.timers)
return {'ok', n, version}
"""

# Effects of a ticket whose state was read at ``version``: marks in its done set, jobs and
# (when given) its timers; refused if the ticket changed meanwhile. No version bump.
_EFFECTS = _TICKET_LUA + """
local n = spec.number
local current = tonumber(redis.call('HGET', ns .. 'ticket:' .. n, 'version') or '0')
if current ~= spec.version then return 0 end
if #spec.marks > 0 then redis.call('SADD', ns .. 'done:' .. n, unpack(spec.marks)) end
arm_all(n, spec.jobs)
if spec.timers then set_timers(n, spec.timers) end
if spec.missing then
  for _, j in ipairs(spec.missing) do
    if redis.call('HEXISTS', K_JOB, j.id) == 0 then arm(j.id, now, j.payload) end
  end
end
return 1
"""

# KEYS[7]: the idempotency record. ARGV: id, shift, due ms, job, ttl s. Arms the job only
# the first time the record is set: a dedupe and its enqueue in one step.
_ENQUEUE_ONCE = ARM_LUA + """
if not redis.call('SET', KEYS[7], '1', 'NX', 'EX', tonumber(ARGV[5])) then return 0 end
local at = tonumber(ARGV[3])
if at == 0 then at = now_ms(ARGV[2]) end
arm(ARGV[1], at, ARGV[4])
return 1
"""

_ENQUEUE = ARM_LUA + """
local at = tonumber(ARGV[3])
if at == 0 then at = now_ms(ARGV[2]) end
arm(ARGV[1], at, ARGV[4])
return 1
"""

_TICKET_FIELDS = tuple(f.name for f in fields(Ticket) if f.name != "sent")
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
        else:
            values[name] = str(value.value if isinstance(value, Severity | Status) else value)
    return values, unset


def decode_ticket(raw: dict[str, str], done: set[str] | frozenset[str] = frozenset()) -> Ticket:
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
        previous_resolution=raw.get("previous_resolution"),
        awaiting_since=opt_float("awaiting_since"),
        sent=frozenset(done),
    )


def job_spec(armed: Armed, new: bool = False) -> dict[str, Any]:
    """An armed job as the scripts take it (``new``: for a ticket not numbered yet)."""
    job = armed.job.model_copy(update={"ticket": _NEW}) if new else armed.job
    return {"id": job.id, "payload": job.model_dump_json(), "due": round(armed.due * 1000)}


def timer_jobs(number: int, timers: Sequence[Timer]) -> list[Armed]:
    return [Armed(FireTimer(ticket=number, step=t.step, generation=t.generation), t.due)
            for t in timers]


class Store:
    """Tickets and clients in Redis. ``shift`` is the clock's deliberate shift (tests)."""

    def __init__(self, redis: Redis, shift_ms: Callable[[], int] | None = None) -> None:
        self.redis = redis
        self._shift = shift_ms or (lambda: 0)
        self._commit = redis.register_script(_COMMIT)
        self._effects = redis.register_script(_EFFECTS)
        self._enqueue = redis.register_script(_ENQUEUE)
        self._enqueue_once = redis.register_script(_ENQUEUE_ONCE)

    def _args(self, spec: dict[str, Any]) -> list[Any]:
        # Absent, not null: cjson decodes null to a truthy userdata.
        spec = {k: v for k, v in spec.items() if v is not None}
        return [NS, int(self._shift()), json.dumps({**spec, "new": str(_NEW)})]

    async def create(self, draft: Ticket, *, once: str | None, once_ttl: int,
                     jobs: Sequence[Armed], timers: Sequence[Timer],
                     limit: IntakeLimit | None = None) -> tuple[Versioned, bool]:
        """Number and save a new ticket with its jobs and timers, at most once per ``once``.

        Returns the ticket and whether it was created now (False: ``once`` was seen, the
        ticket is the one it created then). Raises TooMany past the reporter's ``limit``.
        """
        values, unset = encode_ticket(draft)
        window = None
        if limit is not None:
            bucket = int(draft.created_at // limit.window)
            window = {"key": intake_key(draft.reporter, bucket), "window": limit.window,
                      "most": limit.most}
        status, number, version = await self._commit(keys=list(QUEUE), args=self._args({
            "limit": window,
            "once": once, "once_ttl": once_ttl, "number": 0, "first": FIRST_NUMBER,
            "fields": values, "unset": unset, "open": True,
            "created": round(draft.created_at * 1000),
            "jobs": [job_spec(a, new=True) for a in jobs],
            "timers": [job_spec(a, new=True) for a in timer_jobs(_NEW, timers)],
        }))
        if status == "ok":
            return Versioned(replace(draft, number=int(number)), int(version)), True
        if status == "limited":
            raise TooMany(limit.most if limit else 0)
        saved = await self.get(int(number))
        if saved is None:
            raise LookupError(f"T-{number} was opened by an earlier submission, then deleted")
        return saved, False

    async def save(self, current: Versioned, ticket: Ticket, *, jobs: Sequence[Armed] = (),
                   timers: Sequence[Timer]) -> Versioned:
        """Write ``ticket`` over ``current`` if nobody changed it since; raise Conflict if so.

        ``timers`` replaces the ticket's armed SLA timers.
        """
        values, unset = encode_ticket(ticket)
        n = ticket.number
        status, _, version = await self._commit(keys=list(QUEUE), args=self._args({
            "number": n, "version": current.version, "fields": values, "unset": unset,
            "open": ticket.status is not Status.RESOLVED,
            "created": round(ticket.created_at * 1000),
            "jobs": [job_spec(a) for a in jobs],
            "timers": [job_spec(a) for a in timer_jobs(n, timers)],
        }))
        if status == "conflict":
            raise Conflict(ticket.key)
        return Versioned(replace(ticket, sent=current.ticket.sent), int(version))

    async def commit_effects(self, current: Versioned, *, marks: Sequence[str] = (),
                             jobs: Sequence[Armed] = (),
                             timers: Sequence[Timer] | None = None) -> bool:
        """Record ``marks`` and arm ``jobs`` (and replace the timers) for the ticket as read.

        False, with nothing written, if the ticket changed since ``current`` was read.
        """
        n = current.ticket.number
        return bool(await self._effects(keys=list(QUEUE), args=self._args({
            "number": n, "version": current.version, "marks": list(marks),
            "jobs": [job_spec(a) for a in jobs],
            "timers": None if timers is None else [job_spec(a)
                                                   for a in timer_jobs(n, timers)],
        })))

    async def rebuild_many(self, items: Sequence[tuple[Versioned, Sequence[Armed],
                                                       Sequence[Timer]]]) -> list[bool]:
        """For each (ticket as read, jobs, timers): arm those of the jobs that are not in the
        queue already, and replace the timers, unless the ticket changed since it was read.
        One round trip for them all."""
        if not items:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for current, jobs, timers in items:
                n = current.ticket.number
                await self._effects(keys=list(QUEUE), client=pipe, args=self._args({
                    "number": n, "version": current.version, "marks": [], "jobs": [],
                    "missing": [job_spec(a) for a in jobs],
                    "timers": [job_spec(a) for a in timer_jobs(n, timers)]}))
            return [bool(r) for r in await pipe.execute()]

    async def enqueue(self, armed: Armed) -> None:
        """Arm one job that is not part of a ticket change."""
        job = armed.job
        await self._enqueue(keys=list(QUEUE), args=[
            job.id, int(self._shift()), round(armed.due * 1000), job.model_dump_json()])

    async def enqueue_once(self, once: str, ttl: int, armed: Armed) -> bool:
        """Arm ``armed`` unless ``once`` was seen within ``ttl`` seconds; True if armed."""
        job = armed.job
        return bool(await self._enqueue_once(keys=[*QUEUE, once_key(once)], args=[
            job.id, int(self._shift()), round(armed.due * 1000), job.model_dump_json(), ttl]))

    async def begin_once(self, key: str, running_ttl: float) -> bool:
        """Start the work of ``key`` unless it is done or running (a concurrent retry)."""
        return bool(await self.redis.set(once_key(key), "running", nx=True,
                                         px=round(running_ttl * 1000)))

    async def finish_once(self, key: str, ttl: int) -> None:
        """The work of ``key`` is done: later deliveries of it are dropped for ``ttl`` s."""
        await self.redis.set(once_key(key), "done", ex=ttl)

    async def mark_done(self, number: int, record: str) -> bool:
        """Record that ``record`` went out for the ticket; False if it already had."""
        return bool(await self.redis.sadd(done_set(number), record))

    async def get(self, number: int) -> Versioned | None:
        return (await self.get_many([number]))[0]

    async def get_many(self, numbers: Sequence[int]) -> list[Versioned | None]:
        """Several tickets in one round trip, in the order asked."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.hgetall(ticket_hash(number))
                pipe.smembers(done_set(number))
            raw = await pipe.execute()
        found: list[Versioned | None] = []
        for fields_, done in zip(raw[::2], raw[1::2], strict=True):
            fields_ = cast(dict[str, str], fields_)
            found.append(Versioned(decode_ticket(fields_, set(done)), int(fields_["version"]))
                         if fields_ else None)
        return found

    async def open_numbers(self) -> list[int]:
        return [int(n) for n in cast(list[str], await self.redis.zrange(OPEN, 0, -1))]

    async def set_message_ts(self, ticket: Ticket, name: str, ts: str) -> bool:
        """Record where a ticket's message lives (``client_ts``, ``triage_ts``...), once."""
        if name not in _WRITE_ONCE:
            raise ValueError(f"{name} is not a message timestamp field")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(ticket_hash(ticket.number), name, ts)
            if name == "client_ts":
                pipe.set(thread_key(ticket.channel, ts), ticket.number, nx=True)
            first, *_ = await pipe.execute()
        return bool(first)

    async def index_thread(self, channel: str, thread_ts: str, number: int) -> None:
        """Tie a client thread to its ticket (again: after the channel's ID changed)."""
        await self.redis.set(thread_key(channel, thread_ts), number)

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

    async def put_prefill(self, key: str, value: str, ttl: int) -> None:
        """Keep what an Open a ticket button pre-fills (its value names it by ``key``)."""
        await self.redis.set(prefill_key(key), value, ex=ttl)

    async def prefill(self, key: str) -> str | None:
        return cast(str | None, await self.redis.get(prefill_key(key)))

    async def lock(self, name: str, ttl: float) -> bool:
        return bool(await self.redis.set(lock_key(name), "1", nx=True, px=round(ttl * 1000)))

    async def extend_lock(self, name: str, ttl: float) -> None:
        await self.redis.pexpire(lock_key(name), round(ttl * 1000))

    async def unlock(self, name: str) -> None:
        await self.redis.delete(lock_key(name))

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
