-- Market buys of $1 (the minimum notional) through the gateway's order route, each with its
-- own Idempotency-Key (DESIGN.md rule 4: a repeated key would be a replay, not an order),
-- spread round-robin over the funded accounts in BENCH_ACCOUNTS.
--
-- Environment: BENCH_WRK_DIR, BENCH_ACCOUNTS (comma-separated ids), BENCH_STOCK_ID,
-- BENCH_KEY_ID, BENCH_SECRET, BENCH_RUN_ID (makes keys unique across runs on one store).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local accounts = {}
for id in string.gmatch(os.getenv("BENCH_ACCOUNTS"), "[^,]+") do
  accounts[#accounts + 1] = id
end
local body = string.format('{"stock_id":"%s","payment_amount":1}', os.getenv("BENCH_STOCK_ID"))
local key_id = os.getenv("BENCH_KEY_ID")
local secret = os.getenv("BENCH_SECRET")
local run_id = os.getenv("BENCH_RUN_ID")
local sent = 0

-- setup runs in the main Lua state; it numbers each thread so keys never collide.
local threads_numbered = 0
setup = function(thread)
  threads_numbered = threads_numbered + 1
  thread:set("thread_number", threads_numbered)
end

request = function()
  sent = sent + 1
  local account = accounts[(sent + thread_number) % #accounts + 1]
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-API-Key-Id"] = key_id,
    ["X-API-Secret-Key"] = secret,
    ["Idempotency-Key"] = string.format("%s-%d-%d", run_id, thread_number, sent),
  }
  return wrk.format("POST", "/api/v2/accounts/" .. account .. "/order_requests/market_buy", headers, body)
end
