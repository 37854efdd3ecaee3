-- The next new entry of the queue (KEYS[5]) for consumer ARGV[1] of group ARGV[6], read here so
-- that reading and claiming take one round trip; {'empty'} when there is none. The job's key is
-- ARGV[10] followed by its id (not among KEYS: tsfn runs on one Redis, not a cluster).
local read = redis.call('XREADGROUP', 'GROUP', ARGV[6], ARGV[1], 'COUNT', 1, 'STREAMS', KEYS[5], '>')
if not read then return {'empty'} end
local e = read[1][2][1]
local entry, jid, fresh = e[1], '', true
for i = 1, #e[2], 2 do
  if e[2][i] == 'job' then jid = e[2][i + 1] end
end
local j = ARGV[10] .. jid
