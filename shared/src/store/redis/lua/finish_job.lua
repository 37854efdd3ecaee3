local j = KEYS[1]
if redis.call('HGET', j, 'status') ~= 'running' or redis.call('HGET', j, 'worker') ~= ARGV[1]
   or redis.call('HGET', j, 'attempts') ~= ARGV[2] then return 0 end
local ix = redis.call('HGET', j, 'ix')
redis.call('HSET', j, 'status', ARGV[3], 'finished', ARGV[4], 'progress', 100)
redis.call('HDEL', j, 'lease_until')
if ARGV[3] == 'succeeded' then
  redis.call('HSET', j, 'result_size', string.len(ARGV[7]), 'result_type', ARGV[6])
  redis.call('SET', KEYS[2], ARGV[7])
else
  redis.call('HSET', j, 'error', ARGV[5])
end
redis.call('ZREM', KEYS[3], ix)
redis.call('ZADD', KEYS[4], 0, ix)
if ARGV[8] ~= '' then
  redis.call('XACK', KEYS[5], ARGV[9], ARGV[8])
  redis.call('XDEL', KEYS[5], ARGV[8])
end
return 1
