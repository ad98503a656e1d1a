"""The Lua scripts of the job queue (``queue``): claim, renew, ack, retry, dead-letter,
revive, whether busy; each one all or nothing, on one partition's slot, every key declared
(KEYS[1..6] the partition's queue, as ``keys.ARM_LUA`` declares them).
"""

from __future__ import annotations

from bot.adapters.keys import ARM_LUA

_BURY_LUA = """
-- Dead-letter job ``id`` (KEYS[7]: the dead letters, KEYS[8]: when each was
-- dead-lettered), then drop the oldest past ``cap``; returns how many were dropped.
local function bury(id, entry, now, cap)
  if redis.call('HLEN', KEYS[7]) > redis.call('ZCARD', KEYS[8]) then
    -- Dead letters from before their times were kept: they count as the oldest.
    for _, old in ipairs(redis.call('HKEYS', KEYS[7])) do
      redis.call('ZADD', KEYS[8], 'NX', 0, old)
    end
  end
  redis.call('HSET', KEYS[7], id, entry)
  redis.call('ZADD', KEYS[8], now, id)
  local over = redis.call('ZCARD', KEYS[8]) - cap
  if over <= 0 then return 0 end
  local oldest = redis.call('ZRANGE', KEYS[8], 0, over - 1)
  for _, old in ipairs(oldest) do
    redis.call('HDEL', KEYS[7], old)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[8], 0, #oldest - 1)
  return #oldest
end
"""

LEASED_LUA = ARM_LUA + """
-- Whether the lease on ``id`` is still the one whose expiry is ``token`` (the fencing check).
local function held(id, token)
  return tonumber(redis.call('ZSCORE', K_LEASE, id) or '-1') == tonumber(token)
end
-- Done: forget the job, unless it was armed again meanwhile (then it runs once more).
-- 0 when the lease was lost.
local function ack(id, token, now)
  if not held(id, token) then return 0 end
  redis.call('ZREM', K_LEASE, id)
  redis.call('HDEL', K_TRIES, id)
  if redis.call('SREM', K_AGAIN, id) == 1 then
    arm(id, now, redis.call('HGET', K_JOB, id))
  elseif not redis.call('ZSCORE', K_DUE, id) then
    redis.call('HDEL', K_JOB, id)
  end
  return 1
end
"""

# KEYS[7], KEYS[8]: dead letters and their times. ARGV: lease ms, limit, shift, max claims,
# dead letters kept. Returns now, the next wake (-1: none), dead letters dropped, then
# id, payload, attempt and token of each job claimed.
CLAIM = ARM_LUA + _BURY_LUA + """
local now = now_ms(ARGV[3])
local expired = redis.call('ZRANGEBYSCORE', K_LEASE, '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  redis.call('ZREM', K_LEASE, id)
  redis.call('SREM', K_AGAIN, id)
  redis.call('ZADD', K_DUE, 'NX', now, id)
end
local ids = redis.call('ZRANGEBYSCORE', K_DUE, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {now, -1, 0}
local until_ = now + tonumber(ARGV[1])
for _, id in ipairs(ids) do
  redis.call('ZREM', K_DUE, id)
  local payload = redis.call('HGET', K_JOB, id)
  if payload then
    local tries = redis.call('HINCRBY', K_TRIES, id, 1)
    if tries > tonumber(ARGV[4]) then
      -- Claimed this often without an outcome: its worker dies or stalls on it each time.
      out[3] = out[3] + bury(id, cjson.encode({payload = payload, attempts = tries - 1,
        error = 'its lease expired every time: the job kills or stalls its worker'}), now,
        tonumber(ARGV[5]))
      redis.call('HDEL', K_JOB, id)
      redis.call('HDEL', K_TRIES, id)
    else
      redis.call('ZADD', K_LEASE, until_, id)
      out[#out + 1] = id
      out[#out + 1] = payload
      out[#out + 1] = tries
      out[#out + 1] = until_
    end
  end
end
local nxt = redis.call('ZRANGE', K_DUE, 0, 0, 'WITHSCORES')
local lease = redis.call('ZRANGE', K_LEASE, 0, 0, 'WITHSCORES')
local wake = -1
if nxt[2] then wake = tonumber(nxt[2]) end
if lease[2] and (wake < 0 or tonumber(lease[2]) < wake) then wake = tonumber(lease[2]) end
out[2] = wake
return out
"""

# ARGV: id, token, shift, lease ms. A new token (the new expiry), or 0: the lease is lost.
RENEW = LEASED_LUA + """
if not held(ARGV[1], ARGV[2]) then return 0 end
local until_ = now_ms(ARGV[3]) + tonumber(ARGV[4])
redis.call('ZADD', K_LEASE, 'XX', until_, ARGV[1])
return until_
"""

# ARGV: id, token, shift. Done: forget the job, unless it was armed again meanwhile.
ACK = LEASED_LUA + """
return ack(ARGV[1], ARGV[2], now_ms(ARGV[3]))
"""

# KEYS[7], KEYS[8]: dead letters and their times; KEYS[9] (when given): the done set of
# the job's ticket. ARGV: id, token, shift, delay ms, max attempts (0: dead now), error,
# counts (1: this failure counts toward max attempts; 0: a rate limit, it does not), dead
# letters kept, and (when given) what a dead letter leaves (JSON: ``mark`` in the done
# set, ``jobs`` armed: the note that tells people). Returns the outcome (0 lost, 1 retry,
# 2 dead) and how many old dead letters were dropped.
RETRY = LEASED_LUA + _BURY_LUA + """
if not held(ARGV[1], ARGV[2]) then return {0, 0} end
redis.call('ZREM', K_LEASE, ARGV[1])
local again = redis.call('SREM', K_AGAIN, ARGV[1]) == 1
local tries = tonumber(redis.call('HGET', K_TRIES, ARGV[1]) or '0')
if ARGV[7] == '0' then
  tries = tries - 1
  redis.call('HSET', K_TRIES, ARGV[1], tries)
end
if tries >= tonumber(ARGV[5]) then
  local payload = redis.call('HGET', K_JOB, ARGV[1])
  local dropped = bury(ARGV[1], cjson.encode({payload = payload, attempts = tries,
    error = ARGV[6]}), now_ms(ARGV[3]), tonumber(ARGV[8]))
  redis.call('HDEL', K_TRIES, ARGV[1])
  if again then
    -- Armed again by a change while this attempt ran: that change still goes out.
    redis.call('ZADD', K_DUE, now_ms(ARGV[3]), ARGV[1])
  else
    redis.call('HDEL', K_JOB, ARGV[1])
  end
  if ARGV[9] then
    local left = cjson.decode(ARGV[9])
    redis.call('SADD', KEYS[9], left.mark)
    for _, j in ipairs(left.jobs) do arm(j.id, now_ms(ARGV[3]), j.payload) end
  end
  return {2, dropped}
end
redis.call('ZADD', K_DUE, 'NX', now_ms(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
-- Its worker may be idle by now (it claims while jobs run), waiting past the job's new
-- due time: woken, as arming a job wakes it, so that its claim sees it.
wake_if_first(ARGV[1])
return {1, 0}
"""

# KEYS[7], KEYS[8]: dead letters and their times; KEYS[9]: the done set of the job's
# ticket. ARGV: id, shift. A dead letter back in the queue, due now with its attempts reset
# (a job armed again since keeps that newer payload). 1; 0: no such dead letter; -1: its
# job was not kept, there is nothing to run.
REVIVE = ARM_LUA + """
local entry = redis.call('HGET', KEYS[7], ARGV[1])
if not entry then return 0 end
local payload = redis.call('HGET', K_JOB, ARGV[1])
if not payload then
  payload = cjson.decode(entry).payload
  if type(payload) ~= 'string' then return -1 end
end
redis.call('HDEL', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('SREM', KEYS[9], 'failed:' .. ARGV[1])
if not redis.call('ZSCORE', K_LEASE, ARGV[1]) then
  redis.call('HDEL', K_TRIES, ARGV[1])
end
arm(ARGV[1], now_ms(ARGV[2]), payload)
return 1
"""

# ARGV: shift, then ids. Jobs waiting out their backoff after a failure (in retry: they
# have tries) become due now; a job armed afresh for later, or leased, is left alone. How
# many moved.
DUE_NOW = ARM_LUA + """
local now = now_ms(ARGV[1])
local moved = 0
for i = 2, #ARGV do
  local due = redis.call('ZSCORE', K_DUE, ARGV[i])
  if due and tonumber(due) > now and redis.call('HEXISTS', K_TRIES, ARGV[i]) == 1 then
    redis.call('ZADD', K_DUE, now, ARGV[i])
    moved = moved + 1
  end
end
if moved > 0 then
  redis.call('LPUSH', K_WAKE, '1')
  redis.call('LTRIM', K_WAKE, 0, 0)
end
return moved
"""

# A job's last write and its ack in one step. KEYS[7]: its ticket's hash, KEYS[8]: the
# ticket's done set, KEYS[9] (when given, on the same slot): the index of the client
# thread being recorded. ARGV[1]: the clock's shift, ARGV[2]: the spec (JSON):
#   mark             recorded in the done set (what went out)
#   field, ts        a message's ts recorded on the ticket, once (thread: its number, ttl)
#   seen             {version, field, value}: the ticket as the job read it; it changed if
#                    its version did, or ``field`` is no longer ``value``
#   jobs / changed   armed (``changed``: only if the ticket changed since ``seen``)
#   choose           {field, set, unset, take}: arm ``set`` if the field is set, else
#                    ``unset``; with ``take``, lease it to the caller at once instead (for
#                    ``lease_ms``), unless another worker holds it or it was claimed
#                    ``max_claims`` times already (then it is armed)
#   lease            {id, token}: acked last (0 when the lease was lost)
# Nothing is recorded on, nor armed for, a ticket that is gone. Returns whether the mark or
# the ts was new, the field's value now, the ack (1, 0, or -1 when not asked), the clock,
# and the job taken (id, payload, attempt, token; or nothing) with the ticket's fields and
# done set as they are now.
FINISH = LEASED_LUA + """
local spec = cjson.decode(ARGV[2])
local now = now_ms(ARGV[1])
local K_TICKET, K_DONE = KEYS[7], KEYS[8]
local recorded, value, acked, taken = 0, false, -1, false
local live = redis.call('EXISTS', K_TICKET) == 1
if spec.mark then recorded = redis.call('SADD', K_DONE, spec.mark) end
if spec.field and live then
  if KEYS[9] then redis.call('SET', KEYS[9], spec.thread.number, 'NX', 'EX', spec.thread.ttl) end
  recorded = redis.call('HSETNX', K_TICKET, spec.field, spec.ts)
  value = redis.call('HGET', K_TICKET, spec.field)
end
local function arm_each(jobs)
  for _, j in ipairs(jobs or {}) do
    local at = j.due
    if at == 0 then at = now end
    arm(j.id, at, j.payload)
  end
end
if live then
  arm_each(spec.jobs)
  local seen = spec.seen
  if seen and (tonumber(redis.call('HGET', K_TICKET, 'version')) ~= seen.version
      or (seen.field and redis.call('HGET', K_TICKET, seen.field) ~= (seen.value or false))) then
    arm_each(spec.changed)
  end
  if spec.choose then
    local j = spec.choose.unset
    if redis.call('HEXISTS', K_TICKET, spec.choose.field) == 1 then j = spec.choose.set end
    if spec.choose.take and not redis.call('ZSCORE', K_LEASE, j.id)
        and tonumber(redis.call('HGET', K_TRIES, j.id) or '0') < spec.max_claims then
      redis.call('HSET', K_JOB, j.id, j.payload)
      redis.call('ZREM', K_DUE, j.id)
      local tries = redis.call('HINCRBY', K_TRIES, j.id, 1)
      local until_ = now + spec.lease_ms
      redis.call('ZADD', K_LEASE, until_, j.id)
      taken = {j.id, j.payload, tries, until_}
    else
      arm_each({j})
    end
  end
end
if spec.lease then acked = ack(spec.lease.id, spec.lease.token, now) end
if not taken then return {recorded, value, acked, now} end
return {recorded, value, acked, now, taken, redis.call('HGETALL', K_TICKET),
  redis.call('SMEMBERS', K_DONE)}
"""


BUSY = """
-- Whether a partition has a job due now or running, read with Redis's own clock in one
-- step: a job that finishes and arms its follow-up due now is seen before or after, never
-- in between (KEYS: due, lease; ARGV: the clock's shift in ms).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
return redis.call('ZCOUNT', KEYS[1], '-inf', now) + redis.call('ZCARD', KEYS[2])
"""
