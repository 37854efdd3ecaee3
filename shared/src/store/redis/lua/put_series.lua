local created = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  created = 1
  redis.call('HSET', KEYS[1], 'created', ARGV[3])
end
redis.call('HSET', KEYS[1], 'meta', ARGV[2], 'updated', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return created
