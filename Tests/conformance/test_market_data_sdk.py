"""Market data through dinari-api-sdk 0.15.0 in strict validation mode: market hours, the
stock list, prices, quotes, charts, corporate actions and news.

Answers depend on the business clock, so tests that check exact instants move the sandbox
clock (operator key, ``PUT /api/v2/sandbox/clock``) and put it back to the wall clock
afterwards, leaving the session's server as they found it. New York is on EST (UTC-5)
around Thanksgiving 2026; Friday 2026-11-27 closes early (13:00 ET).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from dinari_api_sdk import BadRequestError, Dinari, NotFoundError
from eth_utils import to_checksum_address

from support import sdk_error

SANDBOX_CLOCK = "/api/v2/sandbox/clock"
UTC = dt.timezone.utc
SATURDAY = "2026-11-28T15:00:00Z"  # 10:00 ET, the day after the early close
SUNDAY_EVENING = "2026-11-29T23:00:00Z"  # 18:00 ET, still closed
MONDAY_REGULAR = "2026-11-30T16:00:00Z"  # 11:00 ET


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _set_clock(http: httpx.Client, headers: dict[str, str], instant: str) -> None:
    response = http.put(SANDBOX_CLOCK, json={"now": instant}, headers=headers)
    assert response.status_code == 200, (response.status_code, response.text)


@contextmanager
def _business_time(http: httpx.Client, headers: dict[str, str], instant: str) -> Iterator[None]:
    """Runs the block at ``instant`` (the clock keeps ticking from there), then restores
    the wall clock so later tests see the server as it started."""
    _set_clock(http, headers, instant)
    try:
        yield
    finally:
        now = dt.datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        _set_clock(http, headers, now)


@pytest.fixture
def clock(http: httpx.Client, operator_headers: dict[str, str]):  # noqa: ANN201 (a factory)
    """``with clock(instant):`` runs a block at a business instant."""
    return lambda instant: _business_time(http, operator_headers, instant)


@pytest.fixture(scope="module")
def aapl(partner: Dinari):  # noqa: ANN201 (the SDK's generated model type)
    page = partner.v2.market_data.stocks.list(symbols=["AAPL"])
    assert [stock.symbol for stock in page.data] == ["AAPL"]
    return page.data[0]


# --- market hours ----------------------------------------------------------------------


def test_marketHours_onSaturday_isClosed_withNextOpenMonday(partner: Dinari, clock) -> None:  # noqa: ANN001
    with clock(SATURDAY):
        hours = partner.v2.market_data.retrieve_market_hours()
    assert hours.is_market_open is False
    assert hours.current_session_open_dt is None and hours.current_session_close_dt is None
    assert hours.next_session_open_dt == _at("2026-11-30T14:30:00Z")
    assert hours.next_session_close_dt == _at("2026-11-30T21:00:00Z")
    assert hours.next_session_pre_market_open_time_dt == _at("2026-11-30T09:00:00Z")
    assert hours.next_session_after_hours_close_time_dt == _at("2026-12-01T01:00:00Z")
    assert hours.next_session_overnight_open_time_dt == _at("2026-11-30T01:00:00Z")


def test_marketHours_onTheEarlyCloseFriday_isOpenInTheMorning_andAfterHoursAt14ET(partner: Dinari, clock) -> None:  # noqa: ANN001
    with clock("2026-11-27T15:00:00Z"):
        morning = partner.v2.market_data.retrieve_market_hours()
    with clock("2026-11-27T19:00:00Z"):
        afternoon = partner.v2.market_data.retrieve_market_hours()
    assert morning.is_market_open is True
    assert morning.current_session_close_dt == _at("2026-11-27T18:00:00Z")
    assert afternoon.is_market_open is False
    assert afternoon.current_session_after_hours_close_time_dt == _at("2026-11-27T22:00:00Z")
    assert afternoon.next_session_open_dt == _at("2026-11-30T14:30:00Z")


def test_marketHours_answersWithoutKeys(http: httpx.Client) -> None:
    response = http.get("/api/v2/market_data/market_hours/")
    assert response.status_code == 200
    assert isinstance(response.json()["is_market_open"], bool)


# --- stocks ----------------------------------------------------------------------------


def test_stockList_pagesThroughEveryStock_withUniqueIds(partner: Dinari) -> None:
    seen: list[str] = []
    ids: set[str] = set()
    cursor: str | None = None
    for _ in range(20):  # bounded: a cursor that never ends must fail, not hang
        page = partner.v2.market_data.stocks.list(limit=20, **({"next": cursor} if cursor else {}))
        seen += [stock.symbol for stock in page.data]
        ids |= {stock.id for stock in page.data}
        cursor = page.pagination_metadata.next
        if cursor is None:
            break
    assert cursor is None, "pagination did not end"
    assert len(seen) >= 40 and seen == sorted(seen) and len(ids) == len(seen)
    assert {"SPY", "QQQ", "IWM", "DIA", "VTI"} <= set(seen)


def test_stockList_filtersBySymbols_andCarriesIdentifiers(partner: Dinari) -> None:
    page = partner.v2.market_data.stocks.list(symbols=["MSFT", "AAPL", "BRK.B"])
    by_symbol = {stock.symbol: stock for stock in page.data}
    assert sorted(by_symbol) == ["AAPL", "BRK.B", "MSFT"]
    apple = by_symbol["AAPL"]
    assert (apple.cik, apple.composite_figi, apple.cusip) == ("0000320193", "BBG000B9XRY4", "037833100")
    assert apple.is_tradable and apple.is_fractionable
    assert [token.split(":0x")[0] for token in apple.tokens] == ["eip155:1", "eip155:42161", "eip155:8453"]
    # CAIP-10 with EIP-55 checksummed addresses, checked by an independent implementation.
    assert all(to_checksum_address(token.split(":")[2]) == token.split(":")[2] for token in apple.tokens)
    assert str(uuid.UUID(apple.id)) == apple.id


def test_stockList_badLimit_is400_namingIt(partner: Dinari) -> None:
    with pytest.raises(BadRequestError) as raised:
        partner.v2.market_data.stocks.list(limit=0)
    assert sdk_error(raised.value)["message"].startswith("limit")


# --- prices, quotes, charts ------------------------------------------------------------


def test_currentPrice_isDeterministic_andFlatOverTheWeekend(partner: Dinari, aapl, clock) -> None:  # noqa: ANN001
    stocks = partner.v2.market_data.stocks
    with clock(SATURDAY):
        first = stocks.retrieve_current_price(aapl.id)
        again = stocks.retrieve_current_price(aapl.id)
    with clock(SUNDAY_EVENING):
        sunday = stocks.retrieve_current_price(aapl.id)
    assert first.price == again.price == sunday.price > 0
    assert first.stock_id == aapl.id
    assert first.timestamp == _at("2026-11-27T22:00:00Z")  # the end of Friday's after-hours
    # Friday's regular session closed at 13:00 ET; the previous close is Wednesday's.
    assert first.close is not None and first.previous_close is not None
    assert first.low <= first.open <= first.high and first.low <= first.close <= first.high
    assert first.change == pytest.approx(first.price - first.previous_close, abs=0.005)
    assert first.market_cap is None and first.weighted_shares_outstanding is None


def test_currentQuote_bracketsThePrice_inTheRegularSession(partner: Dinari, aapl, clock) -> None:  # noqa: ANN001
    stocks = partner.v2.market_data.stocks
    with clock(MONDAY_REGULAR):
        quote = stocks.retrieve_current_quote(aapl.id)
        price = stocks.retrieve_current_price(aapl.id)
    assert quote.stock_id == aapl.id
    # The clock ticks on between the two calls, so compare against a range, not a point.
    assert 0 < quote.bid_price < quote.ask_price
    assert quote.ask_price - quote.bid_price < price.price * 0.001
    assert quote.bid_size >= 100 and quote.ask_size >= 100


def test_historicalPrices_everyTimespan_endsAtTheCurrentPrice(partner: Dinari, aapl, clock) -> None:  # noqa: ANN001
    stocks = partner.v2.market_data.stocks
    with clock(SATURDAY):
        price = stocks.retrieve_current_price(aapl.id).price
        charts = {span: stocks.retrieve_historical_prices(aapl.id, timespan=span) for span in ("DAY", "WEEK", "MONTH", "YEAR")}
    assert len(charts["DAY"]) == 252  # Friday 20:00 Thu - 17:00 Fri ET in 5-minute bars
    assert len(charts["WEEK"]) == 4 * 24 + 21
    assert 19 <= len(charts["MONTH"]) <= 23 and 245 <= len(charts["YEAR"]) <= 256
    assert charts["DAY"][0].timestamp == int(_at("2026-11-27T01:00:00Z").timestamp())
    # Intraday charts end at the current price; daily ones at Friday's 13:00 ET close.
    assert charts["DAY"][-1].close == charts["WEEK"][-1].close == price
    assert charts["MONTH"][-1].close == charts["YEAR"][-1].close
    for span, bars in charts.items():
        assert all(bar.low <= min(bar.open, bar.close) and max(bar.open, bar.close) <= bar.high for bar in bars), span
        assert [bar.timestamp for bar in bars] == sorted({bar.timestamp for bar in bars}), span


def test_historicalPrices_unknownTimespan_is400_namingIt(partner: Dinari, aapl) -> None:  # noqa: ANN001
    with pytest.raises(BadRequestError) as raised:
        partner.v2.market_data.stocks.retrieve_historical_prices(aapl.id, timespan="DECADE")  # type: ignore[arg-type]
    error = sdk_error(raised.value)
    assert error["code"] == "invalid_field" and error["message"].startswith("timespan")


def test_unknownStock_is404_onEveryStockMethod(partner: Dinari) -> None:
    stocks = partner.v2.market_data.stocks
    unknown = str(uuid.uuid4())
    calls = [
        lambda: stocks.retrieve_current_price(unknown),
        lambda: stocks.retrieve_current_quote(unknown),
        lambda: stocks.retrieve_historical_prices(unknown, timespan="DAY"),
        lambda: stocks.retrieve_dividends(unknown),
        lambda: stocks.retrieve_news(unknown),
        lambda: stocks.splits.list_for_stock(unknown),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as raised:
            call()
        assert sdk_error(raised.value)["code"] == "not_found"


# --- corporate actions and news ----------------------------------------------------------


def test_splitsComeFromTheCalendar_newsIsHonestlyEmpty(partner: Dinari, aapl) -> None:  # noqa: ANN001
    stocks = partner.v2.market_data.stocks
    assert stocks.retrieve_news(aapl.id, limit=5) == []
    for page in (stocks.splits.list(limit=100), stocks.splits.list_for_stock(aapl.id, limit=100)):
        assert any(split.stock_id == aapl.id and split.ex_date == dt.date(2020, 8, 31) for split in page.data)
    # Dividends: see test_corporate_actions_sdk.py (they depend on the business date).
    assert isinstance(stocks.retrieve_dividends(aapl.id), list)