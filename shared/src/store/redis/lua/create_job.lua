for i = 5, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return i - 4 end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'spec', ARGV[2], 'status', 'queued',
  'created', ARGV[3], 'attempts', 0, 'progress', 0, 'ix', ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[4])
redis.call('XADD', KEYS[4], '*', 'job', ARGV[1])
return 0
