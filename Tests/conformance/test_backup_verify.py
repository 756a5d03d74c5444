"""Backups of a live SQLite store (issue 23): `brokergate backup` taken while concurrent
market buys and token transfers run against the gateway gives a copy that `brokergate
verify-store` finds clean (schema current, ledger balanced, no negative balance, tokens ==
custody, USD+ backed) and that holds the orders of the run; the target is never
overwritten; a copy edited by hand fails verify-store naming the broken invariant.
Needs BROKERGATE_BIN."""

from __future__ import annotations

import concurrent.futures
import os
import random
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from dinari_api_sdk import APIStatusError, Dinari

from processes import Replica, isolated_env, random_key, run_tool
from test_orders_sdk import trading_account

pytestmark = pytest.mark.skipif(not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (runs the executable)")

TUESDAY_REGULAR = "2026-12-01T15:00:00Z"
ACCOUNTS = 3
WRITERS = 8


@pytest.fixture(scope="module")
def backup_under_load(tmp_path_factory) -> tuple[Path, int]:
    """A backup taken mid-run of concurrent orders and transfers; returns it and how many
    writes the gateway had acknowledged when the backup started."""
    folder = tmp_path_factory.mktemp("backup")
    partner, operator = random_key("partner"), random_key("operator")
    env = isolated_env(
        partner, operator, BROKERGATE_RATE_LIMIT_RPS="100000", BROKERGATE_RATE_LIMIT_BURST="100000", BROKERGATE_CLOCK=TUESDAY_REGULAR)
    server = Replica(f"sqlite:{folder / 'live.sqlite'}", env)
    try:
        def client() -> Dinari:
            return Dinari(api_key_id=partner[0], api_secret_key=partner[1], base_url=server.base,
                          _strict_response_validation=True, max_retries=0)  # fmt: skip

        aapl = client().v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
        accounts = [trading_account(client(), grants=3) for _ in range(ACCOUNTS)]
        token = client().v2.accounts.get_cash_balances(accounts[0])[0].token_address
        stop = threading.Event()
        acknowledged = [0]

        def writer(seed: int) -> None:
            c, rng = client(), random.Random(seed)
            while not stop.is_set():
                account, headers = rng.choice(accounts), {"Idempotency-Key": str(uuid.uuid4())}
                recipient = rng.choice([other for other in accounts if other != account])
                try:
                    if rng.random() < 0.6:
                        c.v2.accounts.order_requests.create_market_buy(account, stock_id=aapl, payment_amount=rng.choice([5, 7, 11]), extra_headers=headers)
                    else:
                        c.v2.accounts.token_transfers.create(
                            account, quantity=rng.choice([1, 2]), recipient_account_id=recipient, token_address=token, extra_headers=headers)
                except APIStatusError as error:
                    assert error.status_code < 500, error  # a refusal (e.g. funds spent) is an answer
                    continue
                acknowledged[0] += 1

        with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
            futures = [pool.submit(writer, seed) for seed in range(WRITERS)]
            time.sleep(1.5)
            during = acknowledged[0]
            result = run_tool("backup", "--store", f"sqlite:{folder / 'live.sqlite'}", "--to", str(folder / "backup.sqlite"))
            time.sleep(0.5)
            stop.set()
            for future in futures:
                future.result()  # a writer that failed (a 5xx) fails the test here
        assert result.returncode == 0, result.stderr
        assert "verify-store" in result.stdout, result.stdout
        assert during > 0 and acknowledged[0] > during, "the backup must be taken while writes run"
        return folder / "backup.sqlite", during
    finally:
        server.stop()


def test_backupTakenUnderLoad_verifiesClean_andHoldsTheRunsOrders(backup_under_load) -> None:
    backup, acknowledged_before = backup_under_load
    result = run_tool("verify-store", str(backup))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"verify-store {backup}: OK"), result.stdout
    for check in ["sqlite_integrity", "migrations_current", "ledger_balanced", "no_negative_balance", "token_backing", "usd_plus_backing"]:
        assert f"ok   {check}" in result.stdout, result.stdout
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as db:
        orders = db.execute("SELECT COUNT(*) FROM documents WHERE kind = 'order'").fetchone()[0]
    assert orders > 0, "the copy holds the orders placed before it"
    print(f"backup under load: {acknowledged_before} writes acknowledged before it, {orders} orders in the copy, verify-store OK")


def test_backup_refusesAnExistingTarget(backup_under_load, tmp_path: Path) -> None:
    backup, _ = backup_under_load
    before = backup.read_bytes()
    result = run_tool("backup", "--store", f"sqlite:{backup}", "--to", str(backup))
    assert result.returncode == 2, result
    assert len(result.stderr.strip().splitlines()) == 1 and "already exists" in result.stderr, result.stderr
    assert backup.read_bytes() == before


TAMPERS = {
    "ledger_balanced": ["UPDATE ledger_balances SET balance_units = balance_units + 1 WHERE account = (SELECT MIN(account) FROM ledger_balances WHERE is_customer = 1 AND balance_units > 0)"],
    "no_negative_balance": [
        "UPDATE ledger_balances SET balance_units = -1 WHERE account = (SELECT MIN(account) FROM ledger_balances WHERE is_customer = 1 AND balance_units > 0)",
    ],
    "migrations_current": ["DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"],
}  # fmt: skip


@pytest.mark.parametrize("broken", sorted(TAMPERS))
def test_tamperedCopy_failsVerifyStore_namingTheInvariant(backup_under_load, broken: str, tmp_path: Path) -> None:
    backup, _ = backup_under_load
    tampered = tmp_path / "tampered.sqlite"
    shutil.copyfile(backup, tampered)
    with sqlite3.connect(tampered) as db:
        db.execute("PRAGMA ignore_check_constraints = ON")  # as a hand edit or a broken tool would
        for statement in TAMPERS[broken]:
            assert db.execute(statement).rowcount == 1
    result = run_tool("verify-store", str(tampered))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout.splitlines()[0], result.stdout
    assert f"FAIL {broken}" in result.stdout, result.stdout
