"""Secrets never reach the logs (issue 12): a journey at trace log level through every
route that takes or hands out a secret (API keys, a new organization's key, KYC link
tokens, signed document URLs, managed wallets, idempotency keys, wrong guesses), then the
server's whole output is searched for each of them. The session server's teardown does the
same for the keys of the whole conformance suite; this journey covers the other kinds."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from private_server import private_server, report_line

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + b"\x42" * 64
KYC = {
    "address_country_code": "DE", "country_code": "DE", "last_name": "Müller", "first_name": "Anna",
    "birth_date": "1990-04-17", "email": "anna.mueller@example.de",
}  # fmt: skip


def test_journey_atTraceLevel_logsNoSecret(pytestconfig: pytest.Config) -> None:
    with private_server("--log-level", "trace") as server:
        used: dict[str, str] = {
            "partner secret": server.partner_secret,
            "operator secret": server.operator_secret,
            "wallet sealing key": server.wallet_key,
        }
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            partner, operator = server.partner_headers, server.operator_headers

            created = http.post("/api/v2/operator/organizations", json={"name": "Log Probe"}, headers=operator)
            assert created.status_code == 201
            used["new organization's secret"] = created.json()["api_key"]["secret"]
            new_key = {"X-API-Key-Id": created.json()["api_key"]["id"], "X-API-Secret-Key": used["new organization's secret"]}
            assert http.get("/api/v2/entities/me", headers=new_key).status_code == 200

            guess = "wrong-guess-" + uuid.uuid4().hex
            used["a wrong secret"] = guess
            assert http.get("/api/v2/entities/me", headers={**partner, "X-API-Secret-Key": guess}).status_code == 401

            idempotency_key = f"idem-{uuid.uuid4()}"
            used["an idempotency key"] = idempotency_key
            entity = http.post("/api/v2/entities", json={"name": "Anna Müller"}, headers={**partner, "Idempotency-Key": idempotency_key})
            assert entity.status_code == 201
            entity_id = entity.json()["id"]
            kyc = http.post(
                f"/api/v2/entities/{entity_id}/kyc",
                json={"jurisdiction": "BASELINE", "provider_name": "Acme", "data": KYC}, headers=partner,
            )  # fmt: skip
            assert kyc.status_code == 201, kyc.text
            kyc_id = kyc.json()["id"]

            uploaded = http.post(
                f"/api/v2/entities/{entity_id}/kyc/{kyc_id}/document", params={"document_type": "GOVERNMENT_ID"},
                files={"file": ("passport.png", PNG, "image/png")}, headers=partner,
            )  # fmt: skip
            assert uploaded.status_code == 201, uploaded.text
            query = urlsplit(uploaded.json()["url"]).query
            used["a document URL signature"] = dict(part.split("=", 1) for part in query.split("&"))["signature"]
            assert http.get(urlsplit(uploaded.json()["url"]).path + "?" + query).status_code == 200

            link = http.post(f"/api/v2/entities/{entity_id}/kyc/url", json={}, headers=partner)
            assert link.status_code == 201
            token = link.json()["embed_url"].split("#token=", 1)[1]
            used["a KYC link token"] = token
            assert http.get("/api/v2/kyc_session", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            submitted = http.post("/api/v2/kyc_session", json={"jurisdiction": "BASELINE", "data": KYC}, headers={"Authorization": f"Bearer {token}"})
            assert submitted.status_code in (201, 422), submitted.text

            account = http.post(f"/api/v2/entities/{entity_id}/accounts", json={}, headers=partner)
            assert account.status_code == 201
            managed = http.post(f"/api/v2/accounts/{account.json()['id']}/wallet/managed", json={"chain_id": "eip155:1"}, headers=partner)
            assert managed.status_code in (200, 201), managed.text

        output = server.output()
        assert output, "trace logging produced no output"
        leaked = [label for label, secret in used.items() if secret.encode() in output]
        assert leaked == [], f"secrets in the server's output: {leaked}"
        report_line(pytestconfig, f"secrets never logged: {len(used)} secrets checked against {len(output)} bytes of trace output")
