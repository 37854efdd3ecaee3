local j = KEYS[1]
local st = redis.call('HGET', j, 'status')
if not st then return {'gone'} end
local now = tonumber(ARGV[2])
if st == 'running' then
  local lease = tonumber(redis.call('HGET', j, 'lease_until') or '0')
  if lease >= now then return {'busy'} end
elseif st ~= 'queued' then
  return {'done'}
end
local ix = redis.call('HGET', j, 'ix')
local attempts = tonumber(redis.call('HGET', j, 'attempts') or '0')
local from = KEYS[2]
if st == 'running' then from = KEYS[3] end
if attempts >= tonumber(ARGV[4]) then
  redis.call('HSET', j, 'status', 'failed', 'finished', ARGV[2], 'error',
    string.format(ARGV[7], attempts))
  redis.call('HDEL', j, 'lease_until')
  redis.call('ZREM', from, ix)
  redis.call('ZADD', KEYS[4], 0, ix)
  redis.call('HSET', j, 'expires', ARGV[8])
  redis.call('PEXPIREAT', j, ARGV[8])
  redis.call('ZADD', KEYS[6], ARGV[8], ix)
  -- Its announcement is due at once (KEYS[7], ARGV[9] the job id).
  redis.call('ZADD', KEYS[7], ARGV[2], ARGV[9])
  return {'failed'}
end
redis.call('HSET', j, 'status', 'running', 'worker', ARGV[1], 'attempts', attempts + 1,
  'started', ARGV[2], 'lease_until', ARGV[3], 'progress', 0)
redis.call('ZREM', from, ix)
redis.call('ZADD', KEYS[3], 0, ix)
if ARGV[5] ~= '' then
  redis.call('XCLAIM', KEYS[5], ARGV[6], ARGV[1], 0, ARGV[5], 'JUSTID')
end
local all = redis.call('HGETALL', j)
table.insert(all, 1, 'claimed')
return all
