"""Issue 18's event feed through real clients: the SDK drives a journey, plain HTTP reads
the feed (Dinari's SDK has no events resource: this is our extension) and an SSE client
reads the stream.

- A journey (KYC → account → wallet → buy → fill → sell → withdrawal) produces the expected
  event types, in order per resource, each ``data`` parsing as the SDK's own model in strict
  mode and equal to what the resource's GET answers.
- A stream reader that disconnects every few hundred events and resumes with
  ``Last-Event-ID`` ends with all 1,000 events exactly once, in feed order, while a writer
  keeps producing them.
- An idle stream carries a heartbeat comment; SIGTERM ends a stream cleanly and the
  gateway exits 0.
- Another organization sees none of it, in the list or the stream.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dinari_api_sdk import Dinari
from dinari_api_sdk.types.v2.accounts import Fulfillment, Order, OrderRequest, Wallet, Withdrawal, WithdrawalRequest
from dinari_api_sdk.types.v2.entities import Account, KYCInfo
from pydantic import TypeAdapter

from processes import Replica, isolated_env, random_key
from support import assert_error_response
from test_orders_sdk import Clock, aapl_id, clock, trading_account, wait_for_status  # noqa: F401 - fixtures

TUESDAY_REGULAR = "2026-12-01T15:00:00Z"
SEQUENCER_WAIT_S_MAX = 10.0
STREAM_EVENTS = 1000


def _headers(key_id: str, secret: str) -> dict[str, str]:
    return {"X-API-Key-Id": key_id, "X-API-Secret-Key": secret}


def _feed(base_url: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every event of the caller, walking pages with `after`."""
    events: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {"limit": 100, **params, **({"after": after} if after else {})}
        response = httpx.get(f"{base_url}/api/v2/events", params=query, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"data", "has_more"}
        events += page["data"]
        if not page["has_more"]:
            return events
        after = page["data"][-1]["id"]


def _wait_for_feed(base_url: str, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    """The feed once it holds `count` events (the sequencer numbers them within a tick)."""
    deadline = time.monotonic() + SEQUENCER_WAIT_S_MAX
    while True:
        events = _feed(base_url, headers)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def _frames(response: httpx.Response) -> Iterator[dict[str, str]]:
    """SSE frames as dicts of their fields; comments as {"comment": text}."""
    frame: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            if frame:
                yield frame
            frame = {}
        elif line.startswith(":"):
            yield {"comment": line[1:].strip()}
        else:
            name, _, value = line.partition(":")
            frame[name] = value[1:] if value.startswith(" ") else value


@pytest.fixture
def fresh_partner(create_partner_organization) -> tuple[Dinari, dict[str, str]]:
    """A partner organization of its own, so its feed holds only what the test does."""
    created = create_partner_organization()
    return created.client, _headers(created.api_key_id, created.api_secret)


def test_sdkJourney_announcesEveryChange_inOrderPerResource_asTheResourceRenders(
    fresh_partner: tuple[Dinari, dict[str, str]], clock: Clock, aapl_id: str, gateway
) -> None:
    client, headers = fresh_partner
    with clock(TUESDAY_REGULAR):
        account_id = trading_account(client)
        buy = client.v2.accounts.order_requests.create_market_buy(account_id, stock_id=aapl_id, payment_amount=100)
        bought = wait_for_status(client, account_id, buy.order_id, leaving="SUBMITTED")
        assert bought.status == "FILLED"
        sell = client.v2.accounts.order_requests.create_market_sell(
            account_id, stock_id=aapl_id, asset_quantity=float(bought.asset_token_quantity) / 2
        )
        sold = wait_for_status(client, account_id, sell.order_id, leaving="SUBMITTED")
        assert sold.status == "FILLED"
        withdrawal = client.v2.accounts.withdrawal_requests.create(
            account_id, payment_token_quantity=10, recipient_account_id=account_id
        )

    expected = [
        "kyc.passed", "account.created", "wallet.linked",
        "order_request.accepted", "order_fulfillment.created", "order.filled",
        "order_request.accepted", "order_fulfillment.created", "order.filled",
        "withdrawal.requested", "withdrawal.completed",
    ]  # fmt: skip
    events = _wait_for_feed(gateway.base_url, headers, len(expected))
    assert [event["type"] for event in events] == expected
    assert len({event["id"] for event in events}) == len(events)

    # Each event's data is the SDK's own model, strictly, and what its GET answers.
    models = {
        "kyc.passed": KYCInfo, "account.created": Account, "wallet.linked": Wallet, "order_request.accepted": OrderRequest,
        "order.filled": Order, "order_fulfillment.created": Fulfillment, "withdrawal.requested": WithdrawalRequest,
        "withdrawal.completed": Withdrawal,
    }  # fmt: skip
    for event in events:
        TypeAdapter(models[event["type"]]).validate_json(json.dumps(event["data"]), strict=True)
    raw = httpx.Client(base_url=gateway.base_url, headers=headers, timeout=10)
    by_type = {event["type"]: event for event in events}  # the last of each type: the sell, for orders
    assert by_type["order.filled"]["data"] == raw.get(f"/api/v2/accounts/{account_id}/orders/{sell.order_id}").json()
    assert by_type["order_request.accepted"]["data"] == raw.get(f"/api/v2/accounts/{account_id}/order_requests/{sell.id}").json()
    assert by_type["wallet.linked"]["data"] == raw.get(f"/api/v2/accounts/{account_id}/wallet").json()
    assert by_type["withdrawal.completed"]["data"] == raw.get(f"/api/v2/accounts/{account_id}/withdrawals").json()["data"][0]
    assert by_type["withdrawal.requested"]["data"]["id"] == withdrawal.id
    # Per order: accepted, then its fill, then filled.
    for order_id in (buy.order_id, sell.order_id):
        mine = [e["type"] for e in events if order_id in (e["data"].get("order_id"), e["data"].get("id"))]
        assert mine == ["order_request.accepted", "order_fulfillment.created", "order.filled"], mine

    # Filters: the types asked for, in the same order.
    assert [e["id"] for e in _feed(gateway.base_url, headers, types="order.filled,kyc.passed")] == [
        e["id"] for e in events if e["type"] in ("order.filled", "kyc.passed")
    ]
    response = httpx.get(f"{gateway.base_url}/api/v2/events", params={"types": "order.filed"}, headers=headers, timeout=10)
    assert "order.filled" in assert_error_response(response, 400)["message"]


def test_anotherOrganization_seesNoneOfIt_inTheListOrTheStream(
    fresh_partner: tuple[Dinari, dict[str, str]], create_partner_organization, gateway
) -> None:
    client, headers = fresh_partner
    entity = client.v2.entities.create(name="Only Mine")
    client.v2.entities.accounts.create(entity.id, jurisdiction="BASELINE")
    mine = _wait_for_feed(gateway.base_url, headers, 1)
    assert [e["type"] for e in mine] == ["account.created"]

    other = create_partner_organization()
    other_headers = _headers(other.api_key_id, other.api_secret)
    assert _feed(gateway.base_url, other_headers) == []
    # My event id is no cursor of theirs: the same 400 as an id of the same instant that
    # never existed (event ids are version 7 UUIDs: their first 48 bits are the instant).
    # An id from before the event retention (30 days) is expired for anyone, kept or not.
    never_existed = mine[0]["id"][:-12] + ("0" * 12 if not mine[0]["id"].endswith("0" * 12) else "1" * 12)
    for cursor, code in (
        (mine[0]["id"], "invalid_field"),
        (never_existed, "invalid_field"),
        ("0193a1f2-0000-7000-8000-000000000000", "event_expired"),
    ):
        response = httpx.get(f"{gateway.base_url}/api/v2/events", params={"after": cursor}, headers=other_headers, timeout=10)
        assert assert_error_response(response, 400)["code"] == code, cursor
        response = httpx.get(
            f"{gateway.base_url}/api/v2/events/stream", headers={**other_headers, "Last-Event-ID": cursor}, timeout=10
        )
        assert assert_error_response(response, 400)["code"] == code, cursor
    # Their stream, open across my next event, carries nothing of mine: read until it has
    # been quiet for 2.5 s, past the stream's 1 s poll, so anything of mine would be here.
    got: list[dict[str, str]] = []
    quiet = httpx.Timeout(10, read=2.5)
    with httpx.stream("GET", f"{gateway.base_url}/api/v2/events/stream", headers=other_headers, timeout=quiet) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        client.v2.entities.accounts.create(entity.id, jurisdiction="BASELINE")
        _wait_for_feed(gateway.base_url, headers, 2)
        with pytest.raises(httpx.ReadTimeout):
            for frame in _frames(stream):
                got.append(frame)
    assert got == [{"retry": "1000"}]


def test_stream_resumedWithLastEventID_missesNothingAcross1000Events(
    fresh_partner: tuple[Dinari, dict[str, str]], gateway
) -> None:
    client, headers = fresh_partner
    entity = client.v2.entities.create(name="Many Accounts")
    http = httpx.Client(base_url=gateway.base_url, headers=headers, timeout=10)

    def write() -> None:
        written = 0
        while written < STREAM_EVENTS:
            response = http.post(f"/api/v2/entities/{entity.id}/accounts", json={"jurisdiction": "BASELINE"})
            if response.status_code == 429:  # faster than the key's rate: wait as told, as any client must
                time.sleep(float(response.headers["Retry-After"]))
                continue
            assert response.status_code == 201, response.text
            written += 1

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[dict[str, str]] = []
    last_id: str | None = None
    connections = 0
    deadline = time.monotonic() + 120
    while len(seen) < STREAM_EVENTS and time.monotonic() < deadline:
        resume = {"Last-Event-ID": last_id} if last_id else {}
        with httpx.stream("GET", f"{gateway.base_url}/api/v2/events/stream", headers={**headers, **resume}, timeout=10) as stream:
            if stream.status_code == 429:  # the writer spent the key's rate: wait as told, as it does
                time.sleep(float(stream.headers["Retry-After"]))
                continue
            assert stream.status_code == 200, stream.read()
            connections += 1
            taken = 0
            for frame in _frames(stream):
                if "id" not in frame:
                    continue
                seen.append(frame)
                last_id = frame["id"]
                taken += 1
                # Hang up every 150 events, mid-burst, and come back with the last id read.
                if taken == 150 or len(seen) == STREAM_EVENTS:
                    break
    writer.join(timeout=60)
    assert len(seen) == STREAM_EVENTS, f"{len(seen)} events over {connections} connections"
    assert connections >= STREAM_EVENTS // 150
    feed = _feed(gateway.base_url, headers)
    assert [frame["id"] for frame in seen] == [event["id"] for event in feed]
    assert {frame["event"] for frame in seen} == {"account.created"}
    # Each frame's data is the feed's event object, on one line.
    assert httpx.Response(200, content=seen[-1]["data"]).json() == feed[-1]


def test_idleStream_sendsAHeartbeat_andSIGTERMEndsItCleanly(tmp_path) -> None:
    partner, operator = random_key("partner"), random_key("operator")
    replica = Replica(f"sqlite:{tmp_path / 'events.sqlite'}", isolated_env(partner, operator))
    try:
        headers = _headers(*partner)
        with httpx.stream("GET", f"{replica.base}/api/v2/events/stream", headers=headers, timeout=30) as stream:
            frames = _frames(stream)
            assert next(frames) == {"retry": "1000"}
            started = time.monotonic()
            assert next(frames) == {"comment": "heartbeat"}
            assert 14 <= time.monotonic() - started <= 20
            replica.process.terminate()
            # The stream ends (no exception, no hang) and the process exits 0.
            assert list(frames) == []
        assert replica.process.wait(timeout=15) == 0
    finally:
        replica.stop()


def test_streamsPerOrganization_areBounded_andTheNextIs429(fresh_partner: tuple[Dinari, dict[str, str]], gateway) -> None:
    _, headers = fresh_partner
    url = f"{gateway.base_url}/api/v2/events/stream"
    with contextlib.ExitStack() as open_streams:
        for _ in range(8):
            stream = open_streams.enter_context(httpx.stream("GET", url, headers=headers, timeout=10))
            assert stream.status_code == 200
        refused = httpx.get(url, headers=headers, timeout=10)
        assert assert_error_response(refused, 429)["code"] == "too_many_streams"
        assert int(refused.headers["Retry-After"]) > 0
        # The list is not a stream: it still answers.
        assert httpx.get(f"{gateway.base_url}/api/v2/events", headers=headers, timeout=10).status_code == 200
