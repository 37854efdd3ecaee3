-- One given job (KEYS[1]; ARGV[9] its id, ARGV[5] its stream entry or '').
local j, jid, entry, fresh = KEYS[1], ARGV[9], ARGV[5], false
