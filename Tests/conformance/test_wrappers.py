"""The accumulating wrapper (wbSTOCK, Backed's model), end to end: onboarding, orders,
portfolio and dividend payments through dinari-api-sdk 0.15.0 in strict mode, the wrapper
routes (BrokerGate extensions, tag ``wrappers``) over httpx.

Journey (the week after test_dividends_sdk.py's, as the session shares one gateway): on
Monday 2026-12-14 10:00 ET (regular session) a US person and a German buy AAPL and each
wraps part of it into wbAAPL: wrapping q shares mints floor(q × supply ÷ vault shares)
wrapped tokens (1:1 for the first), read against the wrapper just before. The operator
creates an AAPL cash dividend (ex and record date Tuesday 2026-12-15, paid Friday
2026-12-18, 0.26 USD a share); December is outside AAPL's model dividends.

* Ex date 02:00 ET: the vault is one holder like any other; its entitlement is its vault
  shares at the statutory 30 % (a pooled holder, no treaty); the customers' entitlements
  are the AAPL they kept unwrapped, at their own rates (US 0, DE 15 %).
* Pay date 02:00 ET: the vault's USD+ waiting for reinvestment (``vault_cash_amount``)
  rises by exactly its net (gross rounded up, tax rounded down, to 6 decimals); the
  customers see their own payments in ``get_dividend_payments``.
* Pay date 10:00 ET: the scheduler reinvests the vault's cash with a fee-free market buy
  (whole cents): the cash drops below a cent, the vault's shares rise, the supply does not,
  so the shares per wrapped token rise.
* The US person unwraps everything: floor(w × vault ÷ supply) shares and the same share of
  waiting cash, from the state read just before; their AAPL rises by exactly that; the
  German's claim does not fall.
* The signed reserves report carries the wbAAPL line equal to the wrapper route, fully
  backed, no reconciliation breaks, and scripts/verify-reserves.py says OK (with the
  German's own inclusion proofs).

A second test (Monday 2026-12-21) checks the refusals, each of which changes nothing. The
business clock is put back to the wall clock afterwards, and the dividend cancelled if the
test stopped before its ex date.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import httpx
import pytest
from dinari_api_sdk import Dinari
from eth_utils import keccak

from support import PartnerOrganization, assert_error_response
from test_dividends_sdk import (
    _aapl_held,
    _baseline_account,
    _buy,
    _payments,
    _set_clock,
    _us_account,
    _wait_for_entitlements,
    _wall_clock_now,
)
from test_reserves import verifier

ACTIONS = "/api/v2/operator/corporate_actions"

TRADE_DAY = "2026-12-14"  # Monday
EX_DATE = "2026-12-15"  # Tuesday; record date too (T+1)
PAY_DATE = "2026-12-18"  # Friday
AFTER_PAY = "2026-12-19"
TRADE_DAY_SESSION = "2026-12-14T15:00:00Z"  # 10:00 ET (EST, UTC−5)
EX_DATE_NIGHT = "2026-12-15T07:00:00Z"  # 02:00 ET: the ex date has begun, no session yet
PAY_DATE_NIGHT = "2026-12-18T07:00:00Z"  # 02:00 ET
PAY_DATE_SESSION = "2026-12-18T15:00:00Z"  # 10:00 ET: the reinvestment may run
REFUSALS_SESSION = "2026-12-21T15:00:00Z"  # Monday 10:00 ET
AMOUNT = Decimal("0.26")
MICRO = Decimal("0.000001")
CENT = Decimal("0.01")
MINIMUM_ORDER = Decimal("1")  # USD; a vault's cash below it waits for the next dividend
VAULT_RATE_BPS = 3000  # statutory: the vault is a pooled holder with no treaty claim
JOB_WAIT_S_MAX = 15.0  # the dividend job (and the reinvestment after it) ticks every second
WRAPPER_FIELDS = {"stock_id", "symbol", "wrapped_symbol", "wrapped_supply", "vault_shares", "vault_cash_amount", "shares_per_token"}
WRAP_FIELDS = {
    "id", "account_id", "direction", "stock_id", "symbol", "wrapped_symbol", "quantity", "wrapped_quantity", "cash_amount",
    "shares_per_token", "created_dt",
}  # fmt: skip
POSITION_FIELDS = {"stock_id", "symbol", "wrapped_symbol", "wrapped_quantity", "shares", "shares_per_token"}

Json = dict[str, Any]


def _vault_account_id(symbol: str) -> str:
    """The wrapper vault's account id as the gateway derives it (``UUIDText.named``: a
    version-8 UUID from the first 122 bits of Keccak-256 of a fixed name)."""
    digest = keccak(f"brokergate:wrapper-vault:account:{symbol}".encode())
    high = int.from_bytes(digest[0:8], "big") & 0xFFFF_FFFF_FFFF_0FFF | 0x8000
    low = int.from_bytes(digest[8:16], "big") & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
    return str(uuid.UUID(int=high << 64 | low))


def _exact(response: httpx.Response) -> Any:
    """The JSON body with every number as an exact Decimal."""
    return response.json(parse_float=Decimal, parse_int=Decimal)


def _wrapper(http: httpx.Client, stock_id: str) -> Json:
    """``GET …/stocks/{id}/wrapper``, public (no key), amounts exact."""
    response = http.get(f"/api/v2/market_data/stocks/{stock_id}/wrapper")
    assert response.status_code == 200, (response.status_code, response.text)
    body = _exact(response)
    assert set(body) == WRAPPER_FIELDS, body
    assert (body["stock_id"], body["symbol"], body["wrapped_symbol"]) == (stock_id, "AAPL", "wbAAPL"), body
    supply, vault = body["wrapped_supply"], body["vault_shares"]
    # Display rate: vault ÷ supply at 12 decimals rounded down, 1 before anyone wrapped.
    rate = (vault / supply).quantize(Decimal("1e-12"), rounding=ROUND_FLOOR) if supply else Decimal(1)
    assert body["shares_per_token"] == rate, body
    return body


def _positions(http: httpx.Client, headers: dict[str, str], account_id: str) -> list[Json]:
    response = http.get(f"/api/v2/accounts/{account_id}/wrapped_positions", headers=headers)
    assert response.status_code == 200, (response.status_code, response.text)
    positions = _exact(response)
    assert isinstance(positions, list) and all(set(p) == POSITION_FIELDS for p in positions), positions
    return positions


def _floor(value: Decimal) -> Decimal:
    return value.quantize(MICRO, rounding=ROUND_FLOOR)


def _share_of(quantity: Decimal, pool: Decimal, supply: Decimal) -> Decimal:
    """floor(quantity × pool ÷ supply) in 10⁻⁶ units: the rule of every wrap and unwrap."""
    return _floor(quantity * pool / supply)


def _post(
    http: httpx.Client, headers: dict[str, str], account_id: str, kind: str, body: Json, key: str | None = None
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return http.post(f"/api/v2/accounts/{account_id}/{kind}", json=body, headers={**headers, **extra})


def _wrap(http: httpx.Client, headers: dict[str, str], account_id: str, stock_id: str, quantity: Decimal) -> Json:
    response = _post(http, headers, account_id, "wrap", {"stock_id": stock_id, "quantity": str(quantity)}, str(uuid.uuid4()))
    assert response.status_code == 201, (response.status_code, response.text)
    return _checked_wrap(_exact(response), account_id, stock_id, "WRAP")


def _checked_wrap(body: Json, account_id: str, stock_id: str, direction: str) -> Json:
    assert set(body) == WRAP_FIELDS, body
    assert (body["account_id"], body["direction"], body["stock_id"]) == (account_id, direction, stock_id), body
    assert (body["symbol"], body["wrapped_symbol"]) == ("AAPL", "wbAAPL"), body
    assert str(uuid.UUID(body["id"])) == body["id"]
    dt.datetime.fromisoformat(body["created_dt"].replace("Z", "+00:00"))
    return body


def _expected_dividend(shares: Decimal, rate_bps: int) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, tax, net): gross rounded up, tax rounded down, to 6 decimals."""
    gross = (shares * AMOUNT).quantize(MICRO, rounding=ROUND_CEILING)
    tax = _floor(gross * rate_bps / Decimal(10_000))
    return gross, tax, gross - tax


def _signed_report(http: httpx.Client) -> Json:
    response = http.get("/api/v2/reserves")
    assert response.status_code == 200, response.text
    return json.loads(response.json()["canonical"])


def _vault_usd_plus_entries(http: httpx.Client, headers: dict[str, str], vault_id: str) -> dict[str, Json]:
    """The vault's USD+ ledger entries (operator ledger), by id, amounts exact."""
    entries: dict[str, Json] = {}
    params: dict[str, Any] = {"asset": "USD+", "limit": 200}
    while True:
        response = http.get(f"/api/v2/operator/accounts/{vault_id}/ledger", params=params, headers=headers)
        assert response.status_code == 200, (response.status_code, response.text)
        page = response.json(parse_float=Decimal)
        entries.update({entry["id"]: entry for entry in page["data"]})
        if page.get("next_after_sequence") is None:
            return entries
        params = {**params, "after_sequence": page["next_after_sequence"]}


def _wait_for_wrapper(http: httpx.Client, stock_id: str, done: Callable[[Json], bool]) -> Json:
    deadline = time.monotonic() + JOB_WAIT_S_MAX
    while True:
        state = _wrapper(http, stock_id)
        if done(state) or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


@pytest.fixture
def aapl(partner: Dinari) -> str:
    page = partner.v2.market_data.stocks.list(symbols=["AAPL"])
    assert [stock.symbol for stock in page.data] == ["AAPL"]
    return page.data[0].id


def test_wrappedAAPL_reinvestsTheVaultsDividend_soEachWrappedTokenIsWorthMoreShares_andUnwrapsExactly(
    partner: Dinari, aapl: str, http: httpx.Client, partner_headers: dict[str, str], operator_headers: dict[str, str]
) -> None:
    vault_id = _vault_account_id("AAPL")
    action_id: str | None = None
    _set_clock(http, operator_headers, TRADE_DAY_SESSION)
    try:
        # --- Monday: two customers buy AAPL and wrap part of it -------------------------
        american = _us_account(partner)
        german = _baseline_account(
            partner, "Lena Schmidt", first_name="Lena", last_name="Schmidt", email="lena.schmidt@example.de",
        )  # fmt: skip
        rates = {american: 0, german: 1500}
        for account_id, payment in ((american, 2457), (german, 1800)):
            # Two more faucet grants each: the vault's dividend must reach the $1 minimum order.
            for _ in range(2):
                assert partner.v2.accounts.mint_sandbox_tokens(account_id) is None
            _buy(partner, account_id, aapl, payment)
        bought = {account_id: _aapl_held(partner, account_id) for account_id in rates}
        assert all(shares > 0 for shares in bought.values()), bought
        assert _positions(http, partner_headers, american) == [], "nothing wrapped yet"

        start = _wrapper(http, aapl)
        wrapped: dict[str, Decimal] = {}
        for account_id, fraction in ((american, Decimal("0.6")), (german, Decimal("0.5"))):
            quantity = _floor(bought[account_id] * fraction)
            before = _wrapper(http, aapl)
            # 1:1 for the first wrap, else at the vault's rate, rounded down.
            minted = _share_of(quantity, before["wrapped_supply"], before["vault_shares"]) if before["wrapped_supply"] else quantity
            made = _wrap(http, partner_headers, account_id, aapl, quantity)
            assert (made["quantity"], made["wrapped_quantity"], made["cash_amount"]) == (quantity, minted, 0), made
            after = _wrapper(http, aapl)
            assert after["wrapped_supply"] == before["wrapped_supply"] + minted, (before, after)
            assert after["vault_shares"] == before["vault_shares"] + quantity, (before, after)
            assert after["vault_cash_amount"] == before["vault_cash_amount"]
            assert made["shares_per_token"] == after["shares_per_token"], (made, after)
            wrapped[account_id] = minted
            assert _aapl_held(partner, account_id) == bought[account_id] - quantity, "the wrapped tokens left the portfolio"

        # A replayed wrap (same Idempotency-Key and body) returns the first answer and wraps nothing more.
        key, body = str(uuid.uuid4()), {"stock_id": aapl, "quantity": "0.01"}
        first = _post(http, partner_headers, german, "wrap", body, key)
        assert first.status_code == 201, first.text
        settled = _wrapper(http, aapl)
        retry = _post(http, partner_headers, german, "wrap", body, key)
        assert (retry.status_code, retry.content) == (201, first.content), retry.text
        assert retry.headers.get("idempotent-replayed") == "true"
        assert _wrapper(http, aapl) == settled
        wrapped[german] += _exact(first)["wrapped_quantity"]
        unwrapped = {american: bought[american] - _floor(bought[american] * Decimal("0.6"))}
        unwrapped[german] = bought[german] - _floor(bought[german] * Decimal("0.5")) - Decimal("0.01")
        assert {account_id: _aapl_held(partner, account_id) for account_id in rates} == unwrapped

        state = _wrapper(http, aapl)
        assert state["wrapped_supply"] == start["wrapped_supply"] + sum(wrapped.values())
        for account_id in rates:
            assert _positions(http, partner_headers, account_id) == [
                {
                    "stock_id": aapl, "symbol": "AAPL", "wrapped_symbol": "wbAAPL", "wrapped_quantity": wrapped[account_id],
                    "shares": _share_of(wrapped[account_id], state["vault_shares"], state["wrapped_supply"]),
                    "shares_per_token": state["shares_per_token"],
                }
            ]  # fmt: skip

        # --- the operator declares a dividend -------------------------------------------
        dividend = {
            "stock_id": aapl, "type": "CASH_DIVIDEND", "cash_amount": float(AMOUNT), "dividend_type": "CD",
            "declared_date": TRADE_DAY, "ex_date": EX_DATE, "record_date": EX_DATE, "pay_date": PAY_DATE,
        }  # fmt: skip
        created = http.post(ACTIONS, json=dividend, headers=operator_headers)
        assert created.status_code == 201, (created.status_code, created.text)
        action_id = created.json()["id"]
        holders = [american, german, vault_id]

        # --- ex date 02:00: the vault is snapshotted as one holder, at 30 % --------------
        _set_clock(http, operator_headers, EX_DATE_NIGHT)
        snapshot = _wait_for_entitlements(http, operator_headers, action_id, holders, "ENTITLED")
        expected = {account_id: _expected_dividend(unwrapped[account_id], rate) for account_id, rate in rates.items()}
        expected[vault_id] = _expected_dividend(state["vault_shares"], VAULT_RATE_BPS)
        shares = {**unwrapped, vault_id: state["vault_shares"]}
        for account_id in holders:
            entitlement = snapshot.get(account_id)
            assert entitlement is not None, f"no entitlement for {account_id} (vault {vault_id}): {snapshot}"
            assert Decimal(entitlement["shares"]) == shares[account_id], entitlement
            assert entitlement["withholding_rate_bps"] == {**rates, vault_id: VAULT_RATE_BPS}[account_id], entitlement
            got = tuple(Decimal(entitlement[key]) for key in ("gross_amount", "withholding_tax", "net_amount"))
            assert got == expected[account_id], (account_id, entitlement)
        assert _wrapper(http, aapl) == state, "the snapshot moves nothing"

        # --- pay date 02:00: the vault is paid its net, waiting for the session ---------
        entries_before = _vault_usd_plus_entries(http, operator_headers, vault_id)
        _set_clock(http, operator_headers, PAY_DATE_NIGHT)
        paid = _wait_for_entitlements(http, operator_headers, action_id, holders, "PAID")
        assert all(paid[account_id]["status"] == "PAID" for account_id in holders), {a: paid.get(a) for a in holders}
        vault_net = expected[vault_id][2]
        assert vault_net >= MINIMUM_ORDER, f"the test needs the vault's dividend ({vault_net}) to buy at least the minimum order"
        funded = _wrapper(http, aapl)
        # One DIVIDEND credit of the net; USD+ interest on cash an earlier test left waiting
        # in the vault (below the minimum order) is the only other movement allowed.
        new = [e for entry_id, e in _vault_usd_plus_entries(http, operator_headers, vault_id).items() if entry_id not in entries_before]
        assert [(e["direction"], Decimal(e["amount"])) for e in new if e["reason"] == "DIVIDEND"] == [("CREDIT", vault_net)], new
        others = [e for e in new if e["reason"] != "DIVIDEND"]
        assert all(e["reason"] == "INTEREST" and e["direction"] == "CREDIT" for e in others), others
        interest = sum((Decimal(e["amount"]) for e in others), Decimal(0))
        assert funded["vault_cash_amount"] == state["vault_cash_amount"] + vault_net + interest, (state, funded, vault_net, interest)
        assert (funded["wrapped_supply"], funded["vault_shares"]) == (state["wrapped_supply"], state["vault_shares"])
        for account_id in rates:
            # The customers' unwrapped AAPL is paid as usual; the wrapped part through the vault.
            assert _payments(partner, account_id, TRADE_DAY, AFTER_PAY) == [(expected[account_id][2], aapl, PAY_DATE, "USD")]

        # --- pay date 10:00: the reinvestment buys shares with the vault's cash ---------
        _set_clock(http, operator_headers, PAY_DATE_SESSION)
        grown = _wait_for_wrapper(
            http, aapl, lambda w: w["vault_cash_amount"] < CENT and w["vault_shares"] > funded["vault_shares"]
        )
        assert grown["vault_cash_amount"] < CENT, f"the vault's {funded['vault_cash_amount']} USD+ was not reinvested: {grown}"
        assert grown["vault_shares"] > funded["vault_shares"], grown
        assert grown["vault_cash_amount"] >= 0
        assert grown["wrapped_supply"] == funded["wrapped_supply"], "a reinvestment mints no wrapped tokens"
        assert grown["shares_per_token"] > state["shares_per_token"], (state, grown)
        claims = {account_id: _positions(http, partner_headers, account_id)[0]["shares"] for account_id in rates}
        for account_id in rates:
            assert claims[account_id] > _share_of(wrapped[account_id], state["vault_shares"], state["wrapped_supply"])

        # --- the US person unwraps everything -------------------------------------------
        held_before = _aapl_held(partner, american)
        before = _wrapper(http, aapl)
        w = wrapped[american]
        response = _post(http, partner_headers, american, "unwrap", {"stock_id": aapl, "wrapped_quantity": str(w)}, str(uuid.uuid4()))
        assert response.status_code == 201, (response.status_code, response.text)
        out = _checked_wrap(_exact(response), american, aapl, "UNWRAP")
        shares_out = _share_of(w, before["vault_shares"], before["wrapped_supply"])
        cash_out = _share_of(w, before["vault_cash_amount"], before["wrapped_supply"])
        assert (out["wrapped_quantity"], out["quantity"], out["cash_amount"]) == (w, shares_out, cash_out), (before, out)
        assert shares_out > w, "each wrapped token is now worth more than a share"
        after = _wrapper(http, aapl)
        assert after["wrapped_supply"] == before["wrapped_supply"] - w
        assert after["vault_shares"] == before["vault_shares"] - shares_out
        assert after["vault_cash_amount"] == before["vault_cash_amount"] - cash_out
        assert out["shares_per_token"] == after["shares_per_token"]
        assert _aapl_held(partner, american) == held_before + shares_out
        assert _positions(http, partner_headers, american) == []
        german_claim = _positions(http, partner_headers, german)[0]["shares"]
        # Rounding down favours the holders who stay: the German's claim does not fall.
        assert claims[german] <= german_claim <= claims[german] + MICRO, (claims[german], german_claim)

        # --- reserves: the wrapper's line, fully backed, verified -----------------------
        report = _signed_report(http)
        assert report["fully_backed"] is True, report
        assert report["usd_plus"]["difference"] == "0.000000", report["usd_plus"]
        assert [s["difference"] for s in report["stocks"] if s["symbol"] == "AAPL"] == ["0.000000"], report["stocks"]
        assert (report["reconciliation"]["status"], report["reconciliation"]["breaks"]) == ("OK", []), report["reconciliation"]
        lines = [line for line in report["wrappers"] if line["wrapped_symbol"] == "wbAAPL"]
        assert len(lines) == 1, report["wrappers"]
        line = lines[0]
        assert line["symbol"] == "AAPL"
        assert Decimal(line["wrapped_supply"]) == after["wrapped_supply"], (line, after)
        assert Decimal(line["vault_shares"]) == after["vault_shares"], (line, after)
        assert Decimal(line["vault_cash_usd_plus"]) == after["vault_cash_amount"], (line, after)
        assert Decimal(line["shares_per_token"]) == after["shares_per_token"], (line, after)
        assert line["liabilities"]["total"] == line["wrapped_supply"], "the holders' wrapped tokens add up to the supply"
        for field in ("wrapped_supply", "vault_shares", "vault_cash_usd_plus"):
            assert len(line[field].partition(".")[2]) == 6, line
        assert len(line["shares_per_token"].partition(".")[2]) == 12, line

        verified = verifier("--base-url", str(http.base_url))
        assert verified.returncode == 0 and verified.stdout.splitlines()[-1] == "OK", verified.stdout + verified.stderr
        assert "wbAAPL: supply" in verified.stdout, verified.stdout
        # The German holds wrapped tokens: their inclusion proofs include the wrapper's tree.
        proved = verifier("--base-url", str(http.base_url), "--account", german, key=partner_headers)
        assert proved.returncode == 0 and proved.stdout.splitlines()[-1] == "OK", proved.stdout + proved.stderr
    finally:
        _set_clock(http, operator_headers, _wall_clock_now())
        if action_id is not None:
            # Only a dividend still before its ex date can be (and needs to be) withdrawn.
            listed = http.get(ACTIONS, params={"stock_id": aapl, "limit": 100}, headers=operator_headers).json()["data"]
            if any(action["id"] == action_id and action["status"] == "SCHEDULED" for action in listed):
                http.post(f"{ACTIONS}/{action_id}/cancel", headers=operator_headers)


@pytest.fixture
def refusals_session(http: httpx.Client, operator_headers: dict[str, str]) -> Iterator[None]:
    """Monday's regular session for the test (to buy AAPL), then the wall clock again."""
    _set_clock(http, operator_headers, REFUSALS_SESSION)
    yield
    _set_clock(http, operator_headers, _wall_clock_now())


def test_wrapRefusals_are422Or404_andChangeNothing(
    partner: Dinari,
    aapl: str,
    http: httpx.Client,
    partner_headers: dict[str, str],
    create_partner_organization: Callable[[str | None], PartnerOrganization],
    refusals_session: None,
) -> None:
    holder = _baseline_account(partner, "Jonas Weber", first_name="Jonas", last_name="Weber", email="jonas.weber@example.de")
    _buy(partner, holder, aapl, 200)
    _wrap(http, partner_headers, holder, aapl, Decimal("0.1"))
    empty = _baseline_account(partner, "Mia Becker", first_name="Mia", last_name="Becker", email="mia.becker@example.de")
    unverified = partner.v2.entities.accounts.create(
        partner.v2.entities.create(name="No KYC", reference_id=f"wrappers-{uuid.uuid4().hex[:8]}").id, jurisdiction="BASELINE"
    ).id
    other = create_partner_organization(None)
    foreign = {"X-API-Key-Id": other.api_key_id, "X-API-Secret-Key": other.api_secret}

    def books() -> tuple[Json, Decimal, list[Json], Decimal, list[Json]]:
        # The vault's waiting cash is left out: USD+ interest may accrue on it at any tick.
        wrapper = {k: v for k, v in _wrapper(http, aapl).items() if k != "vault_cash_amount"}
        return (
            wrapper, _aapl_held(partner, holder), _positions(http, partner_headers, holder),
            _aapl_held(partner, empty), _positions(http, partner_headers, empty),
        )  # fmt: skip

    start = books()
    held, wrapped = start[1], start[2][0]["wrapped_quantity"]
    assert start[4] == [] and start[3] == 0

    def refused(account_id: str, kind: str, body: Json, status: int, code: str, headers: dict[str, str] = partner_headers) -> None:
        response = _post(http, headers, account_id, kind, body, str(uuid.uuid4()))
        error = assert_error_response(response, status)
        assert error["code"] == code, (kind, body, error)
        assert books() == start, f"the refused {kind} {body} moved something"

    def wrap(quantity: str, stock_id: str = aapl) -> Json:
        return {"stock_id": stock_id, "quantity": quantity}

    def unwrap(quantity: str, stock_id: str = aapl) -> Json:
        return {"stock_id": stock_id, "wrapped_quantity": quantity}

    refused(holder, "wrap", wrap(str(held + MICRO)), 422, "insufficient_funds")
    refused(holder, "unwrap", unwrap(str(wrapped + MICRO)), 422, "insufficient_funds")
    refused(empty, "wrap", wrap("1"), 422, "insufficient_funds")
    refused(empty, "unwrap", unwrap("0.5"), 422, "insufficient_funds")
    refused(holder, "wrap", wrap("0.0000001"), 422, "amount_too_precise")
    refused(holder, "unwrap", unwrap("0.0000001"), 422, "amount_too_precise")
    for zero in ("0", "-1"):
        refused(holder, "wrap", wrap(zero), 422, "amount_not_positive")
        refused(holder, "unwrap", unwrap(zero), 422, "amount_not_positive")
    unknown = str(uuid.uuid4())
    refused(holder, "wrap", wrap("0.01", unknown), 422, "unknown_stock")
    refused(holder, "unwrap", unwrap("0.01", unknown), 422, "unknown_stock")
    refused(unverified, "wrap", wrap("0.01"), 422, "kyc_not_passed")
    refused(unverified, "unwrap", unwrap("0.01"), 422, "kyc_not_passed")
    if start[0]["vault_shares"] > start[0]["wrapped_supply"]:
        # A wrapped token is worth more than a share (the journey reinvested a dividend):
        # one 10⁻⁶ share buys floor(supply ÷ vault) = 0 wrapped tokens.
        refused(holder, "wrap", wrap("0.000001"), 422, "wrap_too_small")

    # Another organization's key: the account does not exist for it.
    refused(holder, "wrap", wrap("0.01"), 404, "not_found", headers=foreign)
    refused(holder, "unwrap", unwrap("0.01"), 404, "not_found", headers=foreign)
    response = http.get(f"/api/v2/accounts/{holder}/wrapped_positions", headers=foreign)
    assert assert_error_response(response, 404)["code"] == "not_found"
    # No key at all.
    assert assert_error_response(http.post(f"/api/v2/accounts/{holder}/wrap", json=wrap("0.01")), 401)
    # The public wrapper route of a stock that does not exist.
    assert assert_error_response(http.get(f"/api/v2/market_data/stocks/{unknown}/wrapper"), 404)
    assert books() == start
