local j = KEYS[1]
if redis.call('HGET', j, 'status') ~= 'running' or redis.call('HGET', j, 'worker') ~= ARGV[1]
   or redis.call('HGET', j, 'attempts') ~= ARGV[2] then return 0 end
local ix = redis.call('HGET', j, 'ix')
redis.call('HSET', j, 'status', 'queued', 'progress', 0, 'attempts', tonumber(ARGV[2]) - 1)
redis.call('HDEL', j, 'worker', 'started', 'lease_until')
redis.call('ZREM', KEYS[2], ix)
redis.call('ZADD', KEYS[3], 0, ix)
if ARGV[3] ~= '' then
  redis.call('XACK', KEYS[4], ARGV[4], ARGV[3])
  redis.call('XDEL', KEYS[4], ARGV[3])
end
redis.call('XADD', KEYS[4], '*', 'job', ARGV[5])
return 1
