"""The Lua scripts: of ticket changes (``store``) and of the job queue (``queue``), each one
all or nothing, on one slot, every key declared.

Ticket scripts: KEYS[1..6] are the queue's keys of the ticket's partition (as
``keys.ARM_LUA`` declares them), KEYS[7..] the ticket's (``Layout.ticket_keys``); ARGV[1]
is the clock's shift (ms), ARGV[2] the spec (JSON).
"""

from __future__ import annotations

from bot.adapters.keys import ARM_LUA, SINKS

_OUTBOXES = "\n".join(f"K_OUTBOX['{sink.value}'] = KEYS[{12 + i}]"
                       for i, sink in enumerate(SINKS))
_REPORTS = (f"\nlocal K_RESOLVED, K_OUTCOMES, K_CREATED = KEYS[{12 + len(SINKS)}], "
            f"KEYS[{13 + len(SINKS)}], KEYS[{14 + len(SINKS)}]")

TICKET_LUA = ARM_LUA + """
local K_TICKET, K_DONE, K_FIRED, K_TIMERS, K_OPEN = KEYS[7], KEYS[8], KEYS[9], KEYS[10],
  KEYS[11]
local K_OUTBOX = {}
""" + _OUTBOXES + _REPORTS + """
local spec = cjson.decode(ARGV[2])
local now = now_ms(ARGV[1])
-- A ticket event: numbered per ticket, appended to each of its sinks' outboxes, whose
-- delivery job (one per ticket and sink, so its events go out in order) is armed.
local function append_event(n, j)
  local seq = redis.call('HINCRBY', K_TICKET, 'event_seq', 1)
  local record = string.gsub(j.event, '"seq":0', '"seq":' .. seq, 1)
  for _, sink in ipairs(j.sinks) do
    redis.call('RPUSH', K_OUTBOX[sink], record)
    arm('outbox:' .. sink .. ':' .. n, now,
        '{"kind":"deliver_outbox","ticket":' .. n .. ',"sink":"' .. sink .. '"}')
  end
end
local function arm_all(n, jobs)
  for _, j in ipairs(jobs) do
    if j.event then
      append_event(n, j)
    else
      local at = j.due
      if at == 0 then at = now end
      -- A timer dead-lettered for good is not brought back (by the sweep, say).
      if not j.timer or redis.call('SISMEMBER', K_DONE, 'failed:' .. j.id) == 0 then
        arm(j.id, at, j.payload)
      end
    end
  end
end
-- Replace the ticket's armed timers by ``timers``: the ones kept keep their attempts and
-- deferrals; the ones no longer wanted are disarmed.
local function set_timers(n, timers)
  local wanted = {}
  for _, tm in ipairs(timers) do wanted[tm.id] = true end
  for _, id in ipairs(redis.call('SMEMBERS', K_TIMERS)) do
    if not wanted[id] then disarm(id) end
  end
  redis.call('DEL', K_TIMERS)
  arm_all(n, timers)
  for id, _ in pairs(wanted) do redis.call('SADD', K_TIMERS, id) end
end
-- The ticket's entries in its partition's indices (``Store.index_spec``): out of every
-- index key declared (KEYS[i] for i in ``drop``), into those of its new state.
local function reindex(n, index)
  if not index then return end
  for _, k in ipairs(index.drop) do redis.call('ZREM', KEYS[k], n) end
  for _, entry in ipairs(index.add) do redis.call('ZADD', KEYS[entry[1]], entry[2], n) end
end
"""

# A reporter's count of tickets in the limit's window: counted, or refused (0) past the
# limit, in which case it stays as it was. KEYS[1]: the count; ARGV: the limit, the window (s).
INTAKE = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""

# KEYS[1]: the submission's idempotency record, KEYS[2]: the partition's ticket numbers.
# ARGV: whether there is a record (1/0), the step (the partitions), the partition's first
# number. The ticket a repeated submission opened ('seen'), or is opening ('pending'), or
# the next number of this partition ('new'), which the record then holds as ``pending:<n>``
# until the ticket is written (so a double click waits for that ticket instead of
# numbering another).
ADMIT = """
if ARGV[1] == '1' then
  local seen = redis.call('GET', KEYS[1])
  if seen then
    local pending = string.match(seen, '^pending:(%d+)$')
    if pending then return {'pending', tonumber(pending)} end
    return {'seen', tonumber(seen)}
  end
end
local n = redis.call('INCRBY', KEYS[2], tonumber(ARGV[2]))
if n < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[3])
  n = tonumber(ARGV[3])
end
if ARGV[1] == '1' then redis.call('SET', KEYS[1], 'pending:' .. n, 'EX', 30) end
return {'new', n}
"""

# The last key: the submission's idempotency record (creation). Version 0: create.
COMMIT = TICKET_LUA + """
local K_ONCE = KEYS[#KEYS]
if spec.once then
  local seen = redis.call('GET', K_ONCE)
  if seen and seen ~= 'pending:' .. spec.number then
    return {'seen', tonumber((string.gsub(seen, 'pending:', ''))), 0}
  end
end
local n = spec.number
local current = tonumber(redis.call('HGET', K_TICKET, 'version') or '0')
if current ~= spec.version then return {'conflict', n, current} end
local version = current + 1
if spec.once then
  redis.call('SET', K_ONCE, n, 'EX', spec.once_ttl)
end
spec.fields['number'] = tostring(n)
spec.fields['version'] = tostring(version)
local flat = {}
for k, v in pairs(spec.fields) do flat[#flat + 1] = k; flat[#flat + 1] = v end
redis.call('HSET', K_TICKET, unpack(flat))
if #spec.unset > 0 then redis.call('HDEL', K_TICKET, unpack(spec.unset)) end
if spec.open then
  redis.call('ZADD', K_OPEN, 'NX', spec.created, n)
  redis.call('ZREM', K_RESOLVED, n)
  redis.call('ZREM', K_CREATED, n)
  redis.call('HDEL', K_OUTCOMES, n)
else
  redis.call('ZREM', K_OPEN, n)
  if spec.outcome then
    redis.call('ZADD', K_RESOLVED, spec.resolved, n)
    redis.call('ZADD', K_CREATED, spec.created, n)
    redis.call('HSET', K_OUTCOMES, n, spec.outcome)
  end
end
reindex(n, spec.index)
arm_all(n, spec.jobs)
set_timers(n, spec.timers)
return {'ok', n, version}
"""

# Effects of a ticket whose state was read at ``version``: marks in its done set, jobs and
# (when given) its timers; refused if the ticket changed meanwhile. No version bump, except
# for a timer that fires: what fired is on the ticket's record (a resolve reads its breaches
# for the outcome), so a change read before it is made again.
EFFECTS = TICKET_LUA + """
local n = spec.number
local current = tonumber(redis.call('HGET', K_TICKET, 'version') or '0')
if current ~= spec.version then return 0 end
-- A timer fires once: a second run of it (a stalled worker's) finds it fired already.
if spec.fired and redis.call('SADD', K_DONE, spec.fired.name) == 0 then
  return 2
end
if #spec.marks > 0 then redis.call('SADD', K_DONE, unpack(spec.marks)) end
reindex(n, spec.index)
if spec.fired then
  redis.call('HSETNX', K_FIRED, spec.fired.name, spec.fired.record)
  redis.call('HINCRBY', K_TICKET, 'version', 1)
end
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
ENQUEUE_ONCE = ARM_LUA + """
if not redis.call('SET', KEYS[7], '1', 'NX', 'EX', tonumber(ARGV[5])) then return 0 end
local at = tonumber(ARGV[3])
if at == 0 then at = now_ms(ARGV[2]) end
arm(ARGV[1], at, ARGV[4])
return 1
"""

ENQUEUE = ARM_LUA + """
local at = tonumber(ARGV[3])
if at == 0 then at = now_ms(ARGV[2]) end
arm(ARGV[1], at, ARGV[4])
return 1
"""

# KEYS[1]: the clients. ARGV: the channel, its record (JSON; empty: removed), the channel
# of changes. The record and the message that tells the running processes go together.
CLIENT_CHANGE = """
local changed = 1
if ARGV[2] == '' then
  changed = redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[1])
return changed
"""


# -- the job queue ----------------------------------------------------------------------

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

_LEASED_LUA = ARM_LUA + """
-- Whether the lease on ``id`` is still the one whose expiry is ``token`` (the fencing check).
local function held(id, token)
  return tonumber(redis.call('ZSCORE', K_LEASE, id) or '-1') == tonumber(token)
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
RENEW = _LEASED_LUA + """
if not held(ARGV[1], ARGV[2]) then return 0 end
local until_ = now_ms(ARGV[3]) + tonumber(ARGV[4])
redis.call('ZADD', K_LEASE, 'XX', until_, ARGV[1])
return until_
"""

# ARGV: id, token, shift. Done: forget the job, unless it was armed again meanwhile.
ACK = _LEASED_LUA + """
if not held(ARGV[1], ARGV[2]) then return 0 end
redis.call('ZREM', K_LEASE, ARGV[1])
redis.call('HDEL', K_TRIES, ARGV[1])
if redis.call('SREM', K_AGAIN, ARGV[1]) == 1 then
  arm(ARGV[1], now_ms(ARGV[3]), redis.call('HGET', K_JOB, ARGV[1]))
elseif not redis.call('ZSCORE', K_DUE, ARGV[1]) then
  redis.call('HDEL', K_JOB, ARGV[1])
end
return 1
"""

# KEYS[7], KEYS[8]: dead letters and their times. ARGV: id, token, shift, delay ms, max
# attempts (0: dead now), error, counts (1: this failure counts toward max attempts; 0: a
# rate limit, it does not), dead letters kept. Returns the outcome (0 lost, 1 retry, 2
# dead) and how many old dead letters were dropped.
RETRY = _LEASED_LUA + _BURY_LUA + """
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
