-- Shared by the write loads: numbers wrk's threads (setup runs in the main Lua state) and
-- sends each POST with its own Idempotency-Key, unique across threads and runs (a repeated
-- key would be a replay, not a new write; DESIGN.md rule 4).
--
-- Environment: BENCH_KEY_ID, BENCH_SECRET, BENCH_RUN_ID (makes keys unique across runs on one store).
local key_id = os.getenv("BENCH_KEY_ID")
local secret = os.getenv("BENCH_SECRET")
local run_id = os.getenv("BENCH_RUN_ID")
sent = 0

local threads_numbered = 0
setup = function(thread)
  threads_numbered = threads_numbered + 1
  thread:set("thread_number", threads_numbered)
end

function keyed_post(path, body)
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-API-Key-Id"] = key_id,
    ["X-API-Secret-Key"] = secret,
    ["Idempotency-Key"] = string.format("%s-%d-%d", run_id, thread_number, sent),
  }
  return wrk.format("POST", path, headers, body)
end
