"""The Lua scripts of reports and retention, each on one partition, every key declared.

The resolution and creation indexes and the outcomes are written by the ticket scripts
(``scripts.COMMIT``); these read them, archive a ticket, drop what is past keeping, and
move outcomes to a channel's new ID.
"""

from __future__ import annotations

from bot.adapters.scripts import TICKET_LUA

# The tickets opened in a period. KEYS[1]: the partition's creation index of resolved
# tickets, KEYS[2]: its outcomes, KEYS[3]: its open tickets (by creation). ARGV: from ms
# (inclusive), to ms (exclusive). Returns {number, outcome, number, outcome...} of the
# resolved ones and {number...} of the others.
OPENED_BETWEEN = """
local ns = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '(' .. ARGV[2])
local out = {}
for i = 1, #ns, 1000 do
  local chunk = {unpack(ns, i, math.min(i + 999, #ns))}
  local found = redis.call('HMGET', KEYS[2], unpack(chunk))
  for j, n in ipairs(chunk) do
    if found[j] then
      out[#out + 1] = n
      out[#out + 1] = found[j]
    end
  end
end
return {out, redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], '(' .. ARGV[2])}
"""

# KEYS[1]: the creation index, KEYS[2]: the outcomes. ARGV: number, created ms, number,
# created ms... Indexes by creation the outcomes kept before that index was (an outcome
# gone meanwhile, its ticket reopened, is not). How many were indexed.
INDEX_CREATED = """
local added = 0
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
    added = added + redis.call('ZADD', KEYS[1], 'NX', ARGV[i + 1], ARGV[i])
  end
end
return added
"""

# A ticket script (KEYS as ``Store._keys``); spec: ``cutoff`` (ms). Archives the ticket if
# it was resolved at or before the cutoff: its hash, done set, SLA records and timers go,
# its outcome stays; events still to send stay in their outboxes, whose delivery needs no
# more than the event. 1 archived; 0 not resolved then (or archived already).
ARCHIVE = TICKET_LUA + """
local resolved = tonumber(redis.call('HGET', K_TICKET, 'resolved_at') or '-1')
if redis.call('HGET', K_TICKET, 'status') ~= 'resolved' or resolved < 0
    or resolved * 1000 > spec.cutoff then
  return 0
end
for _, id in ipairs(redis.call('SMEMBERS', K_TIMERS)) do disarm(id) end
redis.call('DEL', K_TICKET, K_DONE, K_FIRED, K_TIMERS)
return 1
"""

# KEYS[1]: the resolution index, KEYS[2]: the outcomes, KEYS[3]: the creation index.
# ARGV: cutoff ms. Drops the outcomes of tickets resolved before the cutoff (at most
# 10,000 a run); how many.
RETIRE = """
local ns = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 10000)
for i = 1, #ns, 1000 do
  local chunk = {unpack(ns, i, math.min(i + 999, #ns))}
  redis.call('HDEL', KEYS[2], unpack(chunk))
  redis.call('ZREM', KEYS[1], unpack(chunk))
  redis.call('ZREM', KEYS[3], unpack(chunk))
end
return #ns
"""

# KEYS[1]: the outcomes. ARGV: a HSCAN cursor, how the outcomes of one channel begin (the
# JSON of ``codec.encode_outcome`` up to its first comma), how many to look at. Returns the
# next cursor ('0': done), then the numbers of that channel's outcomes among those looked at.
OUTCOMES_OF = """
local found = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[3])
local out = {found[1]}
local pairs_ = found[2]
for i = 1, #pairs_, 2 do
  if string.sub(pairs_[i + 1], 1, #ARGV[2]) == ARGV[2] then out[#out + 1] = pairs_[i] end
end
return out
"""

# KEYS[1]: the outcomes. ARGV: how one channel's outcomes begin, how the other's do, then
# ticket numbers. Each of those outcomes that is the first channel's becomes the other's;
# how many did.
RELABEL = """
local old, new = ARGV[1], ARGV[2]
local n = 0
for i = 3, #ARGV do
  local found = redis.call('HGET', KEYS[1], ARGV[i])
  if found and string.sub(found, 1, #old) == old then
    redis.call('HSET', KEYS[1], ARGV[i], new .. string.sub(found, #old + 1))
    n = n + 1
  end
end
return n
"""
