"""Issuer mint/redeem and the proof of reserves, end to end over HTTP.

A partner trades (a market buy and a sell through the Dinari SDK), an operator marks the
partner an issuer, the issuer mints and redeems AAPL tokens, and then
``scripts/verify-reserves.py`` (run as anyone would run it, in a subprocess) verifies the
public signed report and the issuer's own inclusion proofs: it must print OK, and must
fail once one byte of the report is altered. Another organization cannot read the proof.

The run happens on Monday 2026-11-30 10:00 ET (regular session) on the sandbox clock,
which is put back to the wall clock afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from dinari_api_sdk import Dinari

from support import PartnerOrganization, assert_error_response
from test_orders_sdk import MONDAY_REGULAR, trading_account

REPO_ROOT = Path(__file__).resolve().parents[2]
VERIFIER = REPO_ROOT / "scripts" / "verify-reserves.py"
SANDBOX_CLOCK = "/api/v2/sandbox/clock"
ENGINE_WAIT_S_MAX = 15.0
VERIFIER_TIMEOUT_S = 60


@pytest.fixture
def monday(http: httpx.Client, operator_headers: dict[str, str]) -> Iterator[None]:
    """The regular session for the test, then the wall clock again."""
    assert http.put(SANDBOX_CLOCK, json={"now": MONDAY_REGULAR}, headers=operator_headers).status_code == 200
    yield
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    assert http.put(SANDBOX_CLOCK, json={"now": now}, headers=operator_headers).status_code == 200


def issue(http: httpx.Client, headers: dict[str, str], account_id: str, kind: str, stock_id: str, quantity: int) -> dict:
    """A mint or redeem, waited for until the engine has filled it."""
    created = http.post(
        f"/api/v2/issuance/accounts/{account_id}/{kind}",
        json={"stock_id": stock_id, "quantity": quantity, "client_order_id": f"{kind}-{uuid.uuid4().hex[:8]}"},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert created.status_code == 201, created.text
    order = created.json()
    deadline = time.monotonic() + ENGINE_WAIT_S_MAX
    while order["status"] != "FILLED" and time.monotonic() < deadline:
        time.sleep(0.2)
        order = http.get(f"/api/v2/issuance/accounts/{account_id}/orders/{order['id']}", headers=headers).json()
    assert order["status"] == "FILLED", order
    assert order["filled_quantity"] == quantity and order["direction"] == kind.upper()
    return order


def verifier(*arguments: str, key: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the verifier as anyone would; a partner key travels in its environment, never
    on the command line, where other processes could read it."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("BROKERGATE_PARTNER_")}
    if key:
        env["BROKERGATE_PARTNER_KEY_ID"] = key["X-API-Key-Id"]
        env["BROKERGATE_PARTNER_SECRET"] = key["X-API-Secret-Key"]
    return subprocess.run(
        [sys.executable, str(VERIFIER), *arguments],
        capture_output=True, text=True, timeout=VERIFIER_TIMEOUT_S, cwd=REPO_ROOT, env=env,
    )  # fmt: skip


def test_afterTradesAndAnIssuerMintAndRedeem_theVerifierSaysOK_andAnAlteredByteFails(
    partner: Dinari,
    http: httpx.Client,
    partner_headers: dict[str, str],
    operator_headers: dict[str, str],
    create_partner_organization: Callable[[str | None], PartnerOrganization],
    monday: None,
    tmp_path: Path,
) -> None:
    aapl = partner.v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
    account_id = trading_account(partner, grants=3)

    # The orders journey: a partner's market buy and sell.
    requests = partner.v2.accounts.order_requests
    buy = requests.create_market_buy(account_id, stock_id=aapl, payment_amount=200)
    sell = requests.create_market_sell(account_id, stock_id=aapl, asset_quantity=0.1)
    for request in (buy, sell):
        assert partner.v2.accounts.orders.retrieve(request.order_id, account_id=account_id).status == "FILLED"

    # Not yet an issuer: 422 naming the rule.
    refused = http.post(
        f"/api/v2/issuance/accounts/{account_id}/mint", json={"stock_id": aapl, "quantity": 1}, headers=partner_headers
    )
    assert assert_error_response(refused, 422)["code"] == "issuer_not_eligible"
    organization_id = partner.v2.entities.retrieve_current().id
    decided = http.post(
        f"/api/v2/operator/organizations/{organization_id}/issuer_eligibility",
        json={"eligible": True, "reason": f"conformance issuer agreement {uuid.uuid4().hex[:6]}"},
        headers=operator_headers,
    )
    assert decided.status_code == 200 and decided.json()["eligible"] is True, decided.text

    issue(http, partner_headers, account_id, "mint", aapl, 5)
    issue(http, partner_headers, account_id, "redeem", aapl, 2)

    report_path = tmp_path / "report.json"
    verified = verifier(
        "--base-url", str(http.base_url), "--account", account_id, "--save-report", str(report_path), key=partner_headers,
    )  # fmt: skip
    assert verified.returncode == 0 and verified.stdout.splitlines()[-1] == "OK", verified.stdout + verified.stderr
    assert "AAPL: tokens" in verified.stdout and "STOCK:AAPL: balance" in verified.stdout

    envelope = json.loads(report_path.read_text(encoding="utf-8"))
    report = json.loads(envelope["canonical"])
    assert report["fully_backed"] is True and report["usd_plus"]["difference"] == "0.000000"
    assert [stock["difference"] for stock in report["stocks"]] == ["0.000000"] * len(report["stocks"])
    public_key = http.get("/api/v2/reserves/public_key").json()["public_key"]
    assert verifier("--report", str(report_path), "--public-key", public_key).returncode == 0

    # One altered byte: the first digit of the USD+ reserve changes.
    canonical = envelope["canonical"]
    at = canonical.index('"reserve_usdc":"') + len('"reserve_usdc":"')
    envelope["canonical"] = canonical[:at] + ("1" if canonical[at] != "1" else "2") + canonical[at + 1 :]
    envelope.pop("report")
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(envelope), encoding="utf-8")
    failed = verifier("--report", str(tampered), "--public-key", public_key)
    assert failed.returncode == 1 and failed.stdout.startswith("FAIL:"), failed.stdout + failed.stderr

    # Someone else's proof is not theirs to read.
    other = create_partner_organization(None)
    foreign = http.get(
        f"/api/v2/accounts/{account_id}/reserves_proof",
        headers={"X-API-Key-Id": other.api_key_id, "X-API-Secret-Key": other.api_secret},
    )
    assert assert_error_response(foreign, 404)["code"] == "not_found"


def test_publicReport_needsNoKey_andStatesItsKey(http: httpx.Client) -> None:
    signed = http.get("/api/v2/reserves")
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["algorithm"] == "Ed25519" and len(bytes.fromhex(body["signature"])) == 64
    key = http.get("/api/v2/reserves/public_key").json()
    assert key["public_key"] == body["public_key"] and len(bytes.fromhex(key["public_key"])) == 32
    # The conformance server runs with a wallet key, so the signing key is sealed in the store.
    assert key["key_persistence"] == "stored"
    assert json.loads(body["canonical"])["key_persistence"] == "stored"
