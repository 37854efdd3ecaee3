#!lua flags=no-writes
-- The chunks for a range (the last one starting at or before its start, then those starting
-- inside it), at most ARGV[4], in order ARGV[3] ('a' or 'd'), after the series' version.
-- KEYS: series hash, chunks. ARGV: lo, hi (scores), order, max. False: no such series.
local ser, chunks = KEYS[1], KEYS[2]
if redis.call('EXISTS', ser) == 0 then return false end
local lo, hi, max = ARGV[1], ARGV[2], tonumber(ARGV[4])
local out = { redis.call('HGET', ser, 'ver') or '' }
local function before()
  local b = redis.call('ZREVRANGEBYSCORE', chunks, lo, '-inf', 'LIMIT', 0, 1)
  if b[1] then out[#out + 1] = b[1] end
end
if ARGV[3] == 'a' then
  before()
  if #out - 1 < max then
    local rest = redis.call('ZRANGEBYSCORE', chunks, '(' .. lo, hi, 'LIMIT', 0, max - (#out - 1))
    for i = 1, #rest do out[#out + 1] = rest[i] end
  end
else
  local rest = redis.call('ZREVRANGEBYSCORE', chunks, hi, '(' .. lo, 'LIMIT', 0, max)
  for i = 1, #rest do out[#out + 1] = rest[i] end
  if #out - 1 < max then before() end
end
return out
