"""`alpaca-sim` speaks Alpaca's Trading API v2 and `trade_updates` stream well enough for
alpaca-py, Alpaca's own SDK, to use it unchanged.

Every call goes through alpaca-py's ``TradingClient`` / ``TradingStream`` with
``url_override``, so each answer is parsed by the SDK's own pydantic models: a field of the
wrong type or a missing required one fails the test the same way it would fail a partner
using the SDK against the real Alpaca. Only the simulator's test controls (``/sim/...``)
are called raw.

``ALPACA_SIM_BIN=/path/to/alpaca-sim`` (e.g. .build/debug/alpaca-sim): the module starts
its own simulator (in-memory books, free port, random keys, clock at Tuesday 2026-12-01
10:00 ET, in the regular session) and stops it at the end. Without it the module is
skipped. It needs no BrokerGate server.

The tests share one simulator and run in file order: the clock only moves in the last test.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import TypeVar

import pytest

from processes import AlpacaSim as Sim

SIM_BIN = os.environ.get("ALPACA_SIM_BIN")
if not SIM_BIN:
    pytest.skip(
        "ALPACA_SIM_BIN is not set: set ALPACA_SIM_BIN=/path/to/alpaca-sim "
        "(e.g. .build/debug/alpaca-sim) to run the alpaca-py conformance tests of the simulator",
        allow_module_level=True,
    )

from alpaca.common.exceptions import APIError  # noqa: E402 (after the skip, on purpose)
from alpaca.trading.client import TradingClient  # noqa: E402
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce  # noqa: E402
from alpaca.trading.models import Clock, Order, Position, TradeAccount, TradeUpdate  # noqa: E402
from alpaca.trading.requests import GetOrdersRequest, LimitOrderRequest, MarketOrderRequest  # noqa: E402
from alpaca.trading.stream import TradingStream  # noqa: E402

# Tuesday 2026-12-01 10:00 ET: the regular session.
START_CLOCK = "2026-12-01T15:00:00Z"
# Saturday 2026-12-05 10:00 ET, and the following Monday 10:00 ET.
SATURDAY = "2026-12-05T15:00:00Z"
MONDAY = "2026-12-07T15:00:00Z"
MONDAY_OPEN = datetime(2026, 12, 7, 14, 30, tzinfo=timezone.utc)
DEPOSIT_DOLLARS = 1_000_000
SYMBOL = "AAPL"
UNKNOWN_SYMBOL = "ZZZZQX"
# Far below any simulated AAPL price: a limit buy here rests.
FAR_LIMIT_PRICE = 1.00
FILL_WAIT_S = 5.0
STREAM_EVENT_WAIT_S = 5.0
RECONNECT_WAIT_S = 10.0
# alpaca-py retries a 429 after DEFAULT_RETRY_WAIT_SECONDS (3 s).
ALPACA_PY_RETRY_WAIT_S = 3.0
NOT_FILLED_OBSERVE_S = 3.0
CASH_TOLERANCE = Decimal("0.01")
WAITING_STATUSES = {OrderStatus.ACCEPTED, OrderStatus.NEW, OrderStatus.PENDING_NEW}

T = TypeVar("T")


# --- the simulator ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway() -> None:
    """Overrides the session's autouse BrokerGate server (conftest.py): these tests talk
    to alpaca-sim only, so they run without BROKERGATE_BIN."""
    return None


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    if not os.access(SIM_BIN or "", os.X_OK):
        pytest.fail(f"ALPACA_SIM_BIN={SIM_BIN!r} is not an executable file", pytrace=False)
    started = Sim(START_CLOCK, "--cash", str(DEPOSIT_DOLLARS))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def client(sim: Sim) -> TradingClient:
    return TradingClient(sim.key_id, sim.secret_key, paper=True, url_override=sim.base_url)


# --- helpers ---------------------------------------------------------------------------


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float, sim: Sim, interval_s: float = 0.1) -> T:
    """Polls `probe` until it returns something other than None."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s\n--- alpaca-sim stderr ---\n{sim.stderr_tail()}")
        time.sleep(interval_s)


def wait_for_status(client: TradingClient, sim: Sim, order_id: uuid.UUID, status: OrderStatus) -> Order:
    def probe() -> Order | None:
        order = client.get_order_by_id(order_id)
        assert isinstance(order, Order)
        return order if order.status == status else None

    return wait_for(f"order {order_id} reaching {status.value}", probe, FILL_WAIT_S, sim)


def coid(label: str) -> str:
    return f"conf-{label}-{uuid.uuid4().hex[:12]}"


def cash(client: TradingClient) -> Decimal:
    account = client.get_account()
    assert isinstance(account, TradeAccount)
    assert account.cash is not None
    return Decimal(account.cash)


def held_qty(client: TradingClient, symbol: str) -> Decimal:
    """The position's quantity; 0 when there is none (404)."""
    try:
        position = client.get_open_position(symbol)
    except APIError as error:
        assert error.status_code == 404, (error.status_code, str(error))
        return Decimal(0)
    assert isinstance(position, Position)
    assert position.symbol == symbol
    return Decimal(position.qty)


def market_buy(client: TradingClient, label: str, qty: float = 1) -> Order:
    order = client.submit_order(
        MarketOrderRequest(symbol=SYMBOL, qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id=coid(label))
    )
    assert isinstance(order, Order)
    return order


def far_limit_buy(client: TradingClient, client_order_id: str) -> Order:
    order = client.submit_order(
        LimitOrderRequest(
            symbol=SYMBOL, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
            limit_price=FAR_LIMIT_PRICE, client_order_id=client_order_id,
        )
    )  # fmt: skip
    assert isinstance(order, Order)
    return order


def api_error(call: Callable[[], object]) -> APIError:
    with pytest.raises(APIError) as caught:
        call()
    error = caught.value
    # Alpaca's error body: {"code": int, "message": str}; alpaca-py reads both lazily.
    assert isinstance(error.code, int), str(error)
    assert isinstance(error.message, str) and error.message, str(error)
    return error


# --- tests -----------------------------------------------------------------------------


def test_account_parses_and_holds_the_deposit(client: TradingClient) -> None:
    account = client.get_account()
    assert isinstance(account, TradeAccount)
    assert account.status.value == "ACTIVE"
    assert account.cash is not None
    assert Decimal(account.cash) == DEPOSIT_DOLLARS
    assert account.currency in (None, "USD")


def test_market_notional_buy_fills_and_books_position_and_cash(client: TradingClient, sim: Sim) -> None:
    cash_before = cash(client)
    held_before = held_qty(client, SYMBOL)
    client_order_id = coid("notional")

    submitted = client.submit_order(
        MarketOrderRequest(
            symbol=SYMBOL, notional=1000, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
            client_order_id=client_order_id,
        )
    )  # fmt: skip
    assert isinstance(submitted, Order)
    assert submitted.client_order_id == client_order_id
    assert submitted.symbol == SYMBOL
    assert submitted.side == OrderSide.BUY
    assert submitted.time_in_force == TimeInForce.DAY
    assert submitted.notional is not None and Decimal(submitted.notional) == 1000

    filled = wait_for_status(client, sim, submitted.id, OrderStatus.FILLED)
    by_client_id = client.get_order_by_client_id(client_order_id)
    assert isinstance(by_client_id, Order)
    assert by_client_id.id == filled.id == submitted.id
    assert by_client_id.status == OrderStatus.FILLED
    assert by_client_id.filled_qty == filled.filled_qty
    assert by_client_id.filled_avg_price == filled.filled_avg_price

    assert filled.filled_qty is not None and filled.filled_avg_price is not None
    qty = Decimal(str(filled.filled_qty))
    price = Decimal(str(filled.filled_avg_price))
    assert qty > 0
    assert price > 0
    assert filled.filled_at is not None
    # A notional buy spends (about) the notional, never more.
    assert qty * price <= Decimal(1000) + CASH_TOLERANCE

    positions = client.get_all_positions()
    assert isinstance(positions, list) and all(isinstance(p, Position) for p in positions)
    listed = [p for p in positions if p.symbol == SYMBOL]
    assert len(listed) == 1, positions
    assert Decimal(listed[0].qty) == held_before + qty
    assert held_qty(client, SYMBOL) == held_before + qty

    spent = cash_before - cash(client)
    assert abs(spent - qty * price) <= CASH_TOLERANCE, (spent, qty, price)


def test_far_limit_order_rests_then_cancels_once(client: TradingClient, sim: Sim) -> None:
    order = far_limit_buy(client, coid("far-limit"))
    assert order.time_in_force == TimeInForce.GTC
    assert order.limit_price is not None and Decimal(str(order.limit_price)) == Decimal("1")

    open_orders = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN))
    assert isinstance(open_orders, list) and all(isinstance(o, Order) for o in open_orders)
    listed = [o for o in open_orders if o.id == order.id]
    assert len(listed) == 1, [o.id for o in open_orders]
    assert listed[0].status in WAITING_STATUSES
    assert Decimal(str(listed[0].filled_qty or 0)) == 0

    client.cancel_order_by_id(order.id)
    canceled = client.get_order_by_id(order.id)
    assert isinstance(canceled, Order)
    assert canceled.status == OrderStatus.CANCELED
    assert canceled.canceled_at is not None
    assert order.id not in {o.id for o in client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN))}
    closed = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert order.id in {o.id for o in closed}

    error = api_error(lambda: client.cancel_order_by_id(order.id))
    assert error.status_code == 422, str(error)


def test_duplicate_client_order_id_is_refused(client: TradingClient) -> None:
    client_order_id = coid("duplicate")
    first = far_limit_buy(client, client_order_id)
    try:
        error = api_error(lambda: far_limit_buy(client, client_order_id))
        assert error.status_code == 422, str(error)
        # The first order is untouched.
        again = client.get_order_by_client_id(client_order_id)
        assert isinstance(again, Order) and again.id == first.id
    finally:
        client.cancel_order_by_id(first.id)


def test_refusals_have_alpacas_status_codes(client: TradingClient, sim: Sim) -> None:
    fractional_gtc = MarketOrderRequest(symbol=SYMBOL, qty=0.5, side=OrderSide.BUY, time_in_force=TimeInForce.GTC)
    error = api_error(lambda: client.submit_order(fractional_gtc))
    assert error.status_code == 422, str(error)

    oversell = MarketOrderRequest(
        symbol=SYMBOL, qty=float(held_qty(client, SYMBOL) + 1000), side=OrderSide.SELL, time_in_force=TimeInForce.DAY
    )
    error = api_error(lambda: client.submit_order(oversell))
    assert error.status_code == 403, str(error)

    unknown = MarketOrderRequest(symbol=UNKNOWN_SYMBOL, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
    error = api_error(lambda: client.submit_order(unknown))
    assert error.status_code == 422, str(error)

    stranger = TradingClient("not-" + sim.key_id, "not-" + sim.secret_key, paper=True, url_override=sim.base_url)
    error = api_error(stranger.get_account)
    assert error.status_code == 401, str(error)


class StreamRecorder:
    """A TradingStream running in a background thread, keeping every TradeUpdate."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.updates: list[TradeUpdate] = []
        self.stream = TradingStream(sim.key_id, sim.secret_key, paper=True, url_override=sim.ws_url)

        async def record(update: TradeUpdate) -> None:
            self.updates.append(update)

        self.stream.subscribe_trade_updates(record)
        self.thread = threading.Thread(target=self.stream.run, name="alpaca-trading-stream", daemon=True)

    def events_for(self, client_order_id: str) -> list[str]:
        return [str(getattr(u.event, "value", u.event)) for u in list(self.updates) if u.order.client_order_id == client_order_id]

    def wait_for_event(self, client_order_id: str, event: str, timeout_s: float = STREAM_EVENT_WAIT_S) -> TradeUpdate:
        def probe() -> TradeUpdate | None:
            for update in list(self.updates):
                if update.order.client_order_id == client_order_id and str(getattr(update.event, "value", update.event)) == event:
                    return update
            return None

        return wait_for(
            f"{event!r} trade update for {client_order_id} (got {self.events_for(client_order_id)})",
            probe, timeout_s, self.sim, interval_s=0.05,
        )  # fmt: skip

    def wait_until_listening(self, client: TradingClient, timeout_s: float) -> None:
        """Places resting probe orders until one's update arrives: then the stream is
        authenticated and listening (alpaca-py does not expose that, and the simulator
        replays nothing sent before)."""
        deadline = time.monotonic() + timeout_s
        while True:
            probe_id = coid("probe")
            probe = far_limit_buy(client, probe_id)
            try:
                arrived = time.monotonic() + 1.0
                while time.monotonic() < arrived:
                    if self.events_for(probe_id):
                        return
                    time.sleep(0.05)
            finally:
                client.cancel_order_by_id(probe.id)
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"trade_updates stream delivered nothing within {timeout_s:.0f} s\n"
                    f"--- alpaca-sim stderr ---\n{self.sim.stderr_tail()}"
                )

    def stop(self) -> None:
        if self.stream._loop is not None:  # run() has started its loop
            self.stream.stop()
        # Ending the connection wakes the client's 5 s receive wait at once.
        self.sim.control("POST", "/sim/stream/drop")
        self.thread.join(timeout=10)


def assert_market_buy_streams(recorder: StreamRecorder, client: TradingClient, label: str) -> None:
    order = market_buy(client, label)
    new = recorder.wait_for_event(order.client_order_id, "new")
    assert new.order.id == order.id
    assert new.timestamp is not None
    fill = recorder.wait_for_event(order.client_order_id, "fill")
    assert fill.order.id == order.id
    assert fill.order.status == OrderStatus.FILLED
    assert fill.execution_id is not None
    assert fill.price is not None and fill.price > 0
    assert fill.qty is not None and fill.qty > 0
    assert fill.position_qty is not None and fill.position_qty >= fill.qty
    assert Decimal(str(fill.order.filled_qty)) == 1
    events = recorder.events_for(order.client_order_id)
    assert events.index("new") < events.index("fill"), events


def test_trade_updates_stream_and_reconnect(client: TradingClient, sim: Sim) -> None:
    recorder = StreamRecorder(sim)
    recorder.thread.start()
    try:
        recorder.wait_until_listening(client, STREAM_EVENT_WAIT_S)
        assert_market_buy_streams(recorder, client, "stream-1")

        dropped = sim.control("POST", "/sim/stream/drop").json()
        assert dropped.get("dropped", 0) >= 1, dropped
        # alpaca-py reconnects on its own (0.5-1 s after a connection that carried data).
        recorder.wait_until_listening(client, RECONNECT_WAIT_S)
        assert_market_buy_streams(recorder, client, "stream-2")
    finally:
        recorder.stop()
    assert not recorder.thread.is_alive(), "TradingStream.run() did not return after stop()"


def test_faults_rate_limit_server_error_and_never_fill(client: TradingClient, sim: Sim) -> None:
    try:
        # 429 once: alpaca-py waits 3 s and retries by itself.
        sim.set_faults("error_429", count=1)
        started = time.monotonic()
        account = client.get_account()
        assert isinstance(account, TradeAccount)
        assert time.monotonic() - started >= ALPACA_PY_RETRY_WAIT_S - 0.5, "the first answer was not a 429"

        # 500 once: not retried, so the caller sees it; the next call succeeds.
        sim.set_faults("error_500", count=1)
        error = api_error(client.get_account)
        assert error.status_code == 500, str(error)
        assert isinstance(client.get_account(), TradeAccount)

        # never_fill: a market buy in the regular session waits, unfilled.
        sim.set_faults("never_fill")
        order = market_buy(client, "never-fill")
        try:
            observe_until = time.monotonic() + NOT_FILLED_OBSERVE_S
            while time.monotonic() < observe_until:
                current = client.get_order_by_id(order.id)
                assert isinstance(current, Order)
                assert current.status in WAITING_STATUSES, current.status
                assert Decimal(str(current.filled_qty or 0)) == 0
                time.sleep(0.5)
        finally:
            sim.set_faults("none")
            client.cancel_order_by_id(order.id)
        canceled = client.get_order_by_id(order.id)
        assert isinstance(canceled, Order) and canceled.status == OrderStatus.CANCELED
    finally:
        sim.set_faults("none")
    assert isinstance(client.get_account(), TradeAccount)


def test_weekend_market_order_waits_for_monday(client: TradingClient, sim: Sim) -> None:
    # Last on purpose: the clock only moves forward from here.
    sim.set_clock(SATURDAY)
    clock = client.get_clock()
    assert isinstance(clock, Clock)
    assert clock.is_open is False
    assert clock.next_open > clock.timestamp

    order = market_buy(client, "weekend")
    assert order.status in WAITING_STATUSES, order.status
    time.sleep(1.0)
    waiting = client.get_order_by_id(order.id)
    assert isinstance(waiting, Order)
    assert waiting.status in WAITING_STATUSES, waiting.status
    assert Decimal(str(waiting.filled_qty or 0)) == 0

    sim.set_clock(MONDAY)
    clock = client.get_clock()
    assert isinstance(clock, Clock) and clock.is_open is True
    filled = wait_for_status(client, sim, order.id, OrderStatus.FILLED)
    assert Decimal(str(filled.filled_qty)) == 1
    # It executed on Monday, not at the Saturday instant it was placed.
    assert filled.filled_at is not None and filled.filled_at >= MONDAY_OPEN, filled.filled_at
