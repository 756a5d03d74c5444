"""Two replicas on one PostgreSQL under money load (issue 9): concurrent orders,
withdrawals and token transfers split between the replicas, some sent twice under one
Idempotency-Key (once to each replica); then every invariant: reserves and custody equal
for every stock, USD+ fully backed, the broker's book equal to our custody, no negative
balance, each key applied once. Then the scheduler: exactly one replica holds the lease,
and when it is killed with -9 the other takes over and completes a pending cancel.
Needs BROKERGATE_BIN and BROKERGATE_TEST_POSTGRES_URL."""

from __future__ import annotations

import concurrent.futures
import os
import random
import re
import time
import uuid
from decimal import Decimal

import httpx
import pytest
from dinari_api_sdk import Dinari

from test_orders_sdk import trading_account
from processes import PG, Replica, fresh_postgres_store, isolated_env, random_key

pytestmark = pytest.mark.skipif(
    not (PG and os.environ.get("BROKERGATE_BIN")), reason="needs BROKERGATE_BIN and BROKERGATE_TEST_POSTGRES_URL"
)

TUESDAY_REGULAR = "2026-12-01T15:00:00Z"
LOAD_SECONDS = 6.0
ACCOUNTS = 6
TAKEOVER_WAIT_S_MAX = 20.0


@pytest.fixture()
def trading_cluster():
    store = fresh_postgres_store("trading")
    partner, operator = random_key("partner"), random_key("operator")
    env = isolated_env(
        partner, operator, BROKERGATE_RATE_LIMIT_RPS="100000", BROKERGATE_RATE_LIMIT_BURST="100000", BROKERGATE_CLOCK=TUESDAY_REGULAR)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        replicas = list(pool.map(lambda _: Replica(store, env), range(2)))
    yield replicas, partner, {"X-API-Key-Id": operator[0], "X-API-Secret-Key": operator[1]}
    for index, replica in enumerate(replicas):
        if replica.process.poll() is None:
            replica.kill9()
        print(f"--- replica {index} log (last lines; pytest shows it only on failure) ---\n{replica.log_tail()}")


def usd_plus(client: Dinari, account_id: str) -> tuple[Decimal, str]:
    (balance,) = client.v2.accounts.get_cash_balances(account_id)
    return Decimal(str(balance.amount)), balance.token_address


def _client(replica: Replica, key: tuple[str, str]) -> Dinari:
    return Dinari(api_key_id=key[0], api_secret_key=key[1], base_url=replica.base, _strict_response_validation=True, max_retries=0)


def _is_leader(replica: Replica) -> bool:
    metrics = httpx.get(f"{replica.base}/metrics", timeout=10).text
    return re.search(r"^brokergate_scheduler_leader 1(\.0)?$", metrics, re.M) is not None


def _wait_all_terminal(client: Dinari, accounts: list[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        open_orders = [
            o for a in accounts for o in client.v2.accounts.orders.list(a, limit=100).data
            if o.status not in ("FILLED", "CANCELLED", "REJECTED", "ERROR")
        ]  # fmt: skip
        if not open_orders:
            return
        time.sleep(0.3)
    raise AssertionError(f"orders still open: {[(o.id, o.status) for o in open_orders]}")


def test_moneyLoad_acrossReplicas_keepsEveryInvariant_andTheSchedulerFailsOver(trading_cluster) -> None:
    (a, b), partner_key, operator_headers = trading_cluster
    clients = [_client(a, partner_key), _client(b, partner_key)]
    aapl = clients[0].v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
    accounts = [trading_account(clients[i % 2], grants=2) for i in range(ACCOUNTS)]
    _, token = usd_plus(clients[0], accounts[0])
    stop_at = time.monotonic() + LOAD_SECONDS
    counts = {"buy": 0, "sell": 0, "withdrawal": 0, "transfer": 0, "refused": 0, "replayed": 0}

    def worker(seed: int) -> list[tuple[str, str, str]]:
        rng = random.Random(seed)
        replays: list[tuple[str, str, str]] = []
        while time.monotonic() < stop_at:
            account = rng.choice(accounts)
            client = clients[rng.randrange(2)]
            key = str(uuid.uuid4())
            kind = rng.choice(["buy", "buy", "sell", "withdrawal", "transfer"])
            headers = {"Idempotency-Key": key}
            # Drawn once: a replay must send the very same request.
            payment, recipient = rng.choice([5, 10, 25]), rng.choice(accounts)

            def act(c: Dinari) -> str:
                if kind == "buy":
                    return c.v2.accounts.order_requests.create_market_buy(
                        account, stock_id=aapl, payment_amount=payment, extra_headers=headers).id
                if kind == "sell":
                    return c.v2.accounts.order_requests.create_market_sell(
                        account, stock_id=aapl, asset_quantity=0.01, extra_headers=headers).id
                if kind == "withdrawal":
                    return c.v2.accounts.withdrawal_requests.create(
                        account, payment_token_quantity=1.5, recipient_account_id=account, extra_headers=headers).id
                return c.v2.accounts.token_transfers.create(
                    account, quantity=2.25, recipient_account_id=recipient, token_address=token, extra_headers=headers).id

            try:
                first = act(client)
            except Exception as error:  # noqa: BLE001 - refusals (e.g. insufficient tokens) are part of the load
                assert getattr(error, "status_code", 422) < 500, error
                counts["refused"] += 1
                continue
            counts[kind] += 1
            if rng.random() < 0.2:
                replays.append((kind, first, str(act(clients[1 - clients.index(client)]))))
        return replays

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replays = [r for batch in pool.map(worker, range(8)) for r in batch]
    for kind, first, again in replays:
        assert first == again, f"{kind}: one Idempotency-Key applied twice ({first} vs {again})"
    counts["replayed"] = len(replays)
    _wait_all_terminal(clients[0], accounts)

    for replica in (a, b):
        report = httpx.get(f"{replica.base}/api/v2/reserves", timeout=10).json()["report"]
        assert report["usd_plus"]["difference"] == "0.000000", report["usd_plus"]
        for line in report["stocks"]:
            assert line["difference"] == "0.000000", line
        run = httpx.post(f"{replica.base}/api/v2/operator/reconciliation", headers=operator_headers, timeout=30).json()
        assert run["status"] == "OK" and run["broker_positions"] == "COMPARED", run
    for account in accounts:
        assert usd_plus(clients[0], account)[0] >= 0
        for asset in clients[1].v2.accounts.get_portfolio(account).assets:
            assert Decimal(str(asset.amount)) >= 0

    # One scheduler in the cluster; kill it and the standby dispatches the next order.
    leaders = [r for r in (a, b) if _is_leader(r)]
    assert len(leaders) == 1, "exactly one replica holds the scheduler lease"
    leader = leaders[0]
    standby = b if leader is a else a
    leader.kill9()
    survivor = _client(standby, partner_key)
    price = Decimal(str(survivor.v2.market_data.stocks.retrieve_current_price(aapl).price))
    # A limit order far below the market rests at the broker; its cancel is completed only
    # by the scheduler (the cancel route only asks), so it ends only if the standby took over.
    resting = survivor.v2.accounts.order_requests.create_limit_buy(
        accounts[0], stock_id=aapl, asset_quantity=0.5, limit_price=float((price / 2).quantize(Decimal("0.01"))))
    assert survivor.v2.accounts.orders.cancel(resting.order_id, account_id=accounts[0]).status == "PENDING_CANCEL"
    deadline = time.monotonic() + TAKEOVER_WAIT_S_MAX
    status = ""
    while time.monotonic() < deadline:
        status = survivor.v2.accounts.orders.retrieve(resting.order_id, account_id=accounts[0]).status
        if status == "CANCELLED":
            break
        time.sleep(0.3)
    assert status == "CANCELLED", f"the standby did not take over the scheduler ({status})"
    assert _is_leader(standby)
    standby.stop()
    print(
        f"replicas: {sum(counts[k] for k in ('buy', 'sell', 'withdrawal', 'transfer'))} money operations "
        f"({counts}) over 2 replicas, every invariant held; leader killed, standby took over"
    )
