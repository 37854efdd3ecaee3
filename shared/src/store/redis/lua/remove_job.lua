local j = KEYS[1]
local st = redis.call('HGET', j, 'status')
if not st then return 'none' end
if st == 'running' then return 'running' end
local ix = redis.call('HGET', j, 'ix')
redis.call('DEL', j, KEYS[2])
redis.call('ZREM', KEYS[3], ix)
redis.call('ZREM', KEYS[4], ix)
redis.call('ZREM', KEYS[5], ix)
redis.call('ZREM', KEYS[6], ix)
redis.call('ZREM', KEYS[7], ix)
if st == 'queued' then return 'cancelled' end
return 'deleted'
