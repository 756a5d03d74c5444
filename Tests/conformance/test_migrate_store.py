"""Outgrowing one machine (issue 23, part 4): a gateway trades on SQLite, stops, and
`brokergate migrate-store` copies its store into an empty PostgreSQL database; the gateway
started on PostgreSQL with the same keys answers the same portfolios, cash balances,
orders and proof of reserves (same ledger sequence, same liabilities roots, same signing
key), and a new order there gets new ids and sequence numbers. A target with rows and a
store a gateway still has open are refused with nothing written. Needs BROKERGATE_BIN and
BROKERGATE_TEST_POSTGRES_URL (scripts/with-postgres.sh provides the latter)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import httpx
import pytest
from dinari_api_sdk import Dinari

from processes import PG, Replica, fresh_postgres_store, isolated_env, random_key, run_tool
from test_orders_sdk import trading_account, wait_for_status

pytestmark = pytest.mark.skipif(
    not (PG and os.environ.get("BROKERGATE_BIN")), reason="needs BROKERGATE_BIN and BROKERGATE_TEST_POSTGRES_URL"
)

TUESDAY_REGULAR = "2026-12-01T15:00:00Z"
# Fields of the reserves report that say when it was computed, not what it found.
REPORT_INSTANTS = {"computed_at", "checked_at", "generated_at"}


def _client(server: Replica, partner: tuple[str, str]) -> Dinari:
    return Dinari(api_key_id=partner[0], api_secret_key=partner[1], base_url=server.base, _strict_response_validation=True, max_retries=0)


def _without_instants(value):
    if isinstance(value, dict):
        return {key: _without_instants(item) for key, item in value.items() if key not in REPORT_INSTANTS}
    if isinstance(value, list):
        return [_without_instants(item) for item in value]
    return value


def _books(server: Replica, partner: tuple[str, str], accounts: list[str]) -> dict:
    """What a partner and the public see of the books: per account its portfolio, cash and
    orders; the reserves report without its instants."""
    client = _client(server, partner)
    seen = {
        account: {
            "portfolio": client.v2.accounts.get_portfolio(account).model_dump(mode="json"),
            "cash": [balance.model_dump(mode="json") for balance in client.v2.accounts.get_cash_balances(account)],
            "orders": sorted((order.model_dump(mode="json") for order in client.v2.accounts.orders.list(account).data), key=lambda o: o["id"]),
        }
        for account in accounts
    }
    signed = httpx.get(f"{server.base}/api/v2/reserves", timeout=10)
    assert signed.status_code == 200, signed.text
    seen["reserves"] = _without_instants(json.loads(signed.json()["canonical"]))
    return seen


@pytest.fixture(scope="module")
def traded_store(tmp_path_factory) -> tuple[Path, dict, tuple, dict, list[str], str]:
    """A SQLite store a gateway traded on and then stopped; returns its path, the gateway's
    environment, the partner key, the books it answered last, the accounts and AAPL's id."""
    folder = tmp_path_factory.mktemp("migrate")
    partner, operator = random_key("partner"), random_key("operator")
    env = isolated_env(partner, operator, BROKERGATE_CLOCK=TUESDAY_REGULAR, BROKERGATE_WALLET_KEY=secrets.token_hex(32))
    server = Replica(f"sqlite:{folder / 'live.sqlite'}", env)
    try:
        client = _client(server, partner)
        aapl = client.v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
        accounts = [trading_account(client, grants=2) for _ in range(3)]
        for account in accounts:
            order = client.v2.accounts.order_requests.create_market_buy(account, stock_id=aapl, payment_amount=25)
            assert wait_for_status(client, account, order.order_id, "PENDING_SUBMIT").status == "FILLED"
        # One order stays open, its cash held, across the move.
        client.v2.accounts.order_requests.create_limit_buy(accounts[0], stock_id=aapl, asset_quantity=1, limit_price=1.0)
        books = _books(server, partner, accounts)
        refused = run_tool("migrate-store", "--from", f"sqlite:{folder / 'live.sqlite'}", "--to", fresh_postgres_store("migrate_open"))
        assert refused.returncode == 2 and "stop the gateway first" in refused.stderr, refused
    finally:
        server.stop()
    return folder / "live.sqlite", env, partner, books, accounts, aapl


def test_migratedStore_answersTheSameBooks_onPostgres_andTakesNewOrders(traded_store) -> None:
    store, env, partner, books, accounts, aapl = traded_store
    target = fresh_postgres_store("migrate")
    result = run_tool("migrate-store", "--from", f"sqlite:{store}", "--to", target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": OK, ledger sequence" in result.stdout.splitlines()[0], result.stdout
    for table in ["organizations", "api_keys", "documents", "ledger_transfers", "events"]:
        assert any(line.split()[:1] == [table] and line.split()[1] == line.split()[2] for line in result.stdout.splitlines()), result.stdout
    assert "FAIL" not in result.stdout, result.stdout

    server = Replica(target, env)
    try:
        assert _books(server, partner, accounts) == books
        client = _client(server, partner)
        before = {order["id"] for order in books[accounts[1]]["orders"]}
        order = client.v2.accounts.order_requests.create_market_buy(accounts[1], stock_id=aapl, payment_amount=10)
        assert order.order_id not in before
        assert wait_for_status(client, accounts[1], order.order_id, "PENDING_SUBMIT").status == "FILLED"
        after = _books(server, partner, accounts)["reserves"]
        assert after["ledger_sequence"] > books["reserves"]["ledger_sequence"]
        assert after["fully_backed"] is True
    finally:
        server.stop()
    print(f"migrate-store: {result.stdout.splitlines()[0]}")


def test_migrateStore_refusesATargetWithRows(traded_store) -> None:
    store, *_ = traded_store
    target = fresh_postgres_store("migrate_twice")
    assert run_tool("migrate-store", "--from", f"sqlite:{store}", "--to", target).returncode == 0
    organizations = ["psql", target, "-tAc", "SELECT COUNT(*) FROM organizations"]
    before = subprocess.run(organizations, capture_output=True, text=True, check=True).stdout
    again = run_tool("migrate-store", "--from", f"sqlite:{store}", "--to", target)
    assert again.returncode == 2, again
    assert len(again.stderr.strip().splitlines()) == 1 and "not empty" in again.stderr, again.stderr
    assert subprocess.run(organizations, capture_output=True, text=True, check=True).stdout == before
