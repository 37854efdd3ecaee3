local j = KEYS[1]
if redis.call('HGET', j, 'status') ~= 'running' or redis.call('HGET', j, 'worker') ~= ARGV[1]
   or redis.call('HGET', j, 'attempts') ~= ARGV[2] then return 0 end
redis.call('HSET', j, 'lease_until', ARGV[3], 'progress', ARGV[4])
return 1
