local pts, ser, idx = KEYS[1], KEYS[2], KEYS[3]
local created = 0
if redis.call('EXISTS', ser) == 0 then
  redis.call('HSET', ser, 'meta', ARGV[3], 'created', ARGV[2], 'updated', ARGV[2])
  redis.call('ZADD', idx, 0, ARGV[1])
  created = 1
end
local maxs = nil
local last = redis.call('ZRANGE', pts, -1, -1, 'WITHSCORES')
if last[2] then maxs = tonumber(last[2]) end
local batch = {}
for i = 4, #ARGV, 2 do
  if maxs and tonumber(ARGV[i]) <= maxs then
    redis.call('ZREMRANGEBYSCORE', pts, ARGV[i], ARGV[i])
  end
  batch[#batch + 1] = ARGV[i]
  batch[#batch + 1] = ARGV[i + 1]
  if #batch >= 2000 then
    redis.call('ZADD', pts, unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('ZADD', pts, unpack(batch)) end
return created
