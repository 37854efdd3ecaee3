-- Removes the index entries of jobs expired by ARGV[1] (ms), at most ARGV[2] of them; their
-- hashes and results are gone already (PEXPIREAT). KEYS: the expiry set, then every listing index.
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, ix in ipairs(gone) do
  for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ix) end
end
return #gone
