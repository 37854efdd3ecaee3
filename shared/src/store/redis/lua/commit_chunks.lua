#!lua
-- Applies a chunk plan if the series is still at the version it was read at (compare and set:
-- a concurrent writer makes this return -1 and the caller plans again). Creates the series
-- when missing. KEYS: series hash, chunks, series index. ARGV: version read, id, now, default
-- metadata, points added, number of starts to remove, those starts, then (start, bytes) pairs.
local ser, chunks, idx = KEYS[1], KEYS[2], KEYS[3]
if (redis.call('HGET', ser, 'ver') or '') ~= ARGV[1] then return -1 end
local created = 0
if redis.call('EXISTS', ser) == 0 then
  redis.call('HSET', ser, 'meta', ARGV[4], 'created', ARGV[3], 'updated', ARGV[3])
  redis.call('ZADD', idx, 0, ARGV[2])
  created = 1
end
local nrem = tonumber(ARGV[6])
for i = 7, 6 + nrem do
  redis.call('ZREMRANGEBYSCORE', chunks, ARGV[i], ARGV[i])
end
for i = 7 + nrem, #ARGV, 2 do
  redis.call('ZREMRANGEBYSCORE', chunks, ARGV[i], ARGV[i])
  redis.call('ZADD', chunks, ARGV[i], ARGV[i + 1])
end
redis.call('HINCRBY', ser, 'n', ARGV[5])
redis.call('HINCRBY', ser, 'ver', 1)
return created
