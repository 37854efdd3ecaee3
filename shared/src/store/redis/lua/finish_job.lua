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
-- TSFN_JOB_TTL: the job and its result expire together; KEYS[6] lists the index entries the
-- sweep removes once they have.
redis.call('HSET', j, 'expires', ARGV[10])
redis.call('PEXPIREAT', j, ARGV[10])
if ARGV[3] == 'succeeded' then redis.call('PEXPIREAT', KEYS[2], ARGV[10]) end
redis.call('ZADD', KEYS[6], ARGV[10], ix)
-- Owed announcement: KEYS[7] scored by when a sweep takes it over (ARGV[12] the job id).
if ARGV[11] ~= '' then redis.call('ZADD', KEYS[7], ARGV[11], ARGV[12]) end
if ARGV[8] ~= '' then
  redis.call('XACK', KEYS[5], ARGV[9], ARGV[8])
  redis.call('XDEL', KEYS[5], ARGV[8])
end
return 1
