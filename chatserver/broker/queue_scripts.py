"""The Lua scripts of the Redis one-to-one queue (chatserver/broker/queue.py): each runs
atomically in Redis, so no one is assigned twice and no one is lost when a process dies."""

# Keys built inside the scripts all start with "oo:" (one Redis, not a cluster).
LIB = """
local function unload(load, supporter)
  if redis.call('HINCRBY', load, supporter, -1) <= 0 then redis.call('HDEL', load, supporter) end
end
-- A conversation ends and its person is queued again in band, marked returned.
local function requeue(queue, load, id, enc, band)
  local c = cjson.decode(enc)
  local r = c['request']
  r['band'] = band
  r['returned'] = true
  r['returned_from'] = id
  redis.call('SET', 'oo:r:' .. r['id'], cjson.encode(r))
  redis.call('ZADD', queue, r['band'] * 1e13 + r['arrived'], r['id'])
  redis.call('SADD', 'oo:pr:' .. r['process'], r['id'])
  redis.call('DEL', 'oo:c:' .. id, 'oo:t:' .. id)
  unload(load, c['supporter'])
  return c
end
-- Its supporter's process stopped cleanly (a deploy): the conversation waits, bound to no
-- process, for their console to come back (REBIND) until a time in 'oo:parked'; its person is
-- told that they are away at a time in 'oo:parked:away'. Any change of owner or end unparks.
local function unpark(id)
  redis.call('ZREM', 'oo:parked', id)
  redis.call('ZREM', 'oo:parked:away', id)
end
-- Nobody can answer in it any more: one opened from an alert in a group (its request has
-- "alert") ends, never queued (its person is the group's facilitators' to answer; the caller
-- tells them and reopens the alert); one from the queue is requeued in band.
local function hand_back(queue, load, id, enc, band)
  local c = cjson.decode(enc)
  local alert = c['request']['alert']
  unpark(id)
  if alert ~= nil and alert ~= cjson.null then
    redis.call('DEL', 'oo:c:' .. id, 'oo:t:' .. id)
    unload(load, c['supporter'])
  else
    requeue(queue, load, id, enc, band)
  end
end
"""

# KEYS: queue, load. ARGV: supporter, capacity, process, conv id, now ms, request id or '',
# supporter name.
TAKE = LIB + """
local load = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if load >= tonumber(ARGV[2]) then return 'full' end
local req
if ARGV[6] ~= '' then
  if redis.call('ZREM', KEYS[1], ARGV[6]) == 0 then return false end
  req = ARGV[6]
else
  local popped = redis.call('ZPOPMIN', KEYS[1])
  if #popped == 0 then return false end
  req = popped[1]
end
local data = redis.call('GET', 'oo:r:' .. req)
redis.call('DEL', 'oo:r:' .. req)
if not data then return false end
local r = cjson.decode(data)
redis.call('SREM', 'oo:pr:' .. r['process'], req)
local conv = cjson.encode({id=ARGV[4], request=r, supporter=ARGV[1], supporter_name=ARGV[7],
                           process=ARGV[3], started=tonumber(ARGV[5])})
redis.call('SET', 'oo:c:' .. ARGV[4], conv)
redis.call('SADD', 'oo:pc:' .. ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return conv
"""

# KEYS: load. ARGV: conv id.
END = LIB + """
local enc = redis.call('GET', 'oo:c:' .. ARGV[1])
if not enc then return false end
local c = cjson.decode(enc)
redis.call('DEL', 'oo:c:' .. ARGV[1], 'oo:t:' .. ARGV[1])
redis.call('SREM', 'oo:pc:' .. c['process'], ARGV[1])
unpark(ARGV[1])
unload(KEYS[1], c['supporter'])
return enc
"""

# KEYS: queue, load. ARGV: conv id, band. The conversation ends and its person is queued
# again (as the sweep does for a dead process's conversations).
RETURN = LIB + """
local enc = redis.call('GET', 'oo:c:' .. ARGV[1])
if not enc then return false end
local c = requeue(KEYS[1], KEYS[2], ARGV[1], enc, tonumber(ARGV[2]))
redis.call('SREM', 'oo:pc:' .. c['process'], ARGV[1])
unpark(ARGV[1])
return enc
"""

# KEYS: avail, load. ARGV: conv id, target supporter.
TRANSFER = LIB + """
local enc = redis.call('GET', 'oo:c:' .. ARGV[1])
if not enc then return false end
local a = redis.call('HGET', KEYS[1], ARGV[2])
if not a then return 'full' end
local t = cjson.decode(a)
if tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0') >= t['capacity'] then return 'full' end
local c = cjson.decode(enc)
unload(KEYS[2], c['supporter'])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('SREM', 'oo:pc:' .. c['process'], ARGV[1])
c['supporter'] = ARGV[2]
c['supporter_name'] = t['name']
c['process'] = t['process']
redis.call('SADD', 'oo:pc:' .. c['process'], ARGV[1])
unpark(ARGV[1])
enc = cjson.encode(c)
redis.call('SET', 'oo:c:' .. ARGV[1], enc)
return enc
"""

# KEYS: procs, queue, load, avail. ARGV: now, or '' with ARGV[2] = one process to drop;
# ARGV[3]: the band of returned people; ARGV[4]: '' or a time until which the dropped
# process's waiting requests are kept (a clean stop: their people reconnect elsewhere and
# claim them; a later sweep drops the rest); ARGV[5], ARGV[6]: '' or a process renewed until
# a time first (its heartbeat, in the same round trip); ARGV[7], ARGV[8]: '' or, for a clean
# stop, the times until which the dropped process's conversations wait for their supporters
# and at which their people are told that they are away (parked: neither returned nor
# ended). Returns {returned conversations..., '|', abandoned requests...}: a conversation
# from the queue is requeued, one opened from an alert is ended (hand_back).
SWEEP = LIB + """
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[1], ARGV[6], ARGV[5]) end
local procs
if ARGV[1] ~= '' then
  procs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
else
  procs = {ARGV[2]}
end
local returned, abandoned = {}, {}
for _, proc in ipairs(procs) do
  redis.call('ZREM', KEYS[1], proc)
  for _, id in ipairs(redis.call('SMEMBERS', 'oo:pc:' .. proc)) do
    local enc = redis.call('GET', 'oo:c:' .. id)
    if enc and ARGV[7] ~= nil and ARGV[7] ~= '' then
      redis.call('ZADD', 'oo:parked', ARGV[7], id)
      redis.call('ZADD', 'oo:parked:away', ARGV[8], id)
    elseif enc then
      hand_back(KEYS[2], KEYS[3], id, enc, tonumber(ARGV[3]))
      table.insert(returned, enc)
    end
  end
  redis.call('DEL', 'oo:pc:' .. proc)
  for _, s in ipairs(redis.call('SMEMBERS', 'oo:pa:' .. proc)) do
    local a = redis.call('HGET', KEYS[4], s)
    if a and cjson.decode(a)['process'] == proc then redis.call('HDEL', KEYS[4], s) end
  end
  redis.call('DEL', 'oo:pa:' .. proc)
  if ARGV[4] ~= nil and ARGV[4] ~= '' then
    redis.call('ZADD', KEYS[1], ARGV[4], proc)
  else
    for _, req in ipairs(redis.call('SMEMBERS', 'oo:pr:' .. proc)) do
      local data = redis.call('GET', 'oo:r:' .. req)
      if redis.call('ZREM', KEYS[2], req) == 1 and data then table.insert(abandoned, data) end
      redis.call('DEL', 'oo:r:' .. req)
    end
    redis.call('DEL', 'oo:pr:' .. proc)
  end
end
table.insert(returned, '|')
for _, a in ipairs(abandoned) do table.insert(returned, a) end
return returned
"""

# KEYS: queue. ARGV: request id, band.
FLAG = """
local data = redis.call('GET', 'oo:r:' .. ARGV[1])
if not data or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local r = cjson.decode(data)
r['crisis'] = true
r['band'] = math.min(r['band'], tonumber(ARGV[2]))
redis.call('SET', 'oo:r:' .. ARGV[1], cjson.encode(r))
redis.call('ZADD', KEYS[1], r['band'] * 1e13 + r['arrived'], ARGV[1])
return 1
"""

# KEYS: queue. ARGV: request id, process.
CLAIM = """
local data = redis.call('GET', 'oo:r:' .. ARGV[1])
if not data or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return false end
local r = cjson.decode(data)
redis.call('SREM', 'oo:pr:' .. r['process'], ARGV[1])
r['process'] = ARGV[2]
redis.call('SADD', 'oo:pr:' .. ARGV[2], ARGV[1])
data = cjson.encode(r)
redis.call('SET', 'oo:r:' .. ARGV[1], data)
return data
"""

# ARGV: conv id, supporter, process. The supporter's console is back (on ``process``): the
# conversation is bound to that process from now on (its death, not the old one's, ends it)
# and no longer waits as parked. False if it has ended or is someone else's.
REBIND = LIB + """
local enc = redis.call('GET', 'oo:c:' .. ARGV[1])
if not enc then return false end
local c = cjson.decode(enc)
if c['supporter'] ~= ARGV[2] then return false end
unpark(ARGV[1])
if c['process'] == ARGV[3] and redis.call('SISMEMBER', 'oo:pc:' .. ARGV[3], ARGV[1]) == 1 then
  return enc
end
redis.call('SREM', 'oo:pc:' .. c['process'], ARGV[1])
c['process'] = ARGV[3]
redis.call('SADD', 'oo:pc:' .. ARGV[3], ARGV[1])
enc = cjson.encode(c)
redis.call('SET', 'oo:c:' .. ARGV[1], enc)
return enc
"""

# ARGV: now. The parked conversations whose people are due to hear that their supporter is
# away, each returned once (to one process).
PARKED_AWAY = """
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', 'oo:parked:away', '-inf', ARGV[1])) do
  redis.call('ZREM', 'oo:parked:away', id)
  local enc = redis.call('GET', 'oo:c:' .. id)
  if enc then table.insert(out, enc) end
end
return out
"""

# KEYS: queue, load. ARGV: now, the band of returned people. The parked conversations whose
# supporter did not come back in time: handed back (hand_back), each returned once.
PARKED_EXPIRED = LIB + """
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', 'oo:parked', '-inf', ARGV[1])) do
  local enc = redis.call('GET', 'oo:c:' .. id)
  unpark(id)
  if enc then
    hand_back(KEYS[1], KEYS[2], id, enc, tonumber(ARGV[2]))
    table.insert(out, enc)
  end
end
return out
"""
