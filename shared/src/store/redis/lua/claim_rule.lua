-- The claim rule (see `jobs::lifecycle`), after a prelude (claim_job.lua or claim_new.lua) that
-- sets `j` (the job's key), `jid` (its id), `entry` (its stream entry, or '') and `fresh` (whether
-- this consumer has just read that entry). Replies
-- {outcome, entry, ...}; an entry whose job is gone, finished or failed now is acknowledged
-- (and deleted) here, since no worker will run it.
local function done(outcome)
  if entry ~= '' then
    redis.call('XACK', KEYS[5], ARGV[6], entry)
    redis.call('XDEL', KEYS[5], entry)
  end
  return {outcome, entry}
end
local st = redis.call('HGET', j, 'status')
if not st then return done('gone') end
local now = tonumber(ARGV[2])
if st == 'running' then
  local lease = tonumber(redis.call('HGET', j, 'lease_until') or '0')
  if lease >= now then return {'busy', entry} end
elseif st ~= 'queued' then
  return done('done')
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
  -- Its announcement is due at once (KEYS[7]).
  redis.call('ZADD', KEYS[7], ARGV[2], jid)
  return done('failed')
end
redis.call('HSET', j, 'status', 'running', 'worker', ARGV[1], 'attempts', attempts + 1,
  'started', ARGV[2], 'lease_until', ARGV[3], 'progress', 0)
redis.call('ZREM', from, ix)
redis.call('ZADD', KEYS[3], 0, ix)
-- An entry read by another consumer (a dead worker's) moves to this one; one just read is its.
if entry ~= '' and not fresh then
  redis.call('XCLAIM', KEYS[5], ARGV[6], ARGV[1], 0, entry, 'JUSTID')
end
local all = redis.call('HGETALL', j)
table.insert(all, 1, entry)
table.insert(all, 1, 'claimed')
return all
