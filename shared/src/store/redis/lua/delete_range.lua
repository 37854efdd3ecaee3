if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[2])
