"""The sweep's read: the tickets whose timers, posts and index entry are known to be in
place are counted in Redis, and only the others come back to be worked out.

A ticket is known to be in place when the record the sweep's last rebuild of it left
(``swept``: its version, how many marks its done set held, the digest of its plan,
rules and assignment settings, its next timer's due, and the jobs it should have queued
besides its timers; ``scripts.REBUILD``) still holds, word for word:

- the same version (a change rebuilt its timers since) and as many marks (a timer fired,
  a post went out, a job failed for good or was retried);
- the same digest as its client's plan has now (a plan, a calendar, the warning share,
  ``ASSIGNMENT`` on or off, ``REASSIGN_AFTER`` or the rules changed since; ``bot.domain.stamps``);
- no timer due by now since (past its due, which timers it should have changes: a
  warning past its deadline is dropped, a later reminder replaces an earlier one);
- both its posts made (a post still to come is armed again if it was lost);
- each of its timers in the queue (or failed for good), each of its other jobs (its
  automatic assignment, its hand-over check) in the queue, and the ticket in the
  soonest-deadline index (a queue or indices lost or flushed, a job deleted).

Anything else, and the ticket is worked out and rebuilt as before; a change to its timers
by any other script deletes the record first (``scripts.TICKET_LUA``'s ``set_timers``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.adapters import codec, index, keys, scripts

FORMAT = hashlib.sha256(b"".join(
    Path(module.__file__ or "").read_bytes()
    for module in (codec, index, keys, scripts))).hexdigest()[:8]
"""The timers' and index entries' form in Redis: a release that changes it changes every
ticket's record."""

# KEYS[1], KEYS[2]: the partition's due jobs and soonest-deadline index; then each
# ticket's hash, done set and timer set. ARGV: the clock's shift (ms), each client
# channel's digest (JSON), the digest of any other channel's plan. Returns how many
# tickets are in place, then each other one's fields (flat) and done set, as ``READ``.
UNSWEPT = """
local K_DUE, K_BY_DUE = KEYS[1], KEYS[2]
local digests = cjson.decode(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local function in_place(f, K_DONE, K_TIMERS)
  if not (f[2] and f[5] and f[6]) then return false end
  local v, marks, digest, due, jobs = string.match(f[2],
                                                  '^(%d+):(%d+):([%w]+):(%d*)(.*)$')
  if v ~= f[1] or tonumber(marks) ~= redis.call('SCARD', K_DONE)
      or digest ~= (digests[f[3]] or ARGV[3]) then
    return false
  end
  if due ~= '' and tonumber(due) <= now then return false end
  if not redis.call('ZSCORE', K_BY_DUE, f[4]) then return false end
  for id in string.gmatch(jobs, '|([^|]+)') do
    if not redis.call('ZSCORE', K_DUE, id) then return false end
  end
  for _, id in ipairs(redis.call('SMEMBERS', K_TIMERS)) do
    if not redis.call('ZSCORE', K_DUE, id)
        and redis.call('SISMEMBER', K_DONE, 'failed:' .. id) == 0 then
      return false
    end
  end
  return true
end
local out = {0}
for i = 3, #KEYS, 3 do
  local f = redis.call('HMGET', KEYS[i], 'version', 'swept', 'channel', 'number',
                       'client_ts', 'triage_ts')
  if f[1] then
    if in_place(f, KEYS[i + 1], KEYS[i + 2]) then
      out[1] = out[1] + 1
    else
      out[#out + 1] = redis.call('HGETALL', KEYS[i])
      out[#out + 1] = redis.call('SMEMBERS', KEYS[i + 1])
    end
  end
end
return out
"""
