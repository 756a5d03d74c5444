"""Creates real objects on a fuzzed server and prints a schemathesis config binding path
parameters to their ids, so generated requests reach business logic instead of stopping at
404 (fuzz-api.sh). Standard library only.

    fuzz_fixture.py BASE_URL PARTNER_KEY_ID PARTNER_SECRET OPERATOR_KEY_ID OPERATOR_SECRET
"""

from __future__ import annotations

import json
import secrets
import sys
import urllib.error
import urllib.request

base_url, partner_id, partner_secret, operator_id, operator_secret = sys.argv[1:6]
PARTNER = {"X-API-Key-Id": partner_id, "X-API-Secret-Key": partner_secret}
OPERATOR = {"X-API-Key-Id": operator_id, "X-API-Secret-Key": operator_secret}


def call(method: str, path: str, headers: dict[str, str], body: object | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=dict(headers))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"fuzz_fixture: {method} {path} → {error.code} {error.read()[:300]!r}") from None


ids: dict[str, str] = {}
ids["organization_id"] = call("GET", "/api/v2/entities/me", PARTNER)["id"]
ids["stock_id"] = call("GET", "/api/v2/market_data/stocks/", {})["data"][0]["id"]
ids["entity_id"] = call("POST", "/api/v2/entities", PARTNER, {"name": "Fuzz Person"})["id"]
kyc = call(
    "POST", f"/api/v2/entities/{ids['entity_id']}/kyc", PARTNER,
    {"jurisdiction": "BASELINE", "provider_name": "Fuzz KYC", "data": {
        "address_country_code": "DE", "country_code": "DE", "last_name": "Müller", "first_name": "Anna",
        "birth_date": "1990-04-17", "email": "anna.mueller@example.de"}},
)  # fmt: skip
ids["kyc_id"] = kyc["id"]
ids["account_id"] = call("POST", f"/api/v2/entities/{ids['entity_id']}/accounts", PARTNER, {})["id"]
# All-lowercase hex is an unchecksummed address (EIP-55), so no Keccak is needed here.
call(
    "POST", f"/api/v2/accounts/{ids['account_id']}/wallet/internal", PARTNER,
    {"chain_id": "eip155:1", "wallet_address": "0x" + secrets.token_hex(20)},
)  # fmt: skip
call("POST", f"/api/v2/sandbox/accounts/{ids['account_id']}/deposits", PARTNER, {"amount": 100000})
placed = call(
    "POST", f"/api/v2/accounts/{ids['account_id']}/order_requests/limit_buy", PARTNER,
    {"stock_id": ids["stock_id"], "asset_quantity": 1, "limit_price": 1},
)  # fmt: skip
ids["order_request_id"] = placed["id"]
if placed.get("order_id"):
    ids["order_id"] = placed["order_id"]
withdrawal = call(
    "POST", f"/api/v2/accounts/{ids['account_id']}/withdrawal_requests", PARTNER,
    {"payment_token_quantity": 1, "recipient_account_id": ids["account_id"]},
)  # fmt: skip
ids["withdrawal_request_id"] = withdrawal["id"]
paid = call("GET", f"/api/v2/accounts/{ids['account_id']}/withdrawals", PARTNER)["data"]
if paid:
    ids["withdrawal_id"] = paid[0]["id"]
call("POST", f"/api/v2/operator/organizations/{ids['organization_id']}/issuer_eligibility", OPERATOR, {"reason": "fuzzing"})

print("[parameters]")
for name, value in sorted(ids.items()):
    print(f'"path.{name}" = "{value}"')
print(f"# {len(ids)} path parameters bound to real objects", file=sys.stderr)
