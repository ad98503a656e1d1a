"""The Lua scripts of ticket changes (``store``), each one all or nothing, on one slot,
every key declared (the job queue's are in ``queue_scripts``).

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
-- Who keeps App Home open (``home:viewers``), when the spec declares it (on one server).
local K_VIEWERS = spec.viewers and KEYS[spec.viewers]
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
    elseif j.homes and K_VIEWERS and redis.call('EXISTS', K_VIEWERS) == 0 then
      -- Nobody keeps App Home open: there is no Home to refresh.
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
  -- What the sweep recorded of them no longer holds (``sweep_scripts``).
  redis.call('HDEL', K_TICKET, 'swept')
  local wanted, count, kept = {}, 0, 0
  for _, tm in ipairs(timers) do
    if not wanted[tm.id] then count = count + 1 end
    wanted[tm.id] = true
  end
  local armed = redis.call('SMEMBERS', K_TIMERS)
  for _, id in ipairs(armed) do
    if wanted[id] then kept = kept + 1 else disarm(id) end
  end
  -- A timer due already, no later than wanted, is in place: arming it again changes nothing.
  local todo = {}
  for _, tm in ipairs(timers) do
    local due = redis.call('ZSCORE', K_DUE, tm.id)
    if not due or tonumber(due) > (tm.due == 0 and now or tm.due) then todo[#todo + 1] = tm end
  end
  arm_all(n, todo)
  if kept == count and #armed == count then return end  -- the same set: left as it is
  redis.call('DEL', K_TIMERS)
  for id, _ in pairs(wanted) do redis.call('SADD', K_TIMERS, id) end
end
-- The ticket's entries in its partition's indices (``Store.index_spec``): out of every
-- index key declared (KEYS[i] for i in ``drop``), into those of its new state (an entry
-- written again is moved, not taken out first).
local function reindex(n, index)
  if not index then return end
  local into = {}
  for _, entry in ipairs(index.add) do into[entry[1]] = true end
  for _, k in ipairs(index.drop) do
    if not into[k] then redis.call('ZREM', KEYS[k], n) end
  end
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

# Tickets read in one step. KEYS: a ticket's hash and another of its keys, the next
# ticket's hash and that key... (of one partition); ARGV[1]: how that key is read
# (SMEMBERS: the done set; HVALS: the SLA records). Returns each one's fields (flat) and
# what the other key holds.
READ = """
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('HGETALL', KEYS[i])
  out[#out + 1] = redis.call(ARGV[1], KEYS[i + 1])
end
return out
"""

# The sweep's repair of tickets of one partition, each as EFFECTS makes it (jobs
# ``missing``, no marks): KEYS as a ticket script declares them for the first ticket, then
# the tickets' own keys and their index keys, which the spec names by place: a list of
# {n, v: the version read, k: its hash, done set and timers, index, timers, missing, s}.
# A job ``missing`` is armed (when it is due: at once if 0 or past) unless it is queued.
# ``s`` (the digest of its plan and rules, and its next timer's due) is recorded on the
# ticket as ``swept``, with its version, how many marks its done set holds and the ids of
# the jobs ``missing``, each after a '|' (``sweep_scripts.UNSWEPT`` reads it). Returns,
# per ticket, 1 (rebuilt) or 0 (changed since it was read: left to its change).
REBUILD = TICKET_LUA + """
local out = {}
for i, t in ipairs(spec) do
  K_TICKET, K_DONE, K_TIMERS = KEYS[t.k[1]], KEYS[t.k[2]], KEYS[t.k[3]]
  if tonumber(redis.call('HGET', K_TICKET, 'version') or '0') ~= t.v then
    out[i] = 0
  else
    reindex(t.n, t.index)
    set_timers(t.n, t.timers)
    local queued = ''
    for _, j in ipairs(t.missing) do
      if redis.call('HEXISTS', K_JOB, j.id) == 0 then
        local at = j.due
        if at == 0 then at = now end
        arm(j.id, at, j.payload)
      end
      queued = queued .. '|' .. j.id
    end
    if t.s then
      redis.call('HSET', K_TICKET, 'swept', string.format('%d:%d:%s%s', t.v,
                 redis.call('SCARD', K_DONE), t.s, queued))
    end
    out[i] = 1
  end
end
return out
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
