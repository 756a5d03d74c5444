"""Splits applied to token holders, through dinari-api-sdk 0.15.0 in strict mode with the
sandbox clock (issue #22's acceptance text).

A server of this module's own (memory store), so moving the clock back to 2020 and applying
splits touches no other test's holders. Times are New York summer time (EDT, UTC−4).

* **AAPL 4:1, 2020-08-31 (historical).** The clock moves back to Thursday 2020-08-27 11:00:
  prices are as traded then (4 × today's scale) and the split is ``PENDING``. A customer buys
  AAPL and places a resting limit buy and a resting limit sell. The clock moves to Monday
  2020-08-31 10:00: the split job applies the split (``COMPLETE``): tokens exactly × 4, the
  portfolio's value at the split-adjusted previous close equal (within cents) to its value at
  Friday's as-traded close, both resting orders cancelled with the split named (the documented
  policy) and every hold released.
* **AAPL 1:10 reverse (operator), 2020-09-01.** The operator schedules it on 2020-08-31; at
  00:30 on 2020-09-01 the job applies it: tokens = floor(tokens / 10) at 10⁻⁶ share, and the
  fraction below that is credited as USD+ cash in lieu at Monday's regular close, rounded up.

After each step the reserves are fully backed (tokens outstanding == custody, USD+ backed)
and the operator's reconciliation finds no break.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal
from typing import Any

import httpx
import pytest
from dinari_api_sdk import Dinari

from private_server import PrivateServer, private_server
from test_dividends_sdk import _aapl_held, _baseline_account, _buy, _set_clock

THURSDAY_SESSION = "2020-08-27T15:00:00Z"  # 11:00 EDT, regular session
FRIDAY_AFTER_HOURS = "2020-08-28T21:00:00Z"  # 17:00 EDT: Friday's regular close is in
MONDAY_SESSION = "2020-08-31T14:00:00Z"  # 10:00 EDT: the 4:1 split's effective date
MONDAY_AFTER_HOURS = "2020-08-31T21:00:00Z"
TUESDAY_NIGHT = "2020-09-01T04:30:00Z"  # 00:30 EDT: the reverse split's effective date
SPLIT_DATE = "2020-08-31"
REVERSE_DATE = "2020-09-01"
MICRO = Decimal("0.000001")
CENT = Decimal("0.01")
JOB_WAIT_S_MAX = 10.0  # the split job ticks every second
ACTIONS = "/api/v2/operator/corporate_actions"

Json = dict[str, Any]


@pytest.fixture(scope="module")
def server() -> Iterator[PrivateServer]:
    with private_server("--log-level", "warning") as started:
        yield started


@pytest.fixture(scope="module")
def client(server: PrivateServer) -> Iterator[Dinari]:
    sdk = Dinari(
        api_key_id=server.partner_key_id, api_secret_key=server.partner_secret, base_url=server.base_url,
        _strict_response_validation=True, max_retries=0, timeout=30.0,
    )  # fmt: skip
    yield sdk
    sdk.close()


@pytest.fixture(scope="module")
def operator(server: PrivateServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=server.operator_headers, timeout=30.0) as http:
        yield http


def _price(client: Dinari, stock_id: str) -> Json:
    client.v2.market_data.stocks.retrieve_current_price(stock_id)  # parses strictly
    return client.v2.market_data.stocks.with_raw_response.retrieve_current_price(stock_id).http_response.json(parse_float=Decimal)


def _split_status(client: Dinari, stock_id: str, ex_date: str) -> str:
    page = client.v2.market_data.stocks.splits.list_for_stock(stock_id, limit=100)  # parses strictly
    found = [split.status for split in page.data if split.ex_date.isoformat() == ex_date]
    assert len(found) == 1, [(s.ex_date, s.status) for s in page.data]
    return found[0]


def _wait_for_split(client: Dinari, stock_id: str, ex_date: str) -> None:
    deadline = time.monotonic() + JOB_WAIT_S_MAX
    while _split_status(client, stock_id, ex_date) != "COMPLETE":
        assert time.monotonic() < deadline, f"the split of {ex_date} was not applied within {JOB_WAIT_S_MAX} s"
        time.sleep(0.2)


def _ledger(operator: httpx.Client, account_id: str, asset: str) -> tuple[Json, list[Json]]:
    """The account's balance row for `asset` (balance, held, available) and its entries."""
    entries: list[Json] = []
    params: dict[str, Any] = {"asset": asset, "limit": 200}
    while True:
        response = operator.get(f"/api/v2/operator/accounts/{account_id}/ledger", params=params)
        assert response.status_code == 200, (response.status_code, response.text)
        page = response.json(parse_float=Decimal)
        entries.extend(page["data"])
        if page.get("next_after_sequence") is None:
            # Stock rows are named STOCK:<symbol> in the ledger.
            return next(b for b in page["balances"] if b["asset"] in (asset, f"STOCK:{asset}")), entries
        params = {**params, "after_sequence": page["next_after_sequence"]}


def _books_exact(operator: httpx.Client) -> None:
    """Tokens outstanding == custody for every stock, USD+ backed, no reconciliation break."""
    report = operator.get("/api/v2/reserves").json(parse_float=Decimal)["report"]
    assert report["fully_backed"] is True, report
    assert Decimal(report["usd_plus"]["difference"]) == 0, report["usd_plus"]
    for line in report["stocks"]:
        assert Decimal(line["difference"]) == 0 and line["tokens_outstanding"] == line["custody_shares"], line
    run = operator.post("/api/v2/operator/reconciliation")
    assert run.status_code == 200, (run.status_code, run.text)
    assert run.json()["breaks"] == [], run.json()


def _resting_limits(client: Dinari, account_id: str, stock_id: str) -> list[str]:
    """A GTC limit buy far below the market and one sell far above it: both rest. Returns
    the order request ids (the request carries ``cancel_message``)."""
    gtc = {"order_tif": "GTC"}  # a DAY order would expire at Thursday's close
    requests = client.v2.accounts.order_requests
    buy = requests.create_limit_buy(account_id, stock_id=stock_id, asset_quantity=1, limit_price=5, extra_body=gtc)
    sell = requests.create_limit_sell(account_id, stock_id=stock_id, asset_quantity=0.1, limit_price=9000, extra_body=gtc)
    assert buy.order_id and sell.order_id, (buy, sell)
    for order_id in (buy.order_id, sell.order_id):
        status = client.v2.accounts.orders.retrieve(order_id, account_id=account_id).status
        assert status in ("PENDING_SUBMIT", "SUBMITTED"), status
    return [buy.id, sell.id]


def test_historicalSplit_crossedByTheSandboxClock_multipliesTokens_keepsValue_andCancelsRestingOrders(
    client: Dinari, operator: httpx.Client
) -> None:
    aapl = client.v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
    account_id = _baseline_account(client, "Anna Müller")
    _set_clock(operator, {}, THURSDAY_SESSION)
    assert operator.get("/api/v2/sandbox/clock").json()["now"].startswith("2020-08-27T15:00:00")
    assert _split_status(client, aapl, SPLIT_DATE) == "PENDING", "the clock is before the split"

    _buy(client, account_id, aapl, 600)
    held = _aapl_held(client, account_id)
    assert held > Decimal("0.1"), held
    requests = _resting_limits(client, account_id, aapl)
    assert _ledger(operator, account_id, "USD+")[0]["held"] != "0.000000"

    _set_clock(operator, {}, FRIDAY_AFTER_HOURS)
    friday_close = Decimal(_price(client, aapl)["close"])  # as traded: pre-split shares
    _set_clock(operator, {}, MONDAY_SESSION)
    _wait_for_split(client, aapl, SPLIT_DATE)

    assert _aapl_held(client, account_id) == held * 4, "tokens exactly × 4"
    adjusted_close = Decimal(_price(client, aapl)["previous_close"])
    assert abs(friday_close - adjusted_close * 4) <= 2 * CENT, (friday_close, adjusted_close)
    value_before, value_after = held * friday_close, held * 4 * adjusted_close
    assert abs(value_after - value_before) <= held * 4 * CENT / 2 + CENT, (value_before, value_after)
    for request_id in requests:
        request = client.v2.accounts.order_requests.retrieve(request_id, account_id=account_id)
        assert request.order_id and request.cancel_message, request
        assert "cancelled: AAPL split 1:4 effective 2020-08-31" in request.cancel_message, request.cancel_message
        assert client.v2.accounts.orders.retrieve(request.order_id, account_id=account_id).status == "CANCELLED"
    for asset in ("USD+", "AAPL"):
        assert Decimal(_ledger(operator, account_id, asset)[0]["held"]) == 0, f"{asset} holds released"
    _books_exact(operator)


def test_operatorReverseSplit_floorsTokens_andPaysCashInLieu_atThePreviousClose_roundedUp(
    client: Dinari, operator: httpx.Client
) -> None:
    aapl = client.v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
    account_id = _baseline_account(client, "Jonas Weber", first_name="Jonas", last_name="Weber")
    _set_clock(operator, {}, MONDAY_SESSION)
    for amount in (300, 7, 3, 2):  # until the holding has a fraction below 10 × 10⁻⁶ share
        _buy(client, account_id, aapl, amount)
        units = int(_aapl_held(client, account_id) / MICRO)
        if units % 10:
            break
    assert units % 10, units

    created = operator.post(
        ACTIONS, json={"stock_id": aapl, "type": "SPLIT", "split_from": 10, "split_to": 1, "effective_date": REVERSE_DATE}
    )
    assert created.status_code == 201, (created.status_code, created.text)
    assert _split_status(client, aapl, REVERSE_DATE) == "PENDING"
    _set_clock(operator, {}, MONDAY_AFTER_HOURS)
    monday_close = Decimal(_price(client, aapl)["close"])
    usd_before, entries_before = _ledger(operator, account_id, "USD+")
    _set_clock(operator, {}, TUESDAY_NIGHT)
    _wait_for_split(client, aapl, REVERSE_DATE)

    assert _aapl_held(client, account_id) == (units // 10) * MICRO, "floor(tokens / 10) at 10⁻⁶ share"
    cash_in_lieu = (Decimal(units % 10) * MICRO * monday_close).quantize(MICRO, rounding=ROUND_CEILING)
    assert cash_in_lieu > 0
    usd_after, entries_after = _ledger(operator, account_id, "USD+")
    seen = {entry["id"] for entry in entries_before}
    new = [entry for entry in entries_after if entry["id"] not in seen]
    credits = [(e["direction"], Decimal(e["amount"])) for e in new if e["reason"] == "CASH_IN_LIEU"]
    assert credits == [("CREDIT", cash_in_lieu)], new
    interest = sum((Decimal(e["amount"]) for e in new if e["reason"] == "INTEREST"), Decimal(0))
    assert all(e["reason"] in ("CASH_IN_LIEU", "INTEREST") for e in new), new
    assert Decimal(usd_after["balance"]) - Decimal(usd_before["balance"]) - interest == cash_in_lieu
    _books_exact(operator)
