"""Orders through the real dinari-api-sdk 0.15.0 in strict mode: every kind of order
request, requests, orders and fulfillments read back, cancels (one and batch), the
organization-wide order list, the portfolio, and 404 to another organization.

Sessions matter, so each test moves the sandbox clock (operator key, ``PUT
/api/v2/sandbox/clock``) to Monday 2026-11-30 10:00 ET (regular session) or Saturday
2026-11-28, and puts the wall clock back afterwards. The business clock keeps ticking from
the instant set, and the gateway's order engine advances open orders every second. Cash
comes from the sandbox faucet (``mint_sandbox_tokens``, 1,000 USD+ a grant).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal

import httpx
import pytest
from dinari_api_sdk import Dinari, NotFoundError, UnprocessableEntityError
from dinari_api_sdk.types.v2.accounts import Fulfillment, Order, OrderRequest

from eth_sign import new_account
from support import PartnerOrganization, baseline_kyc, sdk_error

SANDBOX_CLOCK = "/api/v2/sandbox/clock"
MONDAY_REGULAR = "2026-11-30T15:00:00Z"  # 10:00 ET
SATURDAY = "2026-11-28T15:00:00Z"
NEXT_OPEN = "2026-11-30T14:30:00Z"
CHAIN = "eip155:1"
ENGINE_WAIT_S_MAX = 10.0

Clock = Callable[[str], AbstractContextManager[None]]


def _set_clock(http: httpx.Client, headers: dict[str, str], instant: str) -> None:
    response = http.put(SANDBOX_CLOCK, json={"now": instant}, headers=headers)
    assert response.status_code == 200, (response.status_code, response.text)


@contextmanager
def _business_time(http: httpx.Client, headers: dict[str, str], instant: str) -> Iterator[None]:
    """Runs the block at ``instant``, then restores the wall clock for later tests."""
    _set_clock(http, headers, instant)
    try:
        yield
    finally:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        _set_clock(http, headers, now)


@pytest.fixture
def clock(http: httpx.Client, operator_headers: dict[str, str]) -> Clock:
    """``with clock(instant):`` runs a block at a business instant."""
    return lambda instant: _business_time(http, operator_headers, instant)


@pytest.fixture(scope="module")
def aapl_id(partner: Dinari) -> str:
    page = partner.v2.market_data.stocks.list(symbols=["AAPL"])
    assert [stock.symbol for stock in page.data] == ["AAPL"]
    return page.data[0].id


def trading_account(client: Dinari, grants: int = 1) -> str:
    """A BASELINE-KYC-passed customer's account with an internal wallet and USD+."""
    entity = client.v2.entities.create(name="Ada Lovelace", reference_id=f"orders-{uuid.uuid4().hex[:8]}")
    kyc = client.v2.entities.kyc.submit(
        entity.id,
        provider_name="Acme KYC",
        jurisdiction="BASELINE",
        data=baseline_kyc(),
    )
    assert kyc.status == "PASS"
    account = client.v2.entities.accounts.create(entity.id, jurisdiction="BASELINE")
    _, address = new_account()
    client.v2.accounts.wallet.connect_internal(account.id, chain_id=CHAIN, wallet_address=address)
    for _ in range(grants):
        assert client.v2.accounts.mint_sandbox_tokens(account.id) is None
    return account.id


def wait_for_status(client: Dinari, account_id: str, order_id: str, leaving: str) -> Order:
    """The order once the engine has moved it out of ``leaving`` (it ticks every second)."""
    deadline = time.monotonic() + ENGINE_WAIT_S_MAX
    while True:
        order = client.v2.accounts.orders.retrieve(order_id, account_id=account_id)
        if order.status != leaving or time.monotonic() > deadline:
            return order
        time.sleep(0.2)


def test_everyKindOfOrder_inTheRegularSession_readsBackInEveryShape(partner: Dinari, clock: Clock, aapl_id: str) -> None:
    requests = partner.v2.accounts.order_requests
    with clock(MONDAY_REGULAR):
        account_id = trading_account(partner)
        buy = requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=100, client_order_id=f"buy-{uuid.uuid4().hex[:8]}")
        assert isinstance(buy, OrderRequest) and buy.status == "SUBMITTED" and buy.order_id
        bought = partner.v2.accounts.orders.retrieve(buy.order_id, account_id=account_id)
        assert isinstance(bought, Order) and bought.status == "FILLED"  # filled before the create answered
        assert bought.chain_id == CHAIN and bought.order_request_id == buy.id and bought.stock_id == aapl_id
        assert bought.payment_token_quantity == 100 and bought.fee == 0.25 and bought.asset_token_quantity
        assert bought.order_transaction_hash.startswith("0x") and len(bought.order_transaction_hash) == 66

        sell = requests.create_market_sell(account_id, stock_id=aapl_id, asset_quantity=0.1)
        resting_buy = requests.create_limit_buy(account_id, stock_id=aapl_id, asset_quantity=1, limit_price=1.0, extra_body={"order_tif": "GTC"})
        resting_sell = requests.create_limit_sell(account_id, stock_id=aapl_id, asset_quantity=0.05, limit_price=100000)
        assert partner.v2.accounts.orders.retrieve(sell.order_id, account_id=account_id).status == "FILLED"
        for resting in (resting_buy, resting_sell):
            assert partner.v2.accounts.orders.retrieve(resting.order_id, account_id=account_id).status == "SUBMITTED"
        assert requests.retrieve(resting_buy.id, account_id=account_id).order_tif == "GTC"

        listed = requests.list(account_id, limit=100)
        assert {item.id for item in listed.data} == {buy.id, sell.id, resting_buy.id, resting_sell.id}
        assert [item.id for item in requests.list(account_id, client_order_id=buy.client_order_id).data] == [buy.id]
        orders = partner.v2.accounts.orders.list(account_id, limit=2)
        assert len(orders.data) == 2 and orders.pagination_metadata.next
        page_two = partner.v2.accounts.orders.list(account_id, limit=2, next=orders.pagination_metadata.next)
        assert {o.id for o in orders.data + page_two.data} == {r.order_id for r in (buy, sell, resting_buy, resting_sell)}
        by_hash = partner.v2.accounts.orders.list(account_id, order_transaction_hash=bought.order_transaction_hash)
        assert [o.id for o in by_hash.data] == [bought.id]

        fills = partner.v2.accounts.orders.get_fulfillments(buy.order_id, account_id=account_id)
        assert len(fills.data) == 1
        fill = partner.v2.accounts.order_fulfillments.retrieve(fills.data[0].id, account_id=account_id)
        assert isinstance(fill, Fulfillment) and fill.order_id == buy.order_id and fill.payment_token_spent == 100
        assert Decimal(str(fill.asset_token_filled)) == Decimal(str(bought.asset_token_quantity)) and fill.asset_token_spent == 0
        queried = partner.v2.accounts.order_fulfillments.query(account_id, order_ids=[buy.order_id, sell.order_id])
        assert {f.order_id for f in queried.data} == {buy.order_id, sell.order_id}
        sold_fill = next(f for f in queried.data if f.order_id == sell.order_id)
        assert sold_fill.asset_token_spent == 0.1 and sold_fill.payment_token_filled > 0

        batch = partner.v2.accounts.orders.batch_cancel(account_id, order_ids=[resting_buy.order_id, buy.order_id])
        assert [o.id for o in batch.cancel_queued_orders] == [resting_buy.order_id]
        assert [o.id for o in batch.failed_to_cancel_orders] == [buy.order_id]
        # A cancel is asked of the broker (PENDING_CANCEL); the engine ends the order with its answer.
        assert batch.cancel_queued_orders[0].status == "PENDING_CANCEL"
        asked = partner.v2.accounts.orders.cancel(resting_sell.order_id, account_id=account_id)
        assert asked.status == "PENDING_CANCEL"
        cancelled = wait_for_status(partner, account_id, resting_sell.order_id, leaving="PENDING_CANCEL")
        assert cancelled.status == "CANCELLED" and cancelled.cancel_transaction_hash
        assert wait_for_status(partner, account_id, resting_buy.order_id, leaving="PENDING_CANCEL").status == "CANCELLED"
        assert requests.retrieve(resting_sell.id, account_id=account_id).status == "CANCELLED"

        everywhere = partner.v2.list_orders(order_request_id=buy.id)
        assert [(o.id, o.account_id) for o in everywhere.data] == [(buy.order_id, account_id)]
        by_fill = partner.v2.list_orders(order_fulfillment_transaction_hash=fill.transaction_hash)
        assert [o.id for o in by_fill.data] == [buy.order_id]

        portfolio = partner.v2.accounts.get_portfolio(account_id)
        assert [(a.symbol, a.stock_id, a.chain_id) for a in portfolio.assets] == [("AAPL", aapl_id, CHAIN)]
        held = Decimal(str(bought.asset_token_quantity)) - Decimal("0.1")
        assert Decimal(str(portfolio.assets[0].amount)) == held

        # Brokerage activity: both executions, newest first, paged by the last id.
        activity = partner.v2.accounts.activities.with_raw_response.retrieve_brokerage(account_id, page_size=1)
        first_page = activity.http_response.json()
        assert [item["order_id"] for item in first_page] == [sell.order_id]
        assert first_page[0]["type"] == "FILL" and first_page[0]["side"] == "SELL"
        rest = partner.v2.accounts.activities.with_raw_response.retrieve_brokerage(
            account_id, page_size=100, page_token=first_page[0]["id"]
        ).http_response.json()
        assert [item["order_id"] for item in rest] == [buy.order_id]
        dividends = partner.v2.accounts.get_dividend_payments(account_id, start_date="2026-01-01", end_date="2026-12-01")
        assert dividends.data == [] and dividends.pagination_metadata.next is None


def test_precision_andClosedOrders_areRefusedWithCodes(partner: Dinari, clock: Clock, aapl_id: str) -> None:
    requests = partner.v2.accounts.order_requests
    with clock(MONDAY_REGULAR):
        account_id = trading_account(partner)
        with pytest.raises(UnprocessableEntityError) as raised:
            requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=10.001)
        assert sdk_error(raised.value)["code"] == "amount_too_precise"
        with pytest.raises(UnprocessableEntityError) as raised:
            requests.create_limit_buy(account_id, stock_id=aapl_id, asset_quantity=1.00001, limit_price=10)
        error = sdk_error(raised.value)
        assert error["code"] == "amount_too_precise" and "asset_quantity" in error["message"]
        filled = requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=20)
        with pytest.raises(UnprocessableEntityError) as raised:
            partner.v2.accounts.orders.cancel(filled.order_id, account_id=account_id)
        assert sdk_error(raised.value)["code"] == "order_not_open"


def test_onSaturday_marketIsRefused_namingTheNextOpen_andALimitWaitsForMonday(partner: Dinari, clock: Clock, aapl_id: str) -> None:
    requests = partner.v2.accounts.order_requests
    with clock(SATURDAY):
        account_id = trading_account(partner)
        with pytest.raises(UnprocessableEntityError) as raised:
            requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=50)
        error = sdk_error(raised.value)
        assert error["code"] == "market_closed" and NEXT_OPEN in error["message"]
        waiting = requests.create_limit_buy(account_id, stock_id=aapl_id, asset_quantity=0.5, limit_price=1000)
        time.sleep(1.5)  # an engine tick or more: nothing routes on a Saturday
        assert partner.v2.accounts.orders.retrieve(waiting.order_id, account_id=account_id).status == "PENDING_SUBMIT"
        # Straight to Monday: the wall clock in between is past this DAY order's end.
        with clock(MONDAY_REGULAR):
            routed = wait_for_status(partner, account_id, waiting.order_id, leaving="PENDING_SUBMIT")
            assert routed.status == "FILLED"
            assert routed.asset_token_quantity == 0.5 and routed.payment_token_quantity < 500  # filled below the limit


def test_idempotencyKey_replaysTheCreate(partner: Dinari, clock: Clock, aapl_id: str) -> None:
    with clock(MONDAY_REGULAR):
        account_id = trading_account(partner)
        key = {"Idempotency-Key": f"orders-{uuid.uuid4()}"}
        first = partner.v2.accounts.order_requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=30, extra_headers=key)
        again = partner.v2.accounts.order_requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=30, extra_headers=key)
        assert again.id == first.id
        assert len(partner.v2.accounts.orders.list(account_id).data) == 1


def test_anotherOrganization_gets404_onEveryOrderRoute(
    partner: Dinari, create_partner_organization: Callable[[], PartnerOrganization], clock: Clock, aapl_id: str
) -> None:
    with clock(MONDAY_REGULAR):
        account_id = trading_account(partner)
        request = partner.v2.accounts.order_requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=25)
        order_id = request.order_id
        assert order_id
        fill_id = partner.v2.accounts.orders.get_fulfillments(order_id, account_id=account_id).data[0].id
        other = create_partner_organization().client
        requests = other.v2.accounts.order_requests
        orders = other.v2.accounts.orders
        calls: list[Callable[[], object]] = [
            lambda: requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=25),
            lambda: requests.create_market_sell(account_id, stock_id=aapl_id, asset_quantity=0.01),
            lambda: requests.create_limit_buy(account_id, stock_id=aapl_id, asset_quantity=1, limit_price=10),
            lambda: requests.create_limit_sell(account_id, stock_id=aapl_id, asset_quantity=1, limit_price=10),
            lambda: requests.list(account_id),
            lambda: requests.retrieve(request.id, account_id=account_id),
            lambda: orders.list(account_id),
            lambda: orders.retrieve(order_id, account_id=account_id),
            lambda: orders.cancel(order_id, account_id=account_id),
            lambda: orders.batch_cancel(account_id, order_ids=[order_id]),
            lambda: orders.get_fulfillments(order_id, account_id=account_id),
            lambda: other.v2.accounts.order_fulfillments.query(account_id),
            lambda: other.v2.accounts.order_fulfillments.retrieve(fill_id, account_id=account_id),
            lambda: other.v2.accounts.get_portfolio(account_id),
        ]
        for call in calls:
            with pytest.raises(NotFoundError) as raised:
                call()
            sdk_error(raised.value)
        assert other.v2.list_orders(order_request_id=request.id).data == []
