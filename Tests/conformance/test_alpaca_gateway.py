"""The gateway on ``--broker alpaca`` against ``alpaca-sim``: Alpaca's wire protocol end to end.

Each test runs its own simulator and gateway (one omnibus account per gateway, so the
broker's book is this gateway's alone), drives the order journeys through the Dinari SDK
in strict mode, and ends with reconciliation against the broker's positions and cash: no
break, and the public reserves fully backed.

- Journeys: Tuesday buy then sell half; a Saturday limit waits and fills on Monday; the
  day after Thanksgiving a market order at 12:59 ET fills, at 13:30 it is refused.
- Crash points: ``kill -9`` after the order's commit, after Alpaca took it, before its
  fill is settled; after a restart the order completes once and Alpaca holds one order
  under its ``client_order_id``.
- Faults: 500s and 429s retried, a hang cut by the request timeout, a dropped stream
  reconnected, an order Alpaca never fills cancelled at its DAY expiry, and an order that
  could never reach Alpaca ending in ERROR with its hold released.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from dinari_api_sdk import Dinari, UnprocessableEntityError

from processes import AlpacaSim, Replica, isolated_env, random_key
from support import assert_error_response, sdk_error
from test_orders_sdk import trading_account

pytestmark = pytest.mark.skipif(
    not (os.environ.get("BROKERGATE_BIN") and os.environ.get("ALPACA_SIM_BIN")),
    reason="needs BROKERGATE_BIN and ALPACA_SIM_BIN (starts both executables)",
)

TUESDAY_REGULAR = "2026-12-01T15:00:00Z"  # 10:00 ET
TUESDAY_1555 = "2026-12-01T20:55:00Z"  # 15:55 ET
TUESDAY_AFTER_CLOSE = "2026-12-01T21:00:30Z"  # 16:00:30 ET
SATURDAY = "2026-11-28T15:00:00Z"
MONDAY_0931 = "2026-11-30T14:31:00Z"
BLACK_FRIDAY_1259 = "2026-11-27T17:59:00Z"  # 12:59 ET, early close at 13:00
BLACK_FRIDAY_1330 = "2026-11-27T18:30:00Z"
WAIT_S_MAX = 25.0


class World:
    """A simulator and a gateway trading through it, with the SDK and the operator's key."""

    def __init__(self, store: Path, clock: str, **settings: str) -> None:
        self.sim = AlpacaSim(clock)
        self.partner_key, self.operator_key = random_key("partner"), random_key("operator")
        self.env = isolated_env(self.partner_key, self.operator_key, BROKERGATE_CLOCK=clock, **self.sim.gateway_env(), **settings)
        self.store = f"sqlite:{store}"
        self.gateway = Replica(self.store, self.env)
        self.operator = {"X-API-Key-Id": self.operator_key[0], "X-API-Secret-Key": self.operator_key[1]}
        self.connect()

    def connect(self) -> None:
        self.client = Dinari(
            api_key_id=self.partner_key[0], api_secret_key=self.partner_key[1], base_url=self.gateway.base,
            _strict_response_validation=True, max_retries=0,
        )  # fmt: skip
        self.aapl = self.client.v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id

    def at(self, instant: str) -> None:
        """Both business clocks at `instant`: the broker's market follows the gateway's."""
        self.sim.set_clock(instant)
        response = httpx.put(f"{self.gateway.base}/api/v2/sandbox/clock", json={"now": instant}, headers=self.operator, timeout=10)
        assert response.status_code == 200, response.text

    def wait(self, account_id: str, order_id: str, until: set[str]) -> object:
        deadline = time.monotonic() + WAIT_S_MAX
        while True:
            order = self.client.v2.accounts.orders.retrieve(order_id, account_id=account_id)
            if order.status in until or time.monotonic() > deadline:
                return order
            time.sleep(0.2)

    def assert_reconciled(self) -> None:
        """Our custody and cash equal Alpaca's positions and cash; reserves fully backed."""
        run = httpx.post(f"{self.gateway.base}/api/v2/operator/reconciliation", headers=self.operator, timeout=30).json()
        assert run["broker_positions"] == "COMPARED", run
        assert [b for b in run["breaks"] if b["check"].startswith("broker")] == [], run
        report = httpx.get(f"{self.gateway.base}/api/v2/reserves", timeout=10).json()["report"]
        for line in report["stocks"]:
            assert line["difference"] == "0.000000" and line["tokens_outstanding"] == line["custody_shares"], line

    def alpaca_orders(self) -> list[dict]:
        return self.sim.control("GET", "/v2/orders?status=all&limit=500").json()

    def close(self) -> None:
        self.gateway.stop()
        self.sim.stop()
        with open(self.gateway.log.name, "rb") as log:
            assert self.sim.secret_key.encode() not in log.read(), "the Alpaca secret key appears in the gateway's log"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made: list[World] = []

    def make(clock: str = TUESDAY_REGULAR, **settings: str) -> World:
        made.append(World(tmp_path / f"gateway-{len(made)}.sqlite", clock, **settings))
        return made[-1]

    yield make
    for world in made:
        if world.gateway.process.poll() is None:
            print(world.gateway.log_tail())
        world.close()


def _dec(value: object) -> Decimal:
    return Decimal(str(value))


def _tokens(client: Dinari, account_id: str) -> Decimal:
    return sum((_dec(a.amount) for a in client.v2.accounts.get_portfolio(account_id).assets if a.symbol == "AAPL"), Decimal(0))


def _cash(client: Dinari, account_id: str) -> Decimal:
    return _dec(client.v2.accounts.get_cash_balances(account_id)[0].amount)


# --- journeys --------------------------------------------------------------------------


def test_tuesday_buyThenSellHalf_throughAlpaca_reconciles(world) -> None:
    w = world()
    account_id = trading_account(w.client)
    funded = _cash(w.client, account_id)
    requests = w.client.v2.accounts.order_requests
    buy = requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=200)
    bought = w.wait(account_id, buy.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"})
    assert bought.status == "FILLED"
    held = _tokens(w.client, account_id)
    assert held == _dec(bought.asset_token_quantity) > 0
    assert _cash(w.client, account_id) == funded - _dec(bought.payment_token_quantity) - _dec(bought.fee)
    half = (held / 2).quantize(Decimal("0.000001"))
    sell = requests.create_market_sell(account_id, stock_id=w.aapl, asset_quantity=float(half))
    assert w.wait(account_id, sell.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"}).status == "FILLED"
    assert _tokens(w.client, account_id) == held - half
    # Alpaca has both orders under our order ids, and holds exactly our custody.
    alpaca = {order["client_order_id"]: order for order in w.alpaca_orders()}
    assert alpaca[buy.order_id]["status"] == alpaca[sell.order_id]["status"] == "filled"
    assert alpaca[buy.order_id]["notional"] == "200" and alpaca[sell.order_id]["qty"] == str(half.normalize())
    position = w.sim.control("GET", "/v2/positions/AAPL").json()
    assert _dec(position["qty"]) == held - half
    w.assert_reconciled()


def test_saturdayLimit_waitsForMonday_thenFillsAtAlpaca(world) -> None:
    w = world(SATURDAY)
    requests = w.client.v2.accounts.order_requests
    account_id = trading_account(w.client)
    with pytest.raises(UnprocessableEntityError) as raised:
        requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=50)
    assert "2026-11-30T14:30:00Z" in sdk_error(raised.value)["message"]
    price = _dec(w.client.v2.market_data.stocks.retrieve_current_price(w.aapl).price)
    waiting = requests.create_limit_buy(account_id, stock_id=w.aapl, asset_quantity=1, limit_price=float((price * Decimal("1.05")).quantize(Decimal("0.01"))))
    time.sleep(2)
    assert w.client.v2.accounts.orders.retrieve(waiting.order_id, account_id=account_id).status == "PENDING_SUBMIT"
    assert w.alpaca_orders() == [], "nothing may reach Alpaca while no session allows the order"
    w.at(MONDAY_0931)
    filled = w.wait(account_id, waiting.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"})
    assert filled.status == "FILLED" and _dec(filled.asset_token_quantity) == 1
    [sent] = w.alpaca_orders()
    assert sent["type"] == "limit" and sent["time_in_force"] == "day" and sent["extended_hours"] is True
    w.assert_reconciled()


def test_dayAfterThanksgiving_marketFillsAt1259_refusedAt1330(world) -> None:
    w = world(BLACK_FRIDAY_1259)
    requests = w.client.v2.accounts.order_requests
    account_id = trading_account(w.client)
    accepted = requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=20)
    assert w.wait(account_id, accepted.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"}).status == "FILLED"
    w.at(BLACK_FRIDAY_1330)
    with pytest.raises(UnprocessableEntityError) as raised:
        requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=20)
    assert sdk_error(raised.value)["code"] == "market_closed"
    w.assert_reconciled()


def test_gtcByAmount_isRefusedAtPlacement_becauseAlpacaTakesFractionalOnlyAsDay(world) -> None:
    w = world()
    account_id = trading_account(w.client)
    cash = _cash(w.client, account_id)
    response = httpx.post(
        f"{w.gateway.base}/api/v2/accounts/{account_id}/order_requests/market_buy",
        json={"stock_id": w.aapl, "payment_amount": 25, "order_tif": "GTC"},
        headers={"X-API-Key-Id": w.partner_key[0], "X-API-Secret-Key": w.partner_key[1]}, timeout=10,
    )  # fmt: skip
    assert assert_error_response(response, 422)["code"] == "fractional_time_in_force_unsupported", response.text
    assert _cash(w.client, account_id) == cash


# --- crash points ----------------------------------------------------------------------

CRASH_POINTS = ["before_broker_submit", "after_broker_submit", "before_settlement"]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_kill9_atEveryCrashPoint_alpacaExecutesOnce(point: str, world, tmp_path: Path) -> None:
    marker = tmp_path / "crashed"
    w = world(BROKERGATE_CRASH_AT=f"{point}:{marker}")
    account_id = trading_account(w.client)
    try:
        w.client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=150)
    except Exception:  # noqa: BLE001 - the kill may cut the answer
        pass
    assert w.gateway.process.wait(timeout=WAIT_S_MAX) == -9, "the gateway did not kill itself at the crash point"
    assert marker.read_text() == point
    w.gateway = Replica(w.store, {k: v for k, v in w.env.items() if k != "BROKERGATE_CRASH_AT"})
    w.connect()
    deadline = time.monotonic() + WAIT_S_MAX
    orders = w.client.v2.accounts.orders.list(account_id).data
    while (len(orders) != 1 or orders[0].status != "FILLED") and time.monotonic() < deadline:
        time.sleep(0.2)
        orders = w.client.v2.accounts.orders.list(account_id).data
    assert [o.status for o in orders] == ["FILLED"], w.gateway.log_tail()
    fills = w.client.v2.accounts.orders.get_fulfillments(orders[0].id, account_id=account_id).data
    assert len(fills) == 1 and _tokens(w.client, account_id) == _dec(fills[0].asset_token_filled)
    alpaca = w.alpaca_orders()
    assert [(o["client_order_id"], o["status"]) for o in alpaca] == [(orders[0].id, "filled")], alpaca
    w.assert_reconciled()


# --- faults ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["error_500", "error_429"])
def test_alpacaErrors_areRetried_andTheOrderFills(mode: str, world) -> None:
    w = world()
    account_id = trading_account(w.client)
    w.sim.set_faults(mode, count=3)
    buy = w.client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=40)
    assert w.wait(account_id, buy.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"}).status == "FILLED"
    assert len(w.alpaca_orders()) == 1
    assert "retrying" in w.gateway.log_tail(200)
    w.assert_reconciled()


def test_aHangingAlpaca_isTimedOut_andRetried(world) -> None:
    w = world(BROKERGATE_ALPACA_TIMEOUT_SECONDS="2")
    account_id = trading_account(w.client)
    w.sim.set_faults("hang", count=1, hang_seconds=20)
    started = time.monotonic()
    buy = w.client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=40)
    assert w.wait(account_id, buy.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"}).status == "FILLED"
    assert time.monotonic() - started < 15, "the hang was waited out instead of timed out"
    assert "timed out" in w.gateway.log_tail(200)
    assert len(w.alpaca_orders()) == 1
    w.assert_reconciled()


def test_aDroppedStream_isReconnected_andOrdersStillFill(world) -> None:
    w = world()
    account_id = trading_account(w.client)
    deadline = time.monotonic() + WAIT_S_MAX
    while w.sim.control("POST", "/sim/stream/drop").json()["dropped"] == 0:
        assert time.monotonic() < deadline, "the gateway never connected to trade_updates"
        time.sleep(0.5)
    # Dropped once; the gateway must come back on its own.
    deadline = time.monotonic() + WAIT_S_MAX
    while True:
        time.sleep(1)
        if w.sim.control("POST", "/sim/stream/drop").json()["dropped"] == 1:
            break
        assert time.monotonic() < deadline, "the gateway did not reconnect to trade_updates"
    buy = w.client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=40)
    assert w.wait(account_id, buy.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"}).status == "FILLED"
    assert "trade_updates stream lost; reconnecting" in w.gateway.log_tail(200)
    w.assert_reconciled()


def test_anOrderAlpacaNeverFills_isCancelledAtItsDayExpiry(world) -> None:
    w = world(TUESDAY_1555)
    account_id = trading_account(w.client)
    cash = _cash(w.client, account_id)
    w.sim.set_faults("never_fill")
    buy = w.client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=40)
    assert w.wait(account_id, buy.order_id, {"SUBMITTED"}).status == "SUBMITTED"
    time.sleep(1.5)
    assert w.client.v2.accounts.orders.retrieve(buy.order_id, account_id=account_id).status == "SUBMITTED"
    w.at(TUESDAY_AFTER_CLOSE)
    ended = w.wait(account_id, buy.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"})
    assert ended.status == "CANCELLED"
    assert _cash(w.client, account_id) == cash, "the hold must be released"
    [sent] = w.alpaca_orders()
    assert sent["status"] in {"canceled", "expired"} and sent["filled_qty"] == "0"
    w.sim.set_faults("none")
    w.assert_reconciled()


def test_anOrderThatNeverReachesAlpaca_endsInError_withItsHoldReleased_andTheDeskRetriesIt(world) -> None:
    """Alpaca answers 500 forever: after 3 failed engine passes (backing off 1 s, 2 s) the
    order ends ERROR with its hold released and the desk lists it with a retry action;
    once Alpaca is back the operator's retry reopens it under the same id and it fills,
    and the retry is in the audit trail."""
    w = world(BROKERGATE_ALPACA_RETRY_SECONDS="1", BROKERGATE_BROKER_ATTEMPTS_MAX="3")
    account_id = trading_account(w.client)
    cash = _cash(w.client, account_id)
    w.sim.set_faults("error_500")
    buy = w.client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=w.aapl, payment_amount=40)
    ended = w.wait(account_id, buy.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"})
    assert ended.status == "ERROR", ended
    assert _cash(w.client, account_id) == cash
    desk = httpx.get(f"{w.gateway.base}/api/v2/operator/order_desk", headers=w.operator, timeout=10)
    assert desk.status_code == 200, desk.text
    listed = [item for item in desk.json()["attention"] if item["order_id"] == buy.order_id]
    assert listed and listed[0]["broker_attempts"] == 3 and listed[0]["actions"] == ["retry"], desk.text
    assert listed[0]["reason"], "the broker's error is shown"
    w.sim.set_faults("none")
    assert w.alpaca_orders() == []
    w.assert_reconciled()

    base = f"{w.gateway.base}/api/v2/operator/orders/{buy.order_id}"
    assert httpx.post(f"{base}/cancel", headers=w.operator, timeout=10).status_code == 422, "an ended order is not cancelled"
    retried = httpx.post(f"{base}/retry", headers=w.operator, timeout=10)
    assert retried.status_code == 200 and retried.json()["status"] == "PENDING_SUBMIT", retried.text
    filled = w.wait(account_id, buy.order_id, {"FILLED", "REJECTED", "ERROR", "CANCELLED"})
    assert filled.status == "FILLED", filled
    assert len(w.alpaca_orders()) == 1, "executed once, under the same id"
    audit = httpx.get(
        f"{w.gateway.base}/api/v2/operator/audit_log", params={"object_id": buy.order_id}, headers=w.operator, timeout=10)
    routes = [record["route"] for record in audit.json()["data"]]
    assert "/api/v2/operator/orders/{order_id}/retry" in routes, audit.text
    w.assert_reconciled()
