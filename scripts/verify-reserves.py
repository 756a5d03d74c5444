#!/usr/bin/env python3
"""Verify a BrokerGate proof-of-reserves report, and optionally your own inclusion proof.

Anyone can run it: it needs Python 3.9+ and ``cryptography`` (``pip install
cryptography``). It fetches (or reads from files) what it checks, then checks everything
offline:

  * the Ed25519 signature over the exact bytes of ``canonical``, with a public key you
    pinned (``--public-key``) or the one the server publishes;
  * that ``canonical`` is canonical JSON (see below), so the signed bytes are the only
    encoding of the report;
  * the sums: per stock, custody − tokens outstanding = difference = 0 and the liabilities
    tree total = tokens outstanding; for USD+, reserve − outstanding = difference = 0,
    customer + house balances = outstanding and the tree total = customer balances;
    reconciliation OK and ``fully_backed`` true;
  * with a proof (``--account`` and a partner key, or ``--proof FILE``): that each of your
    balances hashes into a leaf whose path reaches the root published in the signed report.

Usage::

    scripts/verify-reserves.py --base-url http://127.0.0.1:8080
    scripts/verify-reserves.py --base-url URL --account ACCOUNT_ID \\
        --key-id KEY_ID --secret SECRET            # or env BROKERGATE_PARTNER_KEY_ID/_SECRET
    scripts/verify-reserves.py --report report.json [--proof proof.json] --public-key HEX
    scripts/verify-reserves.py --base-url URL --save-report report.json

Prints ``OK`` as its last line and exits 0 when everything verifies; prints ``FAIL: why``
and exits 1 when something does not; exits 2 for usage or network errors.

Canonical JSON (RFC 8785 restricted to what reports contain): keys sorted by code point,
no whitespace, strings UTF-8 with only ``"`` ``\\`` and U+0000-U+001F escaped, integers
only (no floats: amounts are decimal strings with 6 decimals). Python's
``json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` produces it.

Merkle-sum tree byte layout (SHA-256; ``be64(x)`` = 8-byte big-endian two's complement of
an integer count of 10^-6 units)::

    leaf    = SHA-256(0x00 || salt[32] || UTF-8(account id) || be64(balance))
    node    = SHA-256(0x01 || left.hash || be64(left.sum) || right.hash || be64(right.sum))
              node.sum = left.sum + right.sum   (every sum must be >= 0)
    padding = SHA-256(0x02), sum 0; the leaf level is padded to a power of two

A path step's ``side`` says where the sibling sits: LEFT means hash(sibling, ours).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import sys
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - environment problem, not a verification result
    print("verify-reserves: needs the 'cryptography' package (pip install cryptography)", file=sys.stderr)
    sys.exit(2)

FORMAT = "brokergate-reserves/1"
SCALE = 10**6
INT64_MAX = 2**63 - 1
TIMEOUT_S = 15


class Failure(Exception):
    """A check that did not hold: the report (or proof) must not be trusted."""


# --- fetching ---------------------------------------------------------------------------


def fetch_json(url: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace")[:300]
        raise SystemExit(f"verify-reserves: GET {url} answered {error.code}: {body}") from None
    except (urllib.error.URLError, OSError) as error:
        raise SystemExit(f"verify-reserves: GET {url} failed: {error}") from None


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# --- primitives -------------------------------------------------------------------------


def units(text: Any, what: str) -> int:
    """An exact decimal string with exactly 6 decimals, as an integer count of 10^-6."""
    if not isinstance(text, str):
        raise Failure(f"{what} is not a decimal string: {text!r}")
    whole, dot, fraction = text.lstrip("-").partition(".")
    if not (whole.isdigit() and dot and len(fraction) == 6 and fraction.isdigit()):
        raise Failure(f"{what} is not a 6-decimal amount: {text!r}")
    value = int(Decimal(text) * SCALE)
    if abs(value) > INT64_MAX:
        raise Failure(f"{what} is out of range: {text!r}")
    return value


def be64(value: int) -> bytes:
    return struct.pack(">q", value)


def unhex(text: Any, size: int | None, what: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise Failure(f"{what} is not hex: {text!r}") from None
    if size is not None and len(raw) != size:
        raise Failure(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


def no_floats(text: str) -> Any:
    raise Failure(f"canonical JSON carries no floats, found {text}")


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- the report -------------------------------------------------------------------------


def verify_signed(envelope: dict[str, Any], public_key: bytes) -> dict[str, Any]:
    """Signature, canonical form and key binding of a signed report; returns the report."""
    if envelope.get("algorithm") != "Ed25519":
        raise Failure(f"unsupported algorithm {envelope.get('algorithm')!r}")
    canonical = envelope.get("canonical")
    if not isinstance(canonical, str):
        raise Failure("the envelope has no canonical text")
    signed = canonical.encode("utf-8")
    signature = unhex(envelope.get("signature"), 64, "signature")
    if unhex(envelope.get("public_key"), 32, "public_key") != public_key:
        raise Failure("the report is signed with another key than the pinned one")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, signed)
    except InvalidSignature:
        raise Failure("the Ed25519 signature does not match the canonical bytes") from None
    try:
        report = json.loads(canonical, parse_float=no_floats, parse_constant=no_floats)
    except ValueError as error:
        raise Failure(f"the canonical text is not JSON: {error}") from None
    if canonical_bytes(report) != signed:
        raise Failure("the signed text is not in canonical form")
    if "report" in envelope and envelope["report"] != report:
        raise Failure("the readable 'report' differs from the signed canonical text")
    if report.get("format") != FORMAT or unhex(report.get("public_key"), 32, "report.public_key") != public_key:
        raise Failure(f"the report is not {FORMAT} signed by the pinned key")
    return report


def verify_sums(report: dict[str, Any]) -> list[str]:
    """Every backing identity of the report; returns one summary line per asset."""
    lines = []
    for stock in report["stocks"]:
        symbol = stock["symbol"]
        outstanding = units(stock["tokens_outstanding"], f"{symbol}.tokens_outstanding")
        custody = units(stock["custody_shares"], f"{symbol}.custody_shares")
        difference = units(stock["difference"], f"{symbol}.difference")
        if difference != custody - outstanding:
            raise Failure(f"{symbol}: difference {stock['difference']} != custody - outstanding")
        if difference != 0:
            raise Failure(f"{symbol}: not backed 1:1 (custody - tokens = {stock['difference']})")
        if units(stock["liabilities"]["total"], f"{symbol}.liabilities.total") != outstanding:
            raise Failure(f"{symbol}: customer holdings in the tree != tokens outstanding")
        lines.append(f"{symbol}: tokens {stock['tokens_outstanding']} = custody {stock['custody_shares']}")
    usd = report["usd_plus"]
    outstanding = units(usd["outstanding"], "usd_plus.outstanding")
    reserve = units(usd["reserve_usdc"], "usd_plus.reserve_usdc")
    difference = units(usd["difference"], "usd_plus.difference")
    customers = units(usd["customer_balances"], "usd_plus.customer_balances")
    house = units(usd["house_balances"], "usd_plus.house_balances")
    if difference != reserve - outstanding or difference != 0:
        raise Failure(f"USD+: not backed 1:1 (reserve - outstanding = {usd['difference']})")
    if customers + house != outstanding:
        raise Failure("USD+: customer + house balances != outstanding")
    if units(usd["liabilities"]["total"], "usd_plus.liabilities.total") != customers:
        raise Failure("USD+: customer balances in the tree != customer_balances")
    lines.append(f"USD+: outstanding {usd['outstanding']} = reserve {usd['reserve_usdc']}")
    lines += verify_wrappers(report)
    reconciliation = report["reconciliation"]
    if reconciliation["status"] != "OK" or reconciliation["breaks"]:
        raise Failure(f"reconciliation reports breaks: {json.dumps(reconciliation['breaks'])}")
    if report["fully_backed"] is not True:
        raise Failure("the report does not claim to be fully backed")
    return lines


def verify_wrappers(report: dict[str, Any]) -> list[str]:
    """Each wrapper: holders' wrapped tokens == supply, and the stated rate is vault ÷ supply."""
    lines = []
    stocks = {stock["symbol"] for stock in report["stocks"]}
    for wrapper in report.get("wrappers", []):
        name = wrapper["wrapped_symbol"]
        supply = units(wrapper["wrapped_supply"], f"{name}.wrapped_supply")
        vault = units(wrapper["vault_shares"], f"{name}.vault_shares")
        if units(wrapper["liabilities"]["total"], f"{name}.liabilities.total") != supply:
            raise Failure(f"{name}: wrapped tokens in the tree != wrapped supply")
        if vault > 0 and wrapper["symbol"] not in stocks:
            raise Failure(f"{name}: its vault holds {wrapper['symbol']}, which the report does not back")
        rate = Decimal(vault) / Decimal(supply) if supply else Decimal(1)
        stated = Decimal(wrapper["shares_per_token"])
        if not (stated <= rate < stated + Decimal("1e-12")):
            raise Failure(f"{name}: shares per token {stated} != vault {vault} / supply {supply}")
        lines.append(f"{name}: supply {wrapper['wrapped_supply']} x {wrapper['shares_per_token']} = vault {wrapper['vault_shares']}")
    return lines


# --- inclusion proofs -------------------------------------------------------------------


def node(left: tuple[bytes, int], right: tuple[bytes, int]) -> tuple[bytes, int]:
    for _, total in (left, right):
        if total < 0:
            raise Failure("a negative sum in the path")
    total = left[1] + right[1]
    if total > INT64_MAX:
        raise Failure("a sum in the path overflows")
    digest = hashlib.sha256(b"\x01" + left[0] + be64(left[1]) + right[0] + be64(right[1])).digest()
    return digest, total


def verify_proof(proof: dict[str, Any], account_id: str, report: dict[str, Any]) -> str:
    asset = proof["asset"]
    balance = units(proof["balance"], f"{asset}.balance")
    if balance < 0:
        raise Failure(f"{asset}: negative balance")
    salt = unhex(proof["salt"], 32, f"{asset}.salt")
    current = (hashlib.sha256(b"\x00" + salt + account_id.encode("utf-8") + be64(balance)).digest(), balance)
    if current[0].hex() != proof["leaf_hash"]:
        raise Failure(f"{asset}: the leaf hash does not match the balance and salt")
    for step in proof["path"]:
        sibling = (unhex(step["hash"], 32, f"{asset}.path.hash"), units(step["sum"], f"{asset}.path.sum"))
        if step["side"] == "LEFT":
            current = node(sibling, current)
        elif step["side"] == "RIGHT":
            current = node(current, sibling)
        else:
            raise Failure(f"{asset}: path side must be LEFT or RIGHT, got {step['side']!r}")
    if asset == "USD+":
        liabilities = report["usd_plus"]["liabilities"]
    else:
        lines = report.get("wrappers", []) if asset.startswith("WRAPPED:") else report["stocks"]
        symbol = asset.removeprefix("WRAPPED:").removeprefix("STOCK:")
        matching = [line for line in lines if line["symbol"] == symbol]
        if not matching:
            raise Failure(f"{asset}: not in the report")
        liabilities = matching[0]["liabilities"]
    if current[0].hex() != liabilities["root_hash"] or current[1] != units(liabilities["total"], f"{asset}.total"):
        raise Failure(f"{asset}: the inclusion path does not reach the signed root")
    return f"{asset}: balance {proof['balance']} is counted in the signed total {liabilities['total']}"


# --- driver -----------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="the gateway, e.g. http://127.0.0.1:8080")
    parser.add_argument("--report", help="a saved GET /api/v2/reserves response instead of fetching it")
    parser.add_argument("--proof", help="a saved GET /api/v2/accounts/{id}/reserves_proof response")
    parser.add_argument("--public-key", help="pin the signing key (64 hex digits) instead of fetching it")
    parser.add_argument("--account", help="also fetch and verify this account's inclusion proof")
    parser.add_argument("--key-id", default=os.environ.get("BROKERGATE_PARTNER_KEY_ID"))
    parser.add_argument("--secret", default=os.environ.get("BROKERGATE_PARTNER_SECRET"))
    parser.add_argument("--save-report", help="write the fetched report here (to verify or compare later)")
    arguments = parser.parse_args()
    if not arguments.base_url and not (arguments.report and arguments.public_key):
        parser.error("give --base-url, or --report with --public-key to verify offline")
    if arguments.account and not (arguments.base_url and arguments.key_id and arguments.secret):
        parser.error("--account needs --base-url and a partner key (--key-id/--secret or env)")
    return arguments


def gather(arguments: argparse.Namespace) -> tuple[bytes, dict[str, Any], dict[str, Any] | None]:
    """The pinned key, the signed report and the proof, fetched or read; no checks yet."""
    base = (arguments.base_url or "").rstrip("/")
    if arguments.public_key:
        key_hex = arguments.public_key
    else:
        key_hex = fetch_json(f"{base}/api/v2/reserves/public_key")["public_key"]
    envelope = read_json(arguments.report) if arguments.report else fetch_json(f"{base}/api/v2/reserves")
    if arguments.save_report:
        with open(arguments.save_report, "w", encoding="utf-8") as handle:
            json.dump(envelope, handle, ensure_ascii=False)
    proof = None
    if arguments.proof:
        proof = read_json(arguments.proof)
    elif arguments.account:
        headers = {"X-API-Key-Id": arguments.key_id, "X-API-Secret-Key": arguments.secret}
        proof = fetch_json(f"{base}/api/v2/accounts/{arguments.account}/reserves_proof", headers)
    try:
        key = unhex(key_hex, 32, "public key")
    except Failure as failure:
        raise SystemExit(f"verify-reserves: {failure}") from None
    return key, envelope, proof


def verify(key: bytes, envelope: dict[str, Any], proof: dict[str, Any] | None) -> list[str]:
    report = verify_signed(envelope, key)
    lines = [f"signature: Ed25519 by {key.hex()} ({report['key_persistence']}) at ledger sequence {report['ledger_sequence']}"]
    lines += verify_sums(report)
    if proof is not None:
        proof_report = verify_signed(proof["report"], key)
        lines += verify_sums(proof_report)
        # Replicas may compute the same sequence at different instants; nothing else may differ.
        same_books = {k: v for k, v in proof_report.items() if k != "computed_at"}
        if proof_report["ledger_sequence"] == report["ledger_sequence"] and same_books != {
            k: v for k, v in report.items() if k != "computed_at"
        }:
            raise Failure("two different reports signed for the same ledger sequence")
        lines += [verify_proof(item, proof["account_id"], proof_report) for item in proof["proofs"]]
    return lines


def main() -> int:
    arguments = parse_arguments()
    key, envelope, proof = gather(arguments)
    try:
        lines = verify(key, envelope, proof)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    except (KeyError, TypeError, AttributeError) as error:
        print(f"FAIL: the report or proof is missing a field or has the wrong shape ({error!r})")
        return 1
    for line in lines:
        print(line)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
