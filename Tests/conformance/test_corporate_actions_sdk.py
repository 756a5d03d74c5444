"""The corporate-action calendar through dinari-api-sdk 0.15.0 in strict validation mode:
``stocks.splits.list`` / ``list_for_stock`` and ``stocks.retrieve_dividends`` parse and hold
the real historical splits, the dividend model's dividends and what an operator creates
(``POST /api/v2/operator/corporate_actions``, our extension, called with httpx), and drop
what an operator cancels.

The business clock is moved to Saturday 2026-11-28 10:00 ET for the dates to be known, and
put back to the wall clock afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from dinari_api_sdk import Dinari

SANDBOX_CLOCK = "/api/v2/sandbox/clock"
ACTIONS = "/api/v2/operator/corporate_actions"
SATURDAY = "2026-11-28T15:00:00Z"


@pytest.fixture
def saturday(http: httpx.Client, operator_headers: dict[str, str]) -> Iterator[None]:
    response = http.put(SANDBOX_CLOCK, json={"now": SATURDAY}, headers=operator_headers)
    assert response.status_code == 200, response.text
    try:
        yield
    finally:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        http.put(SANDBOX_CLOCK, json={"now": now}, headers=operator_headers)


@pytest.fixture(scope="module")
def aapl(partner: Dinari):  # noqa: ANN201 (the SDK's generated model type)
    page = partner.v2.market_data.stocks.list(symbols=["AAPL"])
    return page.data[0]


def _all_splits(partner: Dinari, stock_id: str | None = None) -> list:  # noqa: ANN401
    splits = partner.v2.market_data.stocks.splits
    page = splits.list(limit=5) if stock_id is None else splits.list_for_stock(stock_id, limit=5)
    found = list(page.data)
    while page.pagination_metadata.next:
        cursor = page.pagination_metadata.next
        page = splits.list(limit=5, next=cursor) if stock_id is None else splits.list_for_stock(stock_id, limit=5, next=cursor)
        found += page.data
    return found


def test_splits_holdAaplsFourForOneOf2020_onEveryPage(partner: Dinari, aapl, saturday) -> None:  # noqa: ANN001
    for splits in (_all_splits(partner), _all_splits(partner, aapl.id)):
        match = [s for s in splits if s.stock_id == aapl.id and s.ex_date == dt.date(2020, 8, 31)]
        assert len(match) == 1
        assert (match[0].split_from, match[0].split_to, match[0].status) == (1, 4, "COMPLETE")
        assert match[0].record_date <= match[0].payable_date < match[0].ex_date
        assert len({s.id for s in splits}) == len(splits), "pages neither repeat nor skip"


def test_dividends_holdTheModelsDeclaredDividend(partner: Dinari, aapl, saturday) -> None:  # noqa: ANN001
    dividends = partner.v2.market_data.stocks.retrieve_dividends(aapl.id)
    november = [d for d in dividends if d.ex_dividend_date == dt.date(2026, 11, 10)]
    assert len(november) == 1
    assert (november[0].ticker, november[0].cash_amount, november[0].currency, november[0].dividend_type) == ("AAPL", 0.26, "USD", "CD")


def test_operatorActions_appear_andCancelledOnesLeave(
    partner: Dinari, aapl, saturday, http: httpx.Client, operator_headers: dict[str, str], partner_headers: dict[str, str]  # noqa: ANN001
) -> None:
    dividend = {
        "stock_id": aapl.id, "type": "CASH_DIVIDEND", "cash_amount": 1.25, "dividend_type": "SC",
        "ex_date": "2026-12-17", "record_date": "2026-12-17", "pay_date": "2026-12-30",
    }
    split = {"stock_id": aapl.id, "type": "SPLIT", "split_from": 1, "split_to": 5, "effective_date": "2026-12-21"}
    assert http.post(ACTIONS, json=split, headers=partner_headers).status_code == 403
    created = [http.post(ACTIONS, json=body, headers=operator_headers) for body in (dividend, split)]
    assert [r.status_code for r in created] == [201, 201], [r.text for r in created]
    dividend_id, split_id = (r.json()["id"] for r in created)
    try:
        paid = [d for d in partner.v2.market_data.stocks.retrieve_dividends(aapl.id) if d.ex_dividend_date == dt.date(2026, 12, 17)]
        assert [(d.cash_amount, d.dividend_type, d.pay_date) for d in paid] == [(1.25, "SC", dt.date(2026, 12, 30))]
        splits = {s.id: s for s in _all_splits(partner, aapl.id)}
        assert (splits[split_id].split_from, splits[split_id].split_to, splits[split_id].status) == (1, 5, "PENDING")
        assert split_id in {s.id for s in _all_splits(partner)}
    finally:
        for action_id in (dividend_id, split_id):
            cancelled = http.post(f"{ACTIONS}/{action_id}/cancel", headers=operator_headers)
            assert cancelled.status_code == 200, cancelled.text
    assert all(d.ex_dividend_date != dt.date(2026, 12, 17) for d in partner.v2.market_data.stocks.retrieve_dividends(aapl.id))
    assert split_id not in {s.id for s in _all_splits(partner, aapl.id)}
    listed = http.get(ACTIONS, params={"stock_id": aapl.id, "limit": 100}, headers=operator_headers).json()["data"]
    assert {a["id"]: a["status"] for a in listed if a["id"] in (dividend_id, split_id)} == {dividend_id: "CANCELLED", split_id: "CANCELLED"}


def test_badOperatorInput_is4xxNamingTheField(aapl, saturday, http: httpx.Client, operator_headers: dict[str, str]) -> None:  # noqa: ANN001
    bad = {"stock_id": aapl.id, "type": "SPLIT", "split_from": 3, "split_to": 3, "effective_date": "2026-12-21"}
    response = http.post(ACTIONS, json=bad, headers=operator_headers)
    assert response.status_code == 422
    assert "split_from" in response.json()["error"]["message"]
