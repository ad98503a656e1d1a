"""The Redis key layout, written down in one place.

Tickets and the job queue are split into ``REDIS_PARTITIONS`` partitions (1 unless
``REDIS_CLUSTER`` is set). Each partition's keys carry its own hash tag, ``{desk}`` when
there is one partition: a ticket, its jobs and its partition's queue share a slot, so each
script touches one slot and declares every key in KEYS, while on Redis Cluster the
partitions spread over the shards (their tags are chosen so that they spread evenly over
the slots). Ticket <n> lives in partition (n - 1001) mod P: each partition numbers its
tickets in steps of P. Keys that are not a ticket's (clients, locks, the records of
events seen) are in ``{desk}``.

In partition <p> (``sd:{tag}:``)::

    seq                 STRING  last ticket number given in this partition (the first is T-1001)
    ticket:<n>          HASH    one ticket: a field per attribute, plus ``version``
    done:<n>            SET     what went out for ticket <n>, once each: SLA
                                notifications fired (``warning:<gen>``), effects
                                delivered (their job ids), ``failed:<job id>``
    fired:<n>           HASH    SLA notification (``breach:<gen>``) -> clock, step, due and
                                fired (JSON): every warning and breach, for reports
    outbox:<s>:<n>      LIST    ticket <n>'s events still to send to sink <s> (pager,
                                webhook), oldest first (JSON); the ticket hash counts them
                                in ``event_seq``
    open                ZSET    tickets not resolved, scored by creation (ms)
    resolved            ZSET    resolved tickets, scored by resolution (ms): what archiving
                                and retention go by
    created             ZSET    the same tickets, scored by creation (ms): reports' index
                                (a report covers the tickets opened in its period: these,
                                and those of ``open``)
    outcomes            HASH    resolved ticket <n> -> its outcome for reports (JSON, see
                                ``codec.encode_outcome``); all that is left of it once
                                archived, kept ``RETAIN_DAYS``
    archived            STRING  resolution time (ms) up to which tickets are archived
    by:due              ZSET    tickets not resolved -> their soonest deadline (ms; +inf: no
                                clock runs), the queue's order
    by:risk             ZSET    tickets with a clock running -> when they turn at risk (ms)
    by:nobody           ZSET    open tickets nobody holds -> soonest deadline
    by:user:<u>         ZSET    tickets not resolved that user <u> holds -> soonest deadline
    by:client:<c>       ZSET    tickets not resolved of client channel <c> -> soonest deadline
    timers:<n>          SET     ids of the SLA timer jobs armed for ticket <n>
    once:<key>          STRING  the ticket a submission opened; a job armed once (TTL)
    q:due               ZSET    job id -> due time (ms, Redis clock)
    q:lease             ZSET    job id -> lease expiry (ms) while a worker holds it
    q:job               HASH    job id -> the typed job (JSON)
    q:tries             HASH    job id -> attempts so far (only while unfinished)
    q:again             SET     job ids armed again while leased: run once more after
    q:dead              HASH    job id -> job, attempts and last error (JSON)
    q:dead:at           ZSET    job id -> when it was dead-lettered (ms, Redis clock): the
                                oldest are dropped past ``DEAD_LETTERS_MAX``
    q:wake              LIST    a token pushed when a job becomes the earliest due

In ``sd:{desk}:``::

    thread:<c>:<ts>     STRING  ticket number of the client thread at channel <c>, ts <ts>
                                (TTL ``RETAIN_DAYS``; deleted when the ticket is archived)
    clients             HASH    client channel ID -> client (JSON)
    lock:<name>         STRING  a lock held by one process (TTL)
    once:<key>          STRING  idempotency record of an event (TTL)
    prefill:<c>:<ts>    STRING  what a reaction prompt's button pre-fills (JSON), TTL
    intake:<u>:<hour>   STRING  tickets user <u> opened in that hour (INTAKE_LIMIT), TTL
    latest:<c>:<u>      STRING  ``<n>:<at>``: the ticket client member <u>'s latest message
                                in channel <c> opened or joined, and when they wrote it
                                (watching messages: follow-ups join it), TTL a day
    home:viewers        ZSET    who opened App Home -> when (ms): whose Home is kept current
    home:<u>            HASH    user <u>'s Home: ``staff``, ``shown`` (the tickets on it),
                                ``pages`` (JSON: section -> page), TTL
    assign:turn         STRING  the user automatic assignment chose last (round robin's turn)
    assign:skip:<u>     STRING  user <u> could not be reached by DM: skipped by automatic
                                assignment (TTL 24 h)

A ticket's jobs are always in its own partition's queue; a job of no ticket is in the
partition its id hashes to. A ticket change, its index entries, its jobs and its timers
are written by one script (``bot.adapters.scripts``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Final

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from bot.domain.jobs import Sink
from bot.domain.tickets import FIRST_NUMBER

NS: Final = "sd:{desk}:"
"""The namespace of the keys that are no ticket's (and of everything, with one partition)."""
CLIENTS: Final = NS + "clients"
CLIENTS_CHANGED: Final = NS + "clients:changed"
"""The pub/sub channel on which every change of a client record is published."""
SINKS: Final = tuple(Sink)
"""The order of a ticket's outbox keys in the ticket scripts' KEYS."""


def _tag(index: int, partitions: int) -> str:
    """The hash tag of partition ``index``: the first ``desk-<j>`` whose slot falls in the
    partition's share of the slots, so partitions spread over every shard."""
    if partitions == 1:
        return "desk"
    low = index * REDIS_CLUSTER_HASH_SLOTS // partitions
    high = (index + 1) * REDIS_CLUSTER_HASH_SLOTS // partitions
    j = 0
    while not low <= key_slot(f"desk-{j}".encode()) < high:
        j += 1
    return f"desk-{j}"


@dataclass(frozen=True)
class Partition:
    """The keys of one partition: its tickets', its queue's, its numbering."""

    index: int
    ns: str

    @property
    def seq(self) -> str:
        return self.ns + "seq"

    @property
    def open(self) -> str:
        return self.ns + "open"

    @property
    def queue(self) -> tuple[str, str, str, str, str, str]:
        """The queue's keys in the order every arming script declares them (KEYS[1..6])."""
        return (self.due, self.lease, self.jobs, self.tries, self.ns + "q:again", self.wake)

    @property
    def due(self) -> str:
        return self.ns + "q:due"

    @property
    def lease(self) -> str:
        return self.ns + "q:lease"

    @property
    def jobs(self) -> str:
        return self.ns + "q:job"

    @property
    def tries(self) -> str:
        return self.ns + "q:tries"

    @property
    def wake(self) -> str:
        return self.ns + "q:wake"

    @property
    def dead(self) -> str:
        return self.ns + "q:dead"

    @property
    def dead_at(self) -> str:
        return self.ns + "q:dead:at"

    def once(self, key: str) -> str:
        return f"{self.ns}once:{key}"

    @property
    def resolved(self) -> str:
        return self.ns + "resolved"

    @property
    def created(self) -> str:
        return self.ns + "created"

    @property
    def outcomes(self) -> str:
        return self.ns + "outcomes"

    @property
    def archived(self) -> str:
        return self.ns + "archived"

    @property
    def by_due(self) -> str:
        return self.ns + "by:due"

    @property
    def by_risk(self) -> str:
        return self.ns + "by:risk"

    def by_holder(self, user: str | None) -> str:
        """The index of the tickets ``user`` holds (None: of the ones nobody holds)."""
        return self.ns + ("by:nobody" if user is None else f"by:user:{user}")

    def by_client(self, channel: str) -> str:
        return f"{self.ns}by:client:{channel}"


@dataclass(frozen=True)
class Layout:
    """Where every key is, for ``partitions`` partitions."""

    partitions: int = 1
    _all: tuple[Partition, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.partitions < 1:
            raise ValueError("at least one partition")
        object.__setattr__(self, "_all", tuple(
            Partition(i, f"sd:{{{_tag(i, self.partitions)}}}:")
            for i in range(self.partitions)))

    @property
    def all(self) -> tuple[Partition, ...]:
        return self._all

    def of_ticket(self, number: int) -> Partition:
        return self._all[(number - FIRST_NUMBER) % self.partitions]

    def of_text(self, text: str) -> Partition:
        """The partition of a job of no ticket, or of a ticket not numbered yet."""
        return self._all[zlib.crc32(text.encode()) % self.partitions]

    def ticket_keys(self, number: int) -> list[str]:
        """A ticket's keys as its scripts declare them (KEYS[7..]): its hash, done set,
        fired hash, timers, its partition's open index, one outbox per sink, then its
        partition's resolution index, outcomes and outcomes' creation index."""
        part = self.of_ticket(number)
        return [self.ticket_hash(number), self.done_set(number), self.fired_hash(number),
                self.timer_set(number), part.open,
                *(self.outbox(sink.value, number) for sink in SINKS),
                part.resolved, part.outcomes, part.created]

    def ticket_hash(self, number: int) -> str:
        return f"{self.of_ticket(number).ns}ticket:{number}"

    def done_set(self, number: int) -> str:
        return f"{self.of_ticket(number).ns}done:{number}"

    def fired_hash(self, number: int) -> str:
        return f"{self.of_ticket(number).ns}fired:{number}"

    def timer_set(self, number: int) -> str:
        return f"{self.of_ticket(number).ns}timers:{number}"

    def outbox(self, sink: str, number: int) -> str:
        return f"{self.of_ticket(number).ns}outbox:{sink}:{number}"


TICKET_KEYS: Final = 8 + len(SINKS)
"""How many keys ``Layout.ticket_keys`` gives."""


def thread_key(channel: str, ts: str) -> str:
    return f"{NS}thread:{channel}:{ts}"


def once_key(key: str) -> str:
    return f"{NS}once:{key}"


def intake_key(user: str, bucket: int) -> str:
    return f"{NS}intake:{user}:{bucket}"


def mail_file_key(key: str) -> str:
    """An email's attachment, kept until it is uploaded into the ticket's thread."""
    return f"{NS}mailfile:{key}"


def mail_ref_key(message_id: str) -> str:
    """The ticket whose email thread holds this Message-ID (a client's email)."""
    return f"{NS}mailref:{message_id}"


def latest_key(channel: str, user: str) -> str:
    return f"{NS}latest:{channel}:{user}"


def prefill_key(key: str) -> str:
    return f"{NS}prefill:{key}"


def home_key(user: str) -> str:
    return f"{NS}home:{user}"


HOME_VIEWERS: Final = NS + "home:viewers"


ASSIGN_TURN: Final = NS + "assign:turn"


def skip_key(user: str) -> str:
    return f"{NS}assign:skip:{user}"


def lock_key(name: str) -> str:
    return f"{NS}lock:{name}"


ARM_LUA: Final = """
local K_DUE, K_LEASE, K_JOB, K_TRIES, K_AGAIN, K_WAKE = KEYS[1], KEYS[2], KEYS[3], KEYS[4],
  KEYS[5], KEYS[6]
-- Arm job ``id`` for ``at`` (ms). A job being run (leased) is marked to run once more
-- after, so a change made meanwhile is never lost and one job id never runs twice at
-- once. A job in retry keeps its deferral (Retry-After, backoff) and its attempts; a new
-- one may only move earlier. Wakes an idle worker when it becomes the earliest due.
local function wake_if_first(id)
  if redis.call('ZRANGE', K_DUE, 0, 0)[1] == id then
    redis.call('LPUSH', K_WAKE, '1')
    redis.call('LTRIM', K_WAKE, 0, 0)
  end
end
local function arm(id, at, payload)
  redis.call('HSET', K_JOB, id, payload)
  if redis.call('ZSCORE', K_LEASE, id) then
    redis.call('SADD', K_AGAIN, id)
    return
  end
  if redis.call('HEXISTS', K_TRIES, id) == 1 then
    redis.call('ZADD', K_DUE, 'NX', at, id)
  else
    redis.call('ZADD', K_DUE, 'LT', at, id)
  end
  wake_if_first(id)
end
-- Forget a job that is no longer wanted (a timer whose deadline moved). A leased one is
-- left to its worker, whose fencing check drops it.
local function disarm(id)
  redis.call('SREM', K_AGAIN, id)
  if redis.call('ZSCORE', K_LEASE, id) then return end
  redis.call('ZREM', K_DUE, id)
  redis.call('HDEL', K_JOB, id)
  redis.call('HDEL', K_TRIES, id)
end
local function now_ms(shift)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(shift)
end
"""
"""Lua shared by every script that arms jobs: declares the queue's KEYS[1..6]."""
