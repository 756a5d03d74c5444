-- New accounts under one customer (POST /api/v2/entities/{id}/accounts), each with its own
-- Idempotency-Key: a durable write with no order engine or broker behind it.
--
-- Environment: BENCH_WRK_DIR, BENCH_ENTITY, BENCH_KEY_ID, BENCH_SECRET, BENCH_RUN_ID.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local path = "/api/v2/entities/" .. os.getenv("BENCH_ENTITY") .. "/accounts"
local body = '{"jurisdiction":"BASELINE"}'
local key_id = os.getenv("BENCH_KEY_ID")
local secret = os.getenv("BENCH_SECRET")
local run_id = os.getenv("BENCH_RUN_ID")
local sent = 0

local threads_numbered = 0
setup = function(thread)
  threads_numbered = threads_numbered + 1
  thread:set("thread_number", threads_numbered)
end

request = function()
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-API-Key-Id"] = key_id,
    ["X-API-Secret-Key"] = secret,
    ["Idempotency-Key"] = string.format("%s-%d-%d", run_id, thread_number, sent),
  }
  return wrk.format("POST", path, headers, body)
end
