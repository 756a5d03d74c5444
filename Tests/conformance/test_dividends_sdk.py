"""Cash dividends paid to token holders, through dinari-api-sdk 0.15.0 in strict mode.

Journey: on Monday 2026-12-07 10:00 ET (regular session) a German (BASELINE, DE), a US
person (US KYC) and a Brazilian (BASELINE, BR) each buy AAPL. The operator creates an AAPL
cash dividend (``POST /api/v2/operator/corporate_actions``, our extension, over httpx): ex
and record date Tuesday 2026-12-08, paid Friday 2026-12-11, 0.26 USD a share. December is
outside AAPL's model dividends (Feb/May/Aug/Nov), so this is the only AAPL dividend due.

* Ex date 02:00 ET: the dividend job snapshots the holders; the operator's entitlements
  (``GET …/corporate_actions/{id}/entitlements``) hold each one's AAPL balance, the
  withholding rate of their residence (DE 15 % treaty, US 0, BR 30 % no treaty) and amounts
  exact to the rule: gross = shares × amount rounded up to 6 decimals, tax = gross × rate
  rounded down, net = gross − tax.
* Ex date 10:00 ET: the German buys more, the US person sells some, and a Japanese
  customer buys for the first time; the snapshot does not move (trades on the ex date are
  on the far side of it), nothing is paid yet.
* Pay date 02:00 ET: every entitlement PAID; ``accounts.get_dividend_payments`` lists one
  payment of the net for each holder (the pay date inside ``start_date..<end_date``) and
  none for the ex-date buyer; each holder's USD+ rose by exactly the net (the operator
  ledger names every movement in between: one DIVIDEND credit, and USD+ interest, which
  the interest job pays on its own minute-long tick and is taken out); reserves stay
  fully backed.

The business clock is put back to the wall clock afterwards, and the dividend cancelled if
the test stopped before its ex date.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import httpx
import pytest
from dinari_api_sdk import Dinari

from eth_sign import new_account
from support import baseline_kyc
from test_kyc_sdk import PDF, us_data

SANDBOX_CLOCK = "/api/v2/sandbox/clock"
ACTIONS = "/api/v2/operator/corporate_actions"
CHAIN = "eip155:1"

TRADE_DAY = "2026-12-07"  # Monday
EX_DATE = "2026-12-08"  # Tuesday; record date too (T+1)
PAY_DATE = "2026-12-11"  # Friday
AFTER_PAY = "2026-12-12"
TRADE_DAY_SESSION = "2026-12-07T15:00:00Z"  # 10:00 ET (EST, UTC−5)
EX_DATE_NIGHT = "2026-12-08T07:00:00Z"  # 02:00 ET: the ex date has begun, no session yet
EX_DATE_SESSION = "2026-12-08T15:00:00Z"  # 10:00 ET
PAY_DATE_NIGHT = "2026-12-11T07:00:00Z"  # 02:00 ET
AMOUNT = Decimal("0.26")
MICRO = Decimal("0.000001")
JOB_WAIT_S_MAX = 10.0  # the dividend job ticks every second
STABLE_READ_ATTEMPTS = 5

Json = dict[str, Any]


def _set_clock(http: httpx.Client, headers: dict[str, str], instant: str) -> None:
    response = http.put(SANDBOX_CLOCK, json={"now": instant}, headers=headers)
    assert response.status_code == 200, (response.status_code, response.text)


def _wall_clock_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _customer_account(client: Dinari, name: str, *, kyc: Callable[[str], None], jurisdiction: str) -> str:
    """A new customer's account with an internal wallet and 1,000 USD+ from the faucet."""
    entity_id = client.v2.entities.create(name=name, reference_id=f"dividends-{uuid.uuid4().hex[:8]}").id
    kyc(entity_id)
    assert client.v2.entities.kyc.retrieve(entity_id).status == "PASS"
    account = client.v2.entities.accounts.create(entity_id, jurisdiction=jurisdiction)
    _, address = new_account()
    client.v2.accounts.wallet.connect_internal(account.id, chain_id=CHAIN, wallet_address=address)
    assert client.v2.accounts.mint_sandbox_tokens(account.id) is None
    return account.id


def _baseline_account(client: Dinari, name: str, **data: Any) -> str:
    def submit(entity_id: str) -> None:
        client.v2.entities.kyc.submit(entity_id, data=baseline_kyc(**data), provider_name="Acme KYC", jurisdiction="BASELINE")

    return _customer_account(client, name, kyc=submit, jurisdiction="BASELINE")


def _us_account(client: Dinari) -> str:
    def submit(entity_id: str) -> None:
        info = client.v2.entities.kyc.submit(entity_id, data=us_data(), provider_name="Acme KYC", jurisdiction="US")
        client.v2.entities.kyc.document.upload(
            info.id, entity_id=entity_id, document_type="GOVERNMENT_ID", file=("license.pdf", PDF, "application/pdf")
        )

    return _customer_account(client, "Jane Doe", kyc=submit, jurisdiction="US")


def _aapl_held(client: Dinari, account_id: str) -> Decimal:
    """The account's AAPL tokens, exact from the JSON text."""
    client.v2.accounts.get_portfolio(account_id)  # parses strictly
    raw = client.v2.accounts.with_raw_response.get_portfolio(account_id).http_response.json(parse_float=Decimal)
    held = [asset["amount"] for asset in raw["assets"] if asset["symbol"] == "AAPL"]
    return Decimal(held[0]) if held else Decimal(0)


def _buy(client: Dinari, account_id: str, stock_id: str, amount: int) -> None:
    request = client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=stock_id, payment_amount=amount)
    assert request.order_id and client.v2.accounts.orders.retrieve(request.order_id, account_id=account_id).status == "FILLED"


def _sell(client: Dinari, account_id: str, stock_id: str, quantity: float) -> None:
    request = client.v2.accounts.order_requests.create_market_sell(account_id, stock_id=stock_id, asset_quantity=quantity)
    assert request.order_id and client.v2.accounts.orders.retrieve(request.order_id, account_id=account_id).status == "FILLED"


def _entitlements(http: httpx.Client, headers: dict[str, str], action_id: str) -> dict[str, Json]:
    """Every entitlement of the dividend, by account id, amounts exact."""
    found: dict[str, Json] = {}
    params: dict[str, Any] = {"limit": 100}
    while True:
        response = http.get(f"{ACTIONS}/{action_id}/entitlements", params=params, headers=headers)
        assert response.status_code == 200, (response.status_code, response.text)
        page = response.json(parse_float=Decimal)
        found.update({entry["account_id"]: entry for entry in page["data"]})
        cursor = page["pagination_metadata"].get("next")
        if not cursor:
            return found
        params = {"limit": 100, "next": cursor}


def _wait_for_entitlements(
    http: httpx.Client, headers: dict[str, str], action_id: str, accounts: list[str], status: str
) -> dict[str, Json]:
    deadline = time.monotonic() + JOB_WAIT_S_MAX
    while True:
        found = _entitlements(http, headers, action_id)
        if all(found.get(account, {}).get("status") == status for account in accounts) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _usd_plus(client: Dinari, http: httpx.Client, headers: dict[str, str], account_id: str) -> tuple[Decimal, dict[str, Json]]:
    """The account's USD+ as the partner reads it (``get_cash_balances``), with the operator
    ledger's USD+ entries at that same moment. The interest job may pay between two reads,
    so the ledger is read before and after the cash and the read is retried until both agree."""
    path = f"/api/v2/operator/accounts/{account_id}/ledger"

    def ledger() -> tuple[Decimal, dict[str, Json]]:
        entries: dict[str, Json] = {}
        params: dict[str, Any] = {"asset": "USD+", "limit": 200}
        while True:
            response = http.get(path, params=params, headers=headers)
            assert response.status_code == 200, (response.status_code, response.text)
            page = response.json(parse_float=Decimal)
            entries.update({entry["id"]: entry for entry in page["data"]})
            balance = Decimal(next(b["balance"] for b in page["balances"] if b["asset"] == "USD+"))
            if page.get("next_after_sequence") is None:
                return balance, entries
            params = {**params, "after_sequence": page["next_after_sequence"]}

    for _ in range(STABLE_READ_ATTEMPTS):
        balance, entries = ledger()
        balances = client.v2.accounts.get_cash_balances(account_id)  # parses strictly
        assert [(b.symbol, b.chain_id) for b in balances] == [("USD+", CHAIN)]
        raw = client.v2.accounts.with_raw_response.get_cash_balances(account_id).http_response.json(parse_float=Decimal)
        cash = Decimal(raw[0]["amount"])
        again, entries_again = ledger()
        if entries_again.keys() == entries.keys():
            assert cash == balance == again, (cash, balance, again)
            return cash, entries
    pytest.fail(f"the ledger of {account_id} kept moving over {STABLE_READ_ATTEMPTS} reads")


def _expected(shares: Decimal, rate_bps: int) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, tax, net) by the rule: gross rounded up, tax rounded down, to 6 decimals."""
    gross = (shares * AMOUNT).quantize(MICRO, rounding=ROUND_CEILING)
    tax = (gross * rate_bps / Decimal(10_000)).quantize(MICRO, rounding=ROUND_FLOOR)
    return gross, tax, gross - tax


def _payments(client: Dinari, account_id: str, start: str, end: str, **filters: Any) -> list[tuple[Decimal, str, str, str]]:
    """(amount, stock_id, payment_date, currency) of each payment, amounts exact."""
    page = client.v2.accounts.get_dividend_payments(account_id, start_date=start, end_date=end, **filters)  # parses strictly
    assert page.pagination_metadata.next is None
    raw = client.v2.accounts.with_raw_response.get_dividend_payments(account_id, start_date=start, end_date=end, **filters)
    body = raw.http_response.json(parse_float=Decimal)
    listed = [(Decimal(p["amount"]), p["stock_id"], p["payment_date"], p["currency"]) for p in body["data"]]
    assert listed == [(Decimal(str(p.amount)), p.stock_id, p.payment_date.isoformat(), p.currency) for p in page.data]
    return listed


def _reserves_fully_backed(http: httpx.Client) -> None:
    response = http.get("/api/v2/reserves")
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["fully_backed"] is True, report
    assert report["usd_plus"]["difference"] == "0.000000", report["usd_plus"]


def test_cashDividend_snapshotsHoldersAtTheExDate_withholdsByResidence_andPaysTheNetOnThePayDate(
    partner: Dinari, http: httpx.Client, operator_headers: dict[str, str]
) -> None:
    page = partner.v2.market_data.stocks.list(symbols=["AAPL"])
    assert [stock.symbol for stock in page.data] == ["AAPL"]
    aapl = page.data[0].id
    action_id: str | None = None
    _set_clock(http, operator_headers, TRADE_DAY_SESSION)
    try:
        # --- Monday: three holders of different residence buy AAPL ----------------------
        german = _baseline_account(partner, "Anna Müller")
        american = _us_account(partner)
        brazilian = _baseline_account(
            partner, "João Silva", country_code="BR", address_country_code="BR", first_name="João", last_name="Silva",
            email="joao.silva@example.com.br", address_city="São Paulo", address_postal_code="01310-100",
        )  # fmt: skip
        holders = {german: 1500, american: 0, brazilian: 3000}
        residences = {german: "DE", american: "US", brazilian: "BR"}
        for account_id, amount in ((german, 300), (american, 457), (brazilian, 123)):
            _buy(partner, account_id, aapl, amount)
        held = {account_id: _aapl_held(partner, account_id) for account_id in holders}
        assert all(shares > 0 for shares in held.values()), held

        dividend = {
            "stock_id": aapl, "type": "CASH_DIVIDEND", "cash_amount": float(AMOUNT), "dividend_type": "CD",
            "declared_date": TRADE_DAY, "ex_date": EX_DATE, "record_date": EX_DATE, "pay_date": PAY_DATE,
        }  # fmt: skip
        created = http.post(ACTIONS, json=dividend, headers=operator_headers)
        assert created.status_code == 201, (created.status_code, created.text)
        action_id = created.json()["id"]
        assert created.json()["status"] == "SCHEDULED"
        assert _entitlements(http, operator_headers, action_id) == {}, "no snapshot before the ex date"

        # --- ex date 02:00: the snapshot ------------------------------------------------
        _set_clock(http, operator_headers, EX_DATE_NIGHT)
        snapshot = _wait_for_entitlements(http, operator_headers, action_id, list(holders), "ENTITLED")
        for account_id, rate in holders.items():
            entitlement = snapshot.get(account_id)
            assert entitlement is not None, f"no entitlement for {residences[account_id]} holder {account_id}: {snapshot}"
            gross, tax, net = _expected(held[account_id], rate)
            assert entitlement["stock_id"] == aapl and entitlement["payment_date"] == PAY_DATE
            assert Decimal(entitlement["shares"]) == held[account_id], (residences[account_id], entitlement)
            assert Decimal(entitlement["amount_per_share"]) == AMOUNT
            assert (entitlement["tax_residence"], entitlement["withholding_rate_bps"]) == (residences[account_id], rate)
            got = tuple(Decimal(entitlement[key]) for key in ("gross_amount", "withholding_tax", "net_amount"))
            assert got == (gross, tax, net), (residences[account_id], held[account_id], entitlement)
            assert entitlement["status"] == "ENTITLED" and entitlement["paid_dt"] is None

        # --- ex date 10:00: trades on the ex date do not move the snapshot ---------------
        _set_clock(http, operator_headers, EX_DATE_SESSION)
        _buy(partner, german, aapl, 200)
        _sell(partner, american, aapl, 0.5)
        late = _baseline_account(
            partner, "Yuki Tanaka", country_code="JP", address_country_code="JP", first_name="Yuki", last_name="Tanaka",
            email="yuki.tanaka@example.jp", address_city="Tokyo", address_postal_code="100-0001",
        )  # fmt: skip
        _buy(partner, late, aapl, 150)
        assert _aapl_held(partner, german) > held[german] and _aapl_held(partner, american) < held[american]
        after_trades = _entitlements(http, operator_headers, action_id)
        assert {account: after_trades[account] for account in holders} == {account: snapshot[account] for account in holders}
        assert late not in after_trades, after_trades[late]
        for account_id in [*holders, late]:
            assert _payments(partner, account_id, TRADE_DAY, AFTER_PAY) == [], "nothing is paid before the pay date"
        before = {account_id: _usd_plus(partner, http, operator_headers, account_id) for account_id in holders}

        # --- pay date 02:00: the payment ------------------------------------------------
        _set_clock(http, operator_headers, PAY_DATE_NIGHT)
        paid = _wait_for_entitlements(http, operator_headers, action_id, list(holders), "PAID")
        for account_id in holders:
            assert paid[account_id]["status"] == "PAID" and paid[account_id]["paid_dt"], (residences[account_id], paid[account_id])
            unchanged = ("shares", "withholding_rate_bps", "gross_amount", "withholding_tax", "net_amount")
            assert {k: paid[account_id][k] for k in unchanged} == {k: snapshot[account_id][k] for k in unchanged}
        assert late not in paid

        for account_id, rate in holders.items():
            _, _, net = _expected(held[account_id], rate)
            assert _payments(partner, account_id, TRADE_DAY, AFTER_PAY) == [(net, aapl, PAY_DATE, "USD")], residences[account_id]
            # start_date is inclusive, end_date exclusive; stock_id filters.
            assert _payments(partner, account_id, PAY_DATE, AFTER_PAY, stock_id=aapl) == [(net, aapl, PAY_DATE, "USD")]
            assert _payments(partner, account_id, TRADE_DAY, PAY_DATE) == []

            cash_before, entries_before = before[account_id]
            cash_after, entries_after = _usd_plus(partner, http, operator_headers, account_id)
            new = [entry for entry_id, entry in entries_after.items() if entry_id not in entries_before]
            dividends = [entry for entry in new if entry["reason"] == "DIVIDEND"]
            assert [(e["direction"], Decimal(e["amount"])) for e in dividends] == [("CREDIT", net)], (residences[account_id], new)
            others = [entry for entry in new if entry["reason"] != "DIVIDEND"]
            assert all(e["reason"] == "INTEREST" and e["direction"] == "CREDIT" for e in others), others
            interest = sum((Decimal(e["amount"]) for e in others), Decimal(0))
            assert cash_after - cash_before - interest == net, (residences[account_id], cash_before, cash_after, interest, net)
        assert _payments(partner, late, TRADE_DAY, AFTER_PAY) == [], "bought on the ex date: no dividend"
        _reserves_fully_backed(http)
    finally:
        _set_clock(http, operator_headers, _wall_clock_now())
        if action_id is not None:
            # Only a dividend still before its ex date can be (and needs to be) withdrawn.
            listed = http.get(ACTIONS, params={"stock_id": aapl, "limit": 100}, headers=operator_headers).json()["data"]
            if any(action["id"] == action_id and action["status"] == "SCHEDULED" for action in listed):
                http.post(f"{ACTIONS}/{action_id}/cancel", headers=operator_headers)
