"""Crash safety under money load (issue 9, memory excluded): concurrent market buys and
token transfers, each with an Idempotency-Key, while the only process (SQLite) or a
replica (PostgreSQL) is killed with -9 at random moments. After every restart: each
acknowledged write is present; replaying every request (acknowledged or not) under its
key gives the same object or applies it once now, never a second time; pending orders
resume from the outbox and end; the books balance, tokens equal the broker's custody and
reconciliation is clean. Needs BROKERGATE_BIN; PostgreSQL also BROKERGATE_TEST_POSTGRES_URL."""

from __future__ import annotations

import concurrent.futures
import os
import random
import time
import uuid
from decimal import Decimal

import httpx
import pytest
from dinari_api_sdk import Dinari

from test_orders_sdk import trading_account
from processes import PG, Replica, fresh_postgres_store, isolated_env, random_key

pytestmark = pytest.mark.skipif(not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (kills and restarts the executable)")

TUESDAY_REGULAR = "2026-12-01T15:00:00Z"
KILLS = 3
ACCOUNTS = 4
# 6 clients, and 64: many requests in flight at once, so SQLite's group commit batches
# many transactions per commit when the kill lands (issue 16).
WRITER_COUNTS = [6, 64]
SETTLE_WAIT_S_MAX = 30.0


def _stores() -> list[str]:
    return ["sqlite", "postgres"] if PG else ["sqlite"]


def _store_url(kind: str, tmp_path) -> str:
    if kind == "sqlite":
        return f"sqlite:{tmp_path / 'crash-load.sqlite'}"
    return fresh_postgres_store("crashload")


@pytest.mark.parametrize("writers", WRITER_COUNTS)
@pytest.mark.parametrize("kind", _stores())
def test_kill9_underMoneyLoad_losesNothingAcknowledged_andAppliesNothingTwice(kind: str, writers: int, tmp_path) -> None:
    partner, operator = random_key("partner"), random_key("operator")
    env = isolated_env(
        partner, operator, BROKERGATE_RATE_LIMIT_RPS="100000", BROKERGATE_RATE_LIMIT_BURST="100000", BROKERGATE_CLOCK=TUESDAY_REGULAR)
    server = Replica(_store_url(kind, tmp_path), env)

    def client() -> Dinari:
        return Dinari(api_key_id=partner[0], api_secret_key=partner[1], base_url=server.base,
                      _strict_response_validation=True, max_retries=0)  # fmt: skip

    aapl = client().v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
    accounts = [trading_account(client(), grants=3) for _ in range(ACCOUNTS)]
    token = client().v2.accounts.get_cash_balances(accounts[0])[0].token_address
    rng = random.Random(7)
    sent: list[dict] = []  # every request: kind, account, key, params, acknowledged id or None

    def send(c: Dinari, op: dict) -> str:
        headers = {"Idempotency-Key": op["key"]}
        if op["kind"] == "buy":
            return c.v2.accounts.order_requests.create_market_buy(op["account"], stock_id=aapl, payment_amount=op["amount"], extra_headers=headers).id
        return c.v2.accounts.token_transfers.create(
            op["account"], quantity=op["amount"], recipient_account_id=op["to"], token_address=token, extra_headers=headers).id

    for kill in range(KILLS):
        stop_at = time.monotonic() + 5.0
        ops = [
            {"kind": rng.choice(["buy", "transfer"]), "account": rng.choice(accounts), "to": rng.choice(accounts),
             "amount": rng.choice([5, 7, 11]), "key": str(uuid.uuid4()), "id": None}
            for _ in range(max(400, 20 * writers))
        ]  # fmt: skip

        def writer(index: int) -> None:
            c = client()
            for op in ops[index::writers]:
                if time.monotonic() > stop_at:
                    return
                sent.append(op)
                try:
                    op["id"] = send(c, op)
                except httpx.TransportError:
                    return  # cut by the kill: unacknowledged
                except Exception as error:  # noqa: BLE001 - a 4xx refusal is an answer, not a crash
                    if getattr(error, "status_code", None) is None:
                        return
                    assert error.status_code < 500, error
                    op["id"] = f"refused:{error.status_code}"

        with concurrent.futures.ThreadPoolExecutor(writers) as pool:
            futures = [pool.submit(writer, i) for i in range(writers)]
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill9()
            for future in futures:
                future.result()
        server.start()

    acknowledged = [op for op in sent if op["id"] and not op["id"].startswith("refused")]
    unacknowledged = [op for op in sent if op["id"] is None]
    c = client()
    for op in acknowledged:
        assert send(c, op) == op["id"], f"{op['kind']} {op['key']} acknowledged then lost or applied again"
    for op in unacknowledged:
        # Applied once now, or found applied before the kill: the same object both times.
        try:
            first = send(c, op)
            assert send(c, op) == first
        except Exception as error:  # noqa: BLE001
            assert getattr(error, "status_code", 500) < 500, error

    deadline = time.monotonic() + SETTLE_WAIT_S_MAX
    while True:
        # The first page of each account's orders, and the outbox depth (every open order of
        # every account: with 64 clients an account has more orders than one page holds).
        open_orders = [o for a in accounts for o in c.v2.accounts.orders.list(a, limit=100).data if o.status not in ("FILLED", "CANCELLED", "REJECTED")]
        outbox = httpx.get(f"{server.base}/ready", timeout=10).json()["outbox"]["depth"]
        if (not open_orders and outbox == 0) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert not open_orders and outbox == 0, f"orders did not resume from the outbox ({outbox} open): {[(o.id, o.status) for o in open_orders]}"
    report = httpx.get(f"{server.base}/api/v2/reserves", timeout=10).json()["report"]
    assert report["usd_plus"]["difference"] == "0.000000"
    assert all(line["difference"] == "0.000000" for line in report["stocks"]), report["stocks"]
    run = httpx.post(f"{server.base}/api/v2/operator/reconciliation", timeout=30,
                     headers={"X-API-Key-Id": operator[0], "X-API-Secret-Key": operator[1]}).json()  # fmt: skip
    assert run["status"] == "OK" and run["broker_positions"] == "COMPARED", run
    for account in accounts:
        assert Decimal(str(c.v2.accounts.get_cash_balances(account)[0].amount)) >= 0
    server.stop()
    print(
        f"crash under load ({kind}, {writers} clients): {KILLS} kill -9, {len(sent)} requests, {len(acknowledged)} acknowledged all present, "
        f"{len(unacknowledged)} unacknowledged replayed once; {run['checks']} reconciliation checks OK"
    )
