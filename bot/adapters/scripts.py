"""The Lua scripts of ticket changes: each one all or nothing, on one slot.

ARGV[1] is the key namespace, ARGV[2] the clock's shift (ms), ARGV[3] the spec (JSON);
KEYS[1..6] are the queue's keys (``keys.QUEUE``), as ``keys.ARM_LUA`` declares them.
"""

from __future__ import annotations

from bot.adapters.keys import ARM_LUA

# Lua shared by the ticket scripts, after ARM_LUA. ARGV[1]: namespace, ARGV[2]: clock shift
# (ms), ARGV[3]: the spec (JSON).
TICKET_LUA = ARM_LUA + """
local ns = ARGV[1]
local spec = cjson.decode(ARGV[3])
local now = now_ms(ARGV[2])
-- In the jobs of a ticket being created, NEW stands for its number: in their ids, and as
-- the payloads' "ticket" (never inside text a person wrote).
local function numbered(text, n)
  if spec.number ~= 0 then return text end
  return (string.gsub(text, spec.new, tostring(n)))
end
local function numbered_payload(text, n)
  if spec.number ~= 0 then return text end
  return (string.gsub(text, '"ticket":' .. spec.new, '"ticket":' .. tostring(n), 1))
end
-- A ticket event: numbered per ticket, appended to each of its sinks' outboxes, whose
-- delivery job (one per ticket and sink, so its events go out in order) is armed.
local function append_event(n, j)
  local seq = redis.call('HINCRBY', ns .. 'ticket:' .. n, 'event_seq', 1)
  local record = string.gsub(numbered_payload(j.event, n), '"seq":0', '"seq":' .. seq, 1)
  for _, sink in ipairs(j.sinks) do
    redis.call('RPUSH', ns .. 'outbox:' .. sink .. ':' .. n, record)
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
      local id = numbered(j.id, n)
      -- A timer dead-lettered for good is not brought back (by the sweep, say).
      if not j.timer or redis.call('SISMEMBER', ns .. 'done:' .. n, 'failed:' .. id) == 0 then
        arm(id, at, numbered_payload(j.payload, n))
      end
    end
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

COMMIT = TICKET_LUA + """
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
EFFECTS = TICKET_LUA + """
local n = spec.number
local current = tonumber(redis.call('HGET', ns .. 'ticket:' .. n, 'version') or '0')
if current ~= spec.version then return 0 end
-- A timer fires once: a second run of it (a stalled worker's) finds it fired already.
if spec.fired and redis.call('SADD', ns .. 'done:' .. n, spec.fired.name) == 0 then
  return 2
end
if #spec.marks > 0 then redis.call('SADD', ns .. 'done:' .. n, unpack(spec.marks)) end
if spec.fired then
  redis.call('HSETNX', ns .. 'fired:' .. n, spec.fired.name, spec.fired.record)
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
