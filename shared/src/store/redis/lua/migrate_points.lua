#!lua
-- Moves a series written by the one-member-per-point format into chunks, once: the first
-- process to get here converts it, any other finds the old key gone and leaves it alone.
-- KEYS: series hash, old points, chunks. ARGV: point count, then (start, bytes) pairs.
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[3], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'n', ARGV[1])
redis.call('DEL', KEYS[2])
return 1
