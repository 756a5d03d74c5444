-- New accounts under one customer (POST /api/v2/entities/{id}/accounts), each with its own
-- Idempotency-Key: a durable write with no order engine or broker behind it.
--
-- Environment: BENCH_WRK_DIR, BENCH_ENTITY, and keyed.lua's.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
dofile(os.getenv("BENCH_WRK_DIR") .. "/keyed.lua")

local path = "/api/v2/entities/" .. os.getenv("BENCH_ENTITY") .. "/accounts"
local body = '{"jurisdiction":"BASELINE"}'

request = function()
  return keyed_post(path, body)
end
