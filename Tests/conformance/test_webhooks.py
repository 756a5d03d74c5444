"""Issue 18's webhooks through real HTTP: endpoints managed with plain HTTP (Dinari's SDK
has no webhook resource: this is our extension, designed after Stripe and the Standard
Webhooks specification), deliveries received by a real local server that verifies each
with the ``standardwebhooks`` reference package.

- Every delivery of a journey verifies with the endpoint's secret; the payload is the
  event as the feed shows it, and ``webhook-id`` is the event id.
- A receiver answering 500 for a while gets the same ``webhook-id`` again until it
  answers 2xx; the delivery log shows each attempt.
- Rotating the secret: the old and the new one both verify for 24 h.
- A run of failures disables the endpoint and a ``webhook_endpoint.disabled`` event says so.
- ``kill -9`` between a fill's commit and its delivery: delivered after restart, once per
  ``webhook-id`` (a repeat is allowed by at-least-once; the receiver dedups on the id).
- Without ``--sandbox``: http, 127.0.0.1, 10.0.0.1, 169.254.169.254 and a name resolving
  to loopback are refused with 422.
- Another organization sees none of the endpoints or deliveries.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dinari_api_sdk import Dinari
from standardwebhooks.webhooks import Webhook

from processes import Replica, isolated_env, random_key
from support import assert_error_response
from test_orders_sdk import trading_account
from webhook_receiver import Receiver

WAIT_S_MAX = 20.0
PATH = "/api/v2/webhook_endpoints"


def _headers(key_id: str, secret: str) -> dict[str, str]:
    return {"X-API-Key-Id": key_id, "X-API-Secret-Key": secret}


def _wait(predicate, timeout: float = WAIT_S_MAX):  # noqa: ANN001, ANN202 - a tiny poller
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def fresh(create_partner_organization, gateway) -> Iterator[tuple[httpx.Client, Any]]:
    created = create_partner_organization()
    with httpx.Client(base_url=gateway.base_url, headers=_headers(created.api_key_id, created.api_secret), timeout=10) as http:
        yield http, created


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def _endpoint(http: httpx.Client, receiver: Receiver, types: list[str], gateway) -> dict[str, Any]:
    response = http.post(PATH, json={"url": receiver.url, "event_types": types, "description": "conformance"})
    assert response.status_code == 201, response.text
    endpoint = response.json()
    assert endpoint["secret"].startswith("whsec_")
    gateway.remember_secret(endpoint["secret"], "a webhook endpoint")
    receiver.secrets.append(endpoint["secret"])
    return endpoint


def test_everyDelivery_verifiesWithTheSecret_andCarriesTheEventAsTheFeedShowsIt(fresh, receiver: Receiver, gateway) -> None:
    http, _ = fresh
    endpoint = _endpoint(http, receiver, ["account.created", "account.deactivated"], gateway)
    assert set(endpoint) == {
        "id", "url", "event_types", "description", "enabled", "disabled_reason", "created_dt", "updated_dt", "secret",
    }  # fmt: skip
    listed = http.get(PATH).json()["data"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]

    entity = http.post("/api/v2/entities", json={"name": "Hook Person"}).json()
    account = http.post(f"/api/v2/entities/{entity['id']}/accounts", json={}).json()
    assert http.post(f"/api/v2/accounts/{account['id']}/deactivate").status_code == 200
    got = _wait(lambda: len(receiver.snapshot()) >= 2 and receiver.snapshot())
    assert got and all(d.verified for d in got), got
    assert [d.payload["type"] for d in got] == ["account.created", "account.deactivated"]
    feed = http.get("/api/v2/events").json()["data"]
    assert [d.payload for d in got] == [e for e in feed if e["type"].startswith("account.")]
    assert [d.webhook_id for d in got] == [d.payload["id"] for d in got]
    assert all(abs(int(d.timestamp) - time.time()) < 60 for d in got)

    deliveries = _wait(
        lambda: (page := http.get(f"{PATH}/{endpoint['id']}/deliveries").json()["data"])
        and all(d["status"] == "DELIVERED" for d in page) and page
    )
    assert [d["event_id"] for d in deliveries] == [d.webhook_id for d in got]
    attempt = deliveries[0]["attempts"][0]
    assert attempt["status_code"] == 204 and attempt["error"] is None and attempt["latency_ms"] >= 0


def test_failingReceiver_getsTheSameWebhookId_untilItAnswers2xx(fresh, gateway) -> None:
    http, _ = fresh
    failing = Receiver(answer=lambda n: 500 if n < 3 else 200)
    try:
        endpoint = _endpoint(http, failing, ["*"], gateway)
        entity = http.post("/api/v2/entities", json={"name": "Retry Person"}).json()
        http.post(f"/api/v2/entities/{entity['id']}/accounts", json={})
        got = _wait(lambda: any(d.answered == 200 for d in failing.snapshot()) and failing.snapshot(), timeout=30)
        assert got, failing.snapshot()
        assert [d.answered for d in got] == [500, 500, 500, 200]
        assert len({d.webhook_id for d in got}) == 1 and all(d.verified for d in got)
        delivery = _wait(
            lambda: (page := http.get(f"{PATH}/{endpoint['id']}/deliveries").json()["data"])
            and page[0]["status"] == "DELIVERED" and page[0]
        )
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500, 200]
        assert delivery["next_attempt_dt"] is None

        # A manual retry replays the delivered one, same id, and the log grows.
        retried = http.post(f"{PATH}/{endpoint['id']}/deliveries/{delivery['id']}/retry")
        assert retried.status_code == 202 and retried.json()["status"] == "PENDING"
        assert _wait(lambda: len(failing.snapshot()) == 5)
        assert failing.snapshot()[-1].webhook_id == got[0].webhook_id
    finally:
        failing.close()


def test_rotatedSecret_bothVerifyDuringTheOverlap(fresh, receiver: Receiver, gateway) -> None:
    http, _ = fresh
    endpoint = _endpoint(http, receiver, ["account.created"], gateway)
    rotated = http.post(f"{PATH}/{endpoint['id']}/rotate_secret")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    gateway.remember_secret(new_secret, "a rotated webhook secret")
    assert new_secret != endpoint["secret"]
    entity = http.post("/api/v2/entities", json={"name": "Rotate Person"}).json()
    http.post(f"/api/v2/entities/{entity['id']}/accounts", json={})
    got = _wait(lambda: receiver.snapshot())
    assert got and got[0].verified
    # Two signatures, one per secret, each verifying alone.
    signatures = got[0].signature.split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (endpoint["secret"], new_secret):
        Webhook(secret).verify(
            got[0].body,
            {"webhook-id": got[0].webhook_id, "webhook-timestamp": got[0].timestamp, "webhook-signature": got[0].signature},
        )


def test_aRunOfFailures_disablesTheEndpoint_andAnEventSaysSo(fresh, gateway) -> None:
    http, _ = fresh
    dead = Receiver(answer=lambda _: 503)
    try:
        endpoint = _endpoint(http, dead, ["account.created"], gateway)
        entity = http.post("/api/v2/entities", json={"name": "Dead Receiver"}).json()
        for _ in range(4):
            http.post(f"/api/v2/entities/{entity['id']}/accounts", json={})
        disabled = _wait(lambda: not (e := http.get(f"{PATH}/{endpoint['id']}").json())["enabled"] and e, timeout=40)
        assert disabled and "failed delivery attempts in a row" in disabled["disabled_reason"]
        events = _wait(lambda: [e for e in http.get("/api/v2/events").json()["data"] if e["type"] == "webhook_endpoint.disabled"])
        assert events and events[0]["data"]["id"] == endpoint["id"] and "secret" not in events[0]["data"]
        # Re-enabled: the pending deliveries go out again.
        assert http.patch(f"{PATH}/{endpoint['id']}", json={"enabled": True}).json()["enabled"] is True
    finally:
        dead.close()


def test_anotherOrganization_seesNoEndpointOrDelivery(fresh, receiver: Receiver, create_partner_organization, gateway) -> None:
    http, _ = fresh
    endpoint = _endpoint(http, receiver, ["*"], gateway)
    other = create_partner_organization()
    with httpx.Client(base_url=gateway.base_url, headers=_headers(other.api_key_id, other.api_secret), timeout=10) as them:
        assert them.get(PATH).json()["data"] == []
        for method, path in [
            ("GET", f"{PATH}/{endpoint['id']}"), ("PATCH", f"{PATH}/{endpoint['id']}"), ("DELETE", f"{PATH}/{endpoint['id']}"),
            ("POST", f"{PATH}/{endpoint['id']}/rotate_secret"), ("GET", f"{PATH}/{endpoint['id']}/deliveries"),
        ]:  # fmt: skip
            response = them.request(method, path, json={"enabled": False} if method == "PATCH" else None)
            assert assert_error_response(response, 404)["code"] == "not_found", (method, path)
    assert http.get(f"{PATH}/{endpoint['id']}").json()["enabled"] is True


def test_badInput_is4xx_andChangesNothing(fresh, receiver: Receiver, gateway) -> None:
    http, _ = fresh
    for body, status in [
        ({"event_types": ["*"]}, 400), ({"url": receiver.url}, 400), ({"url": "ftp://x/", "event_types": ["*"]}, 422),
        ({"url": receiver.url, "event_types": ["order.filed"]}, 400), ({"url": receiver.url, "event_types": []}, 400),
        ({"url": "http://user:pw@127.0.0.1/", "event_types": ["*"]}, 422),
    ]:  # fmt: skip
        assert_error_response(http.post(PATH, json=body), status)
    assert http.get(PATH).json()["data"] == []


def test_withoutSandbox_privateAndLoopbackReceivers_areRefused(tmp_path) -> None:
    partner, operator = random_key("partner"), random_key("operator")
    replica = Replica(f"sqlite:{tmp_path / 'ssrf.sqlite'}", isolated_env(partner, operator, BROKERGATE_SANDBOX="false"))
    try:
        with httpx.Client(base_url=replica.base, headers=_headers(*partner), timeout=10) as http:
            for url in [
                "http://93.184.216.34/hook",  # http outside the sandbox
                "https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data",
                "https://[::1]/hook", "https://[fd00:ec2::254]/hook", "https://localhost/hook",
            ]:  # fmt: skip
                body = assert_error_response(http.post(PATH, json={"url": url, "event_types": ["*"]}), 422)
                assert body["code"] == "webhook_url_refused", (url, body)
            accepted = http.post(PATH, json={"url": "https://93.184.216.34/hook", "event_types": ["*"]})
            assert accepted.status_code == 201, accepted.text
            refused = http.patch(f"{PATH}/{accepted.json()['id']}", json={"url": "https://192.168.1.10/hook"})
            assert assert_error_response(refused, 422)["code"] == "webhook_url_refused"
    finally:
        replica.stop()


@pytest.mark.skipif(not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (kills and restarts the executable)")
def test_kill9_betweenAFillsCommitAndItsDelivery_deliveredAfterRestart_oncePerWebhookId(tmp_path) -> None:
    """The receiver holds the fill's first delivery open; the gateway is killed (-9) while
    it waits. After a restart on the same store the delivery goes out again under the same
    `webhook-id`: at least once, and exactly one distinct id per event."""
    store = tmp_path / "hooks.sqlite"
    partner_key, operator_key = random_key("partner"), random_key("operator")
    env = isolated_env(partner_key, operator_key, BROKERGATE_CLOCK="2026-12-01T15:00:00Z")
    first_arrived = threading.Event()

    def answer(n: int) -> int:
        if n == 0:
            first_arrived.set()
            time.sleep(5)  # the gateway dies meanwhile
        return 204

    receiver = Receiver(answer=answer)
    gateway = Replica(f"sqlite:{store}", env)
    try:
        client = Dinari(api_key_id=partner_key[0], api_secret_key=partner_key[1], base_url=gateway.base,
                        _strict_response_validation=True, max_retries=0)  # fmt: skip
        http = httpx.Client(base_url=gateway.base, headers=_headers(*partner_key), timeout=10)
        endpoint = http.post(PATH, json={"url": receiver.url, "event_types": ["order.filled"]}).json()
        receiver.secrets.append(endpoint["secret"])
        aapl_id = client.v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
        account_id = trading_account(client)
        order = client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=50)
        assert first_arrived.wait(timeout=WAIT_S_MAX), "the fill's delivery never started"
        gateway.kill9()

        gateway = Replica(f"sqlite:{store}", env)
        got = _wait(lambda: len(receiver.snapshot()) >= 2 and receiver.snapshot())
        assert got, receiver.snapshot()
        assert len({d.webhook_id for d in got}) == 1 and all(d.verified for d in got)
        assert got[0].payload["data"]["id"] == order.order_id and got[0].payload["type"] == "order.filled"
        time.sleep(1.5)  # nothing more arrives: delivered is delivered
        assert len(receiver.snapshot()) == len(got)
    finally:
        gateway.stop()
        receiver.close()
