"""The Redis key layout, written down in one place.

Every key carries the hash tag ``{desk}``: each script touches one slot. (On Redis
Cluster this keeps the whole desk on one shard; spreading tickets over slots would
mean partitioning the queue too.)::

    sd:{desk}:seq               STRING  last ticket number (the first ticket is T-1001)
    sd:{desk}:ticket:<n>        HASH    one ticket: a field per attribute, plus ``version``
    sd:{desk}:done:<n>          SET     what went out for ticket <n>, once each: SLA
                                        notifications fired (``warning:<gen>``), effects
                                        delivered (their job ids), ``failed:<job id>``
    sd:{desk}:fired:<n>         HASH    SLA notification (``breach:<gen>``) -> clock, step, due and
                                        fired (JSON): every warning and breach, for reports
    sd:{desk}:outbox:<s>:<n>    LIST    ticket <n>'s events still to send to sink <s> (pager,
                                        webhook), oldest first (JSON); the ticket hash counts
                                        them in ``event_seq``
    sd:{desk}:open              ZSET    tickets not resolved, scored by creation (ms)
    sd:{desk}:timers:<n>        SET     ids of the SLA timer jobs armed for ticket <n>
    sd:{desk}:thread:<c>:<ts>   STRING  ticket number of the client thread at channel <c>, ts <ts>
    sd:{desk}:clients           HASH    client channel ID -> client (JSON)
    sd:{desk}:lock:<name>       STRING  a lock held by one process (TTL)
    sd:{desk}:once:<key>        STRING  idempotency record (a view submission, an event id), TTL
    sd:{desk}:prefill:<c>:<ts>  STRING  what a reaction prompt's button pre-fills (JSON), TTL
    sd:{desk}:intake:<u>:<hour> STRING  tickets user <u> opened in that hour (INTAKE_LIMIT), TTL
    sd:{desk}:q:due             ZSET    job id -> due time (ms, Redis clock)
    sd:{desk}:q:lease           ZSET    job id -> lease expiry (ms) while a worker holds it
    sd:{desk}:q:job             HASH    job id -> the typed job (JSON)
    sd:{desk}:q:tries           HASH    job id -> attempts so far (only while unfinished)
    sd:{desk}:q:again           SET     job ids armed again while leased: run once more after
    sd:{desk}:q:dead            HASH    job id -> job, attempts and last error (JSON)
    sd:{desk}:q:dead:at         ZSET    job id -> when it was dead-lettered (ms, Redis clock):
                                        the oldest are dropped past ``DEAD_LETTERS_MAX``
    sd:{desk}:q:wake            LIST    a token pushed when a job becomes the earliest due

A ticket change, its index entries, its jobs and its timers are written by one script
(``bot.adapters.store``); the queue's scripts are in ``bot.adapters.queue``.
"""

from __future__ import annotations

from typing import Final

NS: Final = "sd:{desk}:"
SEQ: Final = NS + "seq"
OPEN: Final = NS + "open"
CLIENTS: Final = NS + "clients"
DUE: Final = NS + "q:due"
LEASE: Final = NS + "q:lease"
JOB: Final = NS + "q:job"
TRIES: Final = NS + "q:tries"
AGAIN: Final = NS + "q:again"
DEAD: Final = NS + "q:dead"
DEAD_AT: Final = NS + "q:dead:at"
WAKE: Final = NS + "q:wake"
QUEUE: Final = (DUE, LEASE, JOB, TRIES, AGAIN, WAKE)
"""The queue's keys in the order every arming script declares them (KEYS[1..6])."""


def ticket_hash(number: int) -> str:
    return f"{NS}ticket:{number}"


def done_set(number: int) -> str:
    return f"{NS}done:{number}"


def fired_hash(number: int) -> str:
    return f"{NS}fired:{number}"


def outbox(sink: str, number: int) -> str:
    return f"{NS}outbox:{sink}:{number}"


def timer_set(number: int) -> str:
    return f"{NS}timers:{number}"


def thread_key(channel: str, ts: str) -> str:
    return f"{NS}thread:{channel}:{ts}"


def once_key(key: str) -> str:
    return f"{NS}once:{key}"


def intake_key(user: str, bucket: int) -> str:
    return f"{NS}intake:{user}:{bucket}"


def prefill_key(key: str) -> str:
    return f"{NS}prefill:{key}"


def lock_key(name: str) -> str:
    return f"{NS}lock:{name}"


ARM_LUA: Final = """
local K_DUE, K_LEASE, K_JOB, K_TRIES, K_AGAIN, K_WAKE = KEYS[1], KEYS[2], KEYS[3], KEYS[4],
  KEYS[5], KEYS[6]
-- Arm job ``id`` for ``at`` (ms). A job being run (leased) is marked to run once more
-- after, so a change made meanwhile is never lost and one job id never runs twice at
-- once. A job in retry keeps its deferral (Retry-After, backoff) and its attempts; a new
-- one may only move earlier. Wakes an idle worker when it becomes the earliest due.
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
  if redis.call('ZRANGE', K_DUE, 0, 0)[1] == id then
    redis.call('LPUSH', K_WAKE, '1')
    redis.call('LTRIM', K_WAKE, 0, 0)
  end
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
