"""Rate limits and failed-authentication throttling against the real binary (issue 12):
per-address limits for traffic without a key, and after N failed authentications from an
address every request from it gets 429 with Retry-After, before any secret is checked."""

from __future__ import annotations

import httpx
import pytest

from private_server import private_server, report_line
from support import assert_error_response


def test_publicTraffic_isLimitedPerAddress_with429AndRetryAfter(pytestconfig: pytest.Config) -> None:
    with private_server("--rate-limit-ip-rps", "1", "--rate-limit-ip-burst", "5", "--log-level", "warning") as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            statuses = [http.get("/api/v2/market_data/stocks/").status_code for _ in range(12)]
            # The burst of 5 (less the start-up /health probes, plus about one refill a second).
            assert statuses[0] == 200 and 3 <= statuses.count(200) <= 7, statuses
            assert set(statuses) == {200, 429}, statuses
            limited = http.get("/api/v2/market_data/stocks/")
            error = assert_error_response(limited, 429)
            assert error["code"] == "rate_limited"
            assert int(limited.headers["retry-after"]) >= 1
            # A verified key has its own bucket: the address's limit does not apply to it.
            assert http.get("/api/v2/entities/me", headers=server.partner_headers).status_code == 200
        report_line(pytestconfig, f"per-address limit: {len(statuses) + 2} requests, first 429 at #{statuses.index(429) + 1}")


def test_failedAuthentications_lockTheAddress_evenForTheRightSecret(pytestconfig: pytest.Config) -> None:
    with private_server(
        "--auth-failures-max", "5", "--auth-failure-window-seconds", "600", "--log-level", "warning"
    ) as server:  # fmt: skip
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            wrong = {"X-API-Key-Id": server.partner_key_id, "X-API-Secret-Key": "guess-0123456789abcdef"}
            statuses = [http.get("/api/v2/entities/me", headers=wrong).status_code for _ in range(5)]
            assert statuses == [401] * 5, statuses
            throttled = http.get("/api/v2/entities/me", headers=wrong)
            error = assert_error_response(throttled, 429)
            assert error["code"] == "too_many_failed_authentications"
            assert int(throttled.headers["retry-after"]) >= 1
            # Guesses cannot be tested while throttled: the right secret gets 429 too.
            right = http.get("/api/v2/entities/me", headers=server.partner_headers)
            assert_error_response(right, 429)
            # So does a bad KYC link token, and public data stays reachable.
            session = http.get("/api/v2/kyc_session", headers={"Authorization": "Bearer not-a-token"})
            assert_error_response(session, 429)
            assert http.get("/health").status_code == 200
        report_line(pytestconfig, f"failed-auth throttle: {len(statuses) + 3} attempts, locked after 5")
