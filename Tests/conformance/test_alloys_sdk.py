"""Alloys through dinari-api-sdk 0.15.0 in strict validation mode: the list (paging and the
symbols filter), the current price and the chart parse, an unknown alloy is 404, and an
alloy market buy splits into one order per constituent that all fill, leaving the customer
holding every constituent's tokens and the reserves fully backed.

Each test that trades moves the sandbox clock to Monday 2026-11-30 10:00 ET (regular
session) and puts the wall clock back afterwards, as test_orders_sdk.py does.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import httpx
import pytest
from dinari_api_sdk import BadRequestError, Dinari, NotFoundError, UnprocessableEntityError
from dinari_api_sdk.types.v2.accounts import OrderRequest

from eth_sign import new_account
from support import baseline_kyc, sdk_error

SANDBOX_CLOCK = "/api/v2/sandbox/clock"
MONDAY_REGULAR = "2026-11-30T15:00:00Z"  # 10:00 ET
CHAIN = "eip155:1"
BUILT_INS = ["ALLOY.FIN", "ALLOY.SEMI", "ALLOY.TECH"]


@contextmanager
def _business_time(http: httpx.Client, headers: dict[str, str], instant: str) -> Iterator[None]:
    response = http.put(SANDBOX_CLOCK, json={"now": instant}, headers=headers)
    assert response.status_code == 200, (response.status_code, response.text)
    try:
        yield
    finally:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        assert http.put(SANDBOX_CLOCK, json={"now": now}, headers=headers).status_code == 200


@pytest.fixture
def clock(http: httpx.Client, operator_headers: dict[str, str]):  # noqa: ANN201 (a factory)
    return lambda instant: _business_time(http, operator_headers, instant)


@pytest.fixture(scope="module")
def tech(partner: Dinari):  # noqa: ANN201 (the SDK's generated model type)
    page = partner.v2.market_data.alloys.list(symbols=["ALLOY.TECH"])
    assert [alloy.symbol for alloy in page.data] == ["ALLOY.TECH"]
    return page.data[0]


def _trading_account(client: Dinari, grants: int = 1) -> str:
    entity = client.v2.entities.create(name="Ada Lovelace", reference_id=f"alloys-{uuid.uuid4().hex[:8]}")
    kyc = client.v2.entities.kyc.submit(entity.id, provider_name="Acme KYC", jurisdiction="BASELINE", data=baseline_kyc())
    assert kyc.status == "PASS"
    account = client.v2.entities.accounts.create(entity.id, jurisdiction="BASELINE")
    _, address = new_account()
    client.v2.accounts.wallet.connect_internal(account.id, chain_id=CHAIN, wallet_address=address)
    for _ in range(grants):
        assert client.v2.accounts.mint_sandbox_tokens(account.id) is None
    return account.id


def test_list_pagesAndFilters(partner: Dinari) -> None:
    alloys = partner.v2.market_data.alloys
    everything = alloys.list()
    assert [alloy.symbol for alloy in everything.data] == BUILT_INS
    assert all(alloy.is_tradable and alloy.id and alloy.name for alloy in everything.data)
    first = alloys.list(limit=2)
    assert [alloy.symbol for alloy in first.data] == BUILT_INS[:2] and first.pagination_metadata.next
    rest = alloys.list(limit=2, next=first.pagination_metadata.next)
    assert [alloy.symbol for alloy in rest.data] == BUILT_INS[2:] and rest.pagination_metadata.next is None
    backwards = alloys.list(order="desc")
    assert [alloy.symbol for alloy in backwards.data] == BUILT_INS[::-1]
    assert alloys.list(symbols=["AAPL"]).data == []
    with pytest.raises(BadRequestError):
        alloys.list(symbols=["$$"])


def test_prices_parse_andTheCurrentPriceIsTheExactBasketValue(partner: Dinari, http: httpx.Client, clock, tech) -> None:  # noqa: ANN001
    alloys = partner.v2.market_data.alloys
    with clock(MONDAY_REGULAR):
        price = alloys.retrieve_current_price(tech.id)
        assert price.id == tech.id and price.price > 0
        # Exactness, read from the raw JSON so no float rounding hides a difference.
        raw = http.get(f"/api/v2/market_data/alloys/{tech.id}/current_price").json(parse_float=Decimal)
        listed = http.get("/api/v2/market_data/alloys/", params={"symbols": "ALLOY.TECH"}).json(parse_float=Decimal)
        expected = Decimal(0)
        for part in listed["data"][0]["constituents"]:
            stock = http.get(f"/api/v2/market_data/stocks/{part['stock_id']}/current_price").json(parse_float=Decimal)
            expected += Decimal(str(part["quantity"])) * stock["price"]
        assert raw["price"] == expected
        day = alloys.retrieve_historical_prices(tech.id, timespan="DAY")
        week = alloys.retrieve_historical_prices(tech.id, timespan="WEEK")
        assert day and week and all(bar.low <= bar.open <= bar.high for bar in day)
        assert day[-1].close == price.price == week[-1].close
    with pytest.raises(NotFoundError):
        alloys.retrieve_current_price(str(uuid.uuid4()))
    with pytest.raises(NotFoundError):
        alloys.retrieve_historical_prices(str(uuid.uuid4()), timespan="DAY")


def test_alloyMarketBuy_fillsEveryLeg_andReservesStayBacked(partner: Dinari, http: httpx.Client, clock, tech) -> None:  # noqa: ANN001
    requests = partner.v2.accounts.order_requests
    with clock(MONDAY_REGULAR):
        account_id = _trading_account(partner)
        placed = requests.create_market_buy(account_id, alloy_id=tech.id, payment_amount=600.05)
        assert isinstance(placed, OrderRequest) and placed.status == "SUBMITTED" and placed.order_id
        legs = placed.model_extra["alloy_legs"]
        assert len(legs) == 6 and legs[0]["id"] == placed.id
        paid = Decimal(0)
        symbols = set()
        for leg in legs:
            assert leg["alloy_id"] == tech.id and leg["alloy_basket_id"] == placed.id
            order = partner.v2.accounts.orders.retrieve(leg["order_id"], account_id=account_id)
            assert order.status == "FILLED" and order.alloy_id == tech.id
            paid += Decimal(str(order.payment_token_quantity))
            request = requests.retrieve(leg["id"], account_id=account_id)
            assert request.order_id == leg["order_id"]
        assert paid == Decimal("600.05")  # the legs spend exactly the payment
        portfolio = partner.v2.accounts.get_portfolio(account_id)
        symbols = {asset.symbol for asset in portfolio.assets}
        assert symbols == {"AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA"}
        signed = http.get("/api/v2/reserves")
        assert signed.status_code == 200, signed.text
        report = json.loads(signed.json()["canonical"])
        assert report["fully_backed"] is True, report
        lines = {line["symbol"]: line for line in report["stocks"]}
        for symbol in symbols:
            assert lines[symbol]["tokens_outstanding"] == lines[symbol]["custody_shares"], lines[symbol]
        with pytest.raises(UnprocessableEntityError) as raised:
            requests.create_limit_buy(account_id, alloy_id=tech.id, asset_quantity=1, limit_price=10)
        assert sdk_error(raised.value)["code"] == "alloy_order_type_not_supported"
