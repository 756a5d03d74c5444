-- Market buys of $1 (the minimum notional) through the gateway's order route, each with its
-- own Idempotency-Key, spread round-robin over the funded accounts in BENCH_ACCOUNTS.
--
-- Environment: BENCH_WRK_DIR, BENCH_ACCOUNTS (comma-separated ids), BENCH_STOCK_ID, and keyed.lua's.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
dofile(os.getenv("BENCH_WRK_DIR") .. "/keyed.lua")

local accounts = {}
for id in string.gmatch(os.getenv("BENCH_ACCOUNTS"), "[^,]+") do
  accounts[#accounts + 1] = id
end
local body = string.format('{"stock_id":"%s","payment_amount":1}', os.getenv("BENCH_STOCK_ID"))

request = function()
  local account = accounts[(sent + thread_number) % #accounts + 1]
  return keyed_post("/api/v2/accounts/" .. account .. "/order_requests/market_buy", body)
end
