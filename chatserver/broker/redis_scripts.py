"""The Redis broker's Lua scripts (chatserver/broker/redis.py): each runs atomically, so every
process sees one order of numbers, one presence and one token bucket."""

# KEYS: seq, buffer, persistence queue, room channel, once key, overrides, reactions.
# ARGV: floor, body, buffer events, buffer seconds, persist, kind, member, ts, room, once
# seconds, consumer ('' takes nothing), group, count. Returns {seq, entries taken} (a
# negative seq alone for a request appended before; 'floor' if the room has no number and the
# floor is -1, unknown: nothing is appended).
APPEND = """
if ARGV[10] ~= '' then
  local prev = redis.call('GET', KEYS[5])
  if prev then return -tonumber(prev) end
end
local floor = tonumber(ARGV[1])
local known = redis.call('GET', KEYS[1])
if not known and floor < 0 then return 'floor' end
local cur = tonumber(known or '0')
if cur < floor then redis.call('SET', KEYS[1], floor) end
local seq = redis.call('INCR', KEYS[1])
local frame = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'f', frame)
redis.call('EXPIRE', KEYS[2], ARGV[4])
-- Rewritten frames (redactions, erasure) and reactions live exactly as long as the buffer:
-- an override that lapsed before its buffer would bring a removed text back.
redis.call('EXPIRE', KEYS[6], ARGV[4])
redis.call('EXPIRE', KEYS[7], ARGV[4])
if ARGV[5] == '1' then
  redis.call('XADD', KEYS[3], '*', 'r', ARGV[9], 's', seq, 'k', ARGV[6], 'm', ARGV[7],
             't', ARGV[8], 'f', frame)
end
redis.call('PUBLISH', KEYS[4], frame)
if ARGV[10] ~= '' then redis.call('SET', KEYS[5], seq, 'EX', ARGV[10]) end
-- The appending process takes what nobody has read from the persistence queue (this event
-- and any other), as its persister's XREADGROUP would: the event is in its hands with the
-- reply, and no separate read per event is needed. pcall: with the group gone (Redis
-- restarted empty) the event stays queued for the persister, and the append still counts;
-- a third element says so, and the persister sweeps at once.
local taken = {}
if ARGV[5] == '1' and ARGV[11] ~= '' then
  local read = redis.pcall('XREADGROUP', 'GROUP', ARGV[12], ARGV[11], 'COUNT', ARGV[13],
                           'STREAMS', KEYS[3], '>')
  if type(read) == 'table' and read['err'] then return {seq, taken, 1} end
  if type(read) == 'table' and read[1] then taken = read[1][2] end
end
return {seq, taken}
"""

# Presence is per connection, liveness per process: each process renews one score in
# PRESENCE_PROCS per heartbeat, whatever its number of connections (a heartbeat per
# connection made an idle server's presence the largest cost of all). A process that stops
# renewing is expired as a whole by whichever process finds it first, from the set of its
# connections; a marker tells a process that was only stalled that its presence is gone.

# KEYS: info hash, member refcount hash, process's set, processes zset. ARGV: conn, member,
# info, expires_at, room, process. True if the member was not present before.
_PRESENCE_ADD_BODY = """
redis.call('ZADD', KEYS[4], 'NX', ARGV[4], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[5] .. '\\0' .. ARGV[1])
local first = 0
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) == 1 then
  first = redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 and 1 or 0
end
"""
PRESENCE_ADD = _PRESENCE_ADD_BODY + "return first\n"
# PRESENCE_ADD, then every info of the room: {1 if the member is new, infos}.
PRESENCE_JOIN = _PRESENCE_ADD_BODY + "return {first, redis.call('HVALS', KEYS[1])}\n"


# KEYS: info hash, refcount hash, process's set. ARGV: conn, member, room.
PRESENCE_REMOVE = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('SREM', KEYS[3], ARGV[3] .. '\\0' .. ARGV[1])
  if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then
    redis.call('HDEL', KEYS[2], ARGV[2])
    return 1
  end
end
return 0
"""


# A connection's presence item ("room\0conn") taken out of its room, as PRESENCE_REMOVE does:
# the room's member is gone once their last connection is; then (room, info) go into `out`.
_DROP_ITEM = """
local function drop_item(prefix, item, out)
  local sep = string.find(item, '\\0', 1, true)
  local room = string.sub(item, 1, sep - 1)
  local conn = string.sub(item, sep + 1)
  local infos = prefix .. 'pres:' .. room
  local info = redis.call('HGET', infos, conn)
  if info then
    redis.call('HDEL', infos, conn)
    local member = string.match(conn, '^([^|]*)|')
    local counts = prefix .. 'presn:' .. room
    if redis.call('HINCRBY', counts, member, -1) <= 0 then
      redis.call('HDEL', counts, member)
      table.insert(out, room)
      table.insert(out, info)
    end
  end
end
"""


# This process's presence rewritten from its own truth, first step: every connection of its
# set that is not among ARGV[2..] ("room\0conn" items) is removed, as PRESENCE_REMOVE does
# (its removal failed while Redis was away, or its reply was lost). KEYS: the process's set.
# ARGV: key prefix, then the items to keep. Returns {room, info, ...} of the members now gone.
PRESENCE_KEEP_ONLY = _DROP_ITEM + """
local keep = {}
for i = 2, #ARGV do keep[ARGV[i]] = true end
local out = {}
for _, item in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not keep[item] then
    redis.call('SREM', KEYS[1], item)
    drop_item(ARGV[1], item, out)
  end
end
return out
"""


# The heartbeat, in one round trip: this process stays alive, then every process whose
# liveness lapsed is expired with all its connections. KEYS: processes zset, this process's
# "expired" marker, epoch key. ARGV: process, expires_at, a new epoch, now, key prefix,
# marker TTL. Returns {epoch, 1 if this process had been expired, then room, info, room,
# info... of the members now gone (each to exactly one caller: the script is atomic)}.
PRESENCE_HEARTBEAT = _DROP_ITEM + """
redis.call('SET', KEYS[3], ARGV[3], 'NX')
local lost = redis.call('DEL', KEYS[2])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local out = {redis.call('GET', KEYS[3]), lost}
for _, proc in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])) do
  redis.call('ZREM', KEYS[1], proc)
  local set = ARGV[5] .. 'presp:' .. proc
  for _, item in ipairs(redis.call('SMEMBERS', set)) do
    drop_item(ARGV[5], item, out)
  end
  redis.call('DEL', set)
  redis.call('SET', ARGV[5] .. 'prespdead:' .. proc, '1', 'EX', ARGV[6])
end
return out
"""


# One fixed window's counter (see Broker.hit). KEYS: the counter. ARGV: amount (0 only looks),
# window seconds. Returns {count, ms left}. A counter brought to 0 or below is deleted, and a
# look creates nothing: no key stays behind holding 0 (for a day, for a look per member).
HIT = """
local amount = tonumber(ARGV[1])
if amount == 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}
end
local count = redis.call('INCRBY', KEYS[1], amount)
if count <= 0 then
  redis.call('DEL', KEYS[1])
  return {0, -2}
end
redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
return {count, redis.call('PTTL', KEYS[1])}
"""


# Several limits at once (see Broker.admit); a bucket is a GCRA: its key holds the theoretical
# arrival time (ms, Redis's clock). KEYS: the cooldown windows' keys, then the buckets'.
# ARGV: how many cooldown keys, then interval (ms per token) and burst per bucket. Returns 0 or
# the ms to wait; a bucket's token is taken only when every limit lets the request through.
ADMIT = """
local nc = tonumber(ARGV[1])
for i = 1, nc do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl ~= -2 then return math.max(ttl, 1000) end
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait, tats = 0, {}
for j = 1, #KEYS - nc do
  local interval, burst = tonumber(ARGV[2 * j]), tonumber(ARGV[2 * j + 1])
  local tat = tonumber(redis.call('GET', KEYS[nc + j]) or now)
  if tat < now then tat = now end
  tat = tat + interval
  local over = tat - now - burst * interval
  if over > wait then wait = over end
  tats[j] = tat
end
if wait > 0 then return math.ceil(wait) end
for j = 1, #KEYS - nc do
  redis.call('SET', KEYS[nc + j], tats[j], 'PX', math.ceil(tats[j] - now) + 1)
end
return 0
"""
