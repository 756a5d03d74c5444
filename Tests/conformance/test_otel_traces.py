"""OpenTelemetry traces (issue #23, item 6): one order's trace, exported over OTLP/HTTP.

A local OTLP/HTTP receiver (a thread on a free loopback port, decoding
``ExportTraceServiceRequest`` with ``opentelemetry-proto``) stands in for a collector. The
gateway runs on ``--broker alpaca`` against ``alpaca-sim`` with ``--otel-endpoint``; one
market order is placed through the Dinari SDK in strict mode with a ``traceparent`` the test
chose. The receiver must get, all in that trace: the HTTP server span (a child of the
caller's span), store spans and the Alpaca client span below it; alpaca-sim must have
received the order with a ``traceparent`` of that trace; and the gateway's log line for
the request must carry the trace id.

Exporting needs a gateway built with ``--traits OTel``. Against one built without it the
test skips, unless ``BROKERGATE_OTEL_REQUIRED`` is set (CI), where it fails instead.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from dinari_api_sdk import Dinari
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from processes import AlpacaSim, Replica, isolated_env, random_key
from test_orders_sdk import trading_account

pytestmark = pytest.mark.skipif(
    not (os.environ.get("BROKERGATE_BIN") and os.environ.get("ALPACA_SIM_BIN")),
    reason="needs BROKERGATE_BIN and ALPACA_SIM_BIN (starts both executables)",
)

TUESDAY_REGULAR = "2026-12-01T15:00:00Z"  # 10:00 ET
WAIT_S_MAX = 20.0
NOT_COMPILED_IN = "built without the OTel trait"


class OTLPReceiver:
    """An OTLP/HTTP traces endpoint: keeps every span it is sent, answers 200."""

    def __init__(self) -> None:
        self.spans: list[trace_pb2.Span] = []
        self.service_names: set[str] = set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.keep(self.path, self.headers.get("Content-Type"), request)
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        self.paths: list[tuple[str, str | None]] = []
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keep(self, path: str, content_type: str | None, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        with self.lock:
            self.paths.append((path, content_type))
            for resource_spans in request.resource_spans:
                for attribute in resource_spans.resource.attributes:
                    if attribute.key == "service.name":
                        self.service_names.add(attribute.value.string_value)
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend(scope_spans.spans)

    def trace(self, trace_id: str) -> list[trace_pb2.Span]:
        with self.lock:
            return [span for span in self.spans if span.trace_id.hex() == trace_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def otel_compiled_in() -> bool:
    """Whether BROKERGATE_BIN was built with --traits OTel: one built without it refuses
    --otel-endpoint, naming the trait, before it reads the (here invalid) settings after it."""
    probe = subprocess.run(
        [os.environ["BROKERGATE_BIN"], "serve", "--otel-endpoint", "http://127.0.0.1:9/v1/traces", "--idempotency-retention-hours", "0"],
        capture_output=True, text=True, timeout=30, env={"PATH": os.environ.get("PATH", "")}, check=False,
    )  # fmt: skip
    assert probe.returncode == 2, (probe.returncode, probe.stderr)
    return NOT_COMPILED_IN not in probe.stderr


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    if not otel_compiled_in():
        if os.environ.get("BROKERGATE_OTEL_REQUIRED"):
            pytest.fail(f"BROKERGATE_OTEL_REQUIRED is set but {os.environ['BROKERGATE_BIN']} was {NOT_COMPILED_IN} (swift build --traits OTel)")
        pytest.skip(f"BROKERGATE_BIN was {NOT_COMPILED_IN}; build it with swift build -c release --product brokergate --traits OTel")
    made = OTLPReceiver()
    yield made
    made.close()


def test_otelBuild_oneMarketOrder_isOneTrace_fromTheRequestThroughTheStoreToAlpaca(receiver: OTLPReceiver, tmp_path: Path) -> None:
    sim = AlpacaSim(TUESDAY_REGULAR)
    partner, operator = random_key("partner"), random_key("operator")
    env = isolated_env(
        partner, operator, BROKERGATE_CLOCK=TUESDAY_REGULAR, BROKERGATE_OTEL_ENDPOINT=receiver.endpoint,
        BROKERGATE_OTEL_SERVICE_NAME="brokergate-otel-test", OTEL_BSP_SCHEDULE_DELAY="200", **sim.gateway_env(),
    )  # fmt: skip
    gateway = Replica(f"sqlite:{tmp_path / 'gateway.sqlite'}", env, log_level="info")
    try:
        client = Dinari(
            api_key_id=partner[0], api_secret_key=partner[1], base_url=gateway.base,
            _strict_response_validation=True, max_retries=0,
        )  # fmt: skip
        aapl = client.v2.market_data.stocks.list(symbols=["AAPL"]).data[0].id
        # A malformed traceparent is ignored (a trace of its own), and never logs the keys beside it.
        keyed = {"X-API-Key-Id": partner[0], "X-API-Secret-Key": partner[1], "traceparent": "00-not-a-trace-01"}
        assert httpx.get(f"{gateway.base}/api/v2/entities", headers=keyed, timeout=10).status_code == 200
        account_id = trading_account(client)
        trace_id, caller_span_id = secrets.token_hex(16), secrets.token_hex(8)
        placed = client.v2.accounts.order_requests.create_market_buy(
            account_id, stock_id=aapl, payment_amount=100, extra_headers={"traceparent": f"00-{trace_id}-{caller_span_id}-01"}
        )

        spans = wait_for_spans(receiver, trace_id)
        by_id = {span.span_id.hex(): span for span in spans}
        [server] = [span for span in spans if span.kind == trace_pb2.Span.SPAN_KIND_SERVER]
        assert server.parent_span_id.hex() == caller_span_id
        assert server.name == "POST /api/v2/accounts/{account_id}/order_requests/market_buy", server.name
        assert attribute(server, "http.response.status_code") == 201
        stores = [span for span in spans if span.name.startswith("store.")]
        assert stores and all(descends(span, server, by_id) for span in stores), [s.name for s in spans]
        [broker] = [span for span in spans if span.name == "alpaca POST /v2/orders"]
        assert broker.kind == trace_pb2.Span.SPAN_KIND_CLIENT and descends(broker, server, by_id)
        assert attribute(broker, "http.response.status_code") == 200
        assert receiver.service_names == {"brokergate-otel-test"}
        # Nothing secret in any exported span: no API key or Alpaca key, id or secret.
        exported = b"".join(span.SerializeToString() for span in receiver.spans)
        for secret in (partner[0], partner[1], sim.key_id, sim.secret_key):
            assert secret.encode() not in exported

        # alpaca-sim got the order with the broker span's context.
        sent = [line for line in sim_log(sim) if "order received" in line and placed.order_id in line]
        assert sent and f"00-{trace_id}-{broker.span_id.hex()}-01" in sent[0], sent
    finally:
        gateway.stop()
        sim.stop()

    log = Path(gateway.log.name).read_text()
    assert partner[1] not in log, "the partner's secret appears in the gateway's log"
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line.get("msg") == "request" and line.get("route", "").endswith("/market_buy")]
    assert access["trace_id"] == trace_id and access["span_id"] == server.span_id.hex(), access


def wait_for_spans(receiver: OTLPReceiver, trace_id: str) -> list[trace_pb2.Span]:
    """The trace once its server span and the Alpaca call have arrived (batched every 200 ms)."""
    deadline = time.monotonic() + WAIT_S_MAX
    while True:
        spans = receiver.trace(trace_id)
        names = {span.name for span in spans}
        if "alpaca POST /v2/orders" in names and any(s.kind == trace_pb2.Span.SPAN_KIND_SERVER for s in spans):
            return spans
        assert time.monotonic() < deadline, f"no complete trace within {WAIT_S_MAX:.0f} s; got {sorted(names)}, posts {receiver.paths}"
        time.sleep(0.2)


def descends(span: trace_pb2.Span, ancestor: trace_pb2.Span, by_id: dict[str, trace_pb2.Span]) -> bool:
    parent = span.parent_span_id.hex()
    while parent in by_id:
        if parent == ancestor.span_id.hex():
            return True
        parent = by_id[parent].parent_span_id.hex()
    return False


def attribute(span: trace_pb2.Span, key: str) -> object:
    for item in span.attributes:
        if item.key == key:
            value = item.value
            return getattr(value, value.WhichOneof("value"))
    return None


def sim_log(sim: AlpacaSim) -> list[str]:
    with open(sim.log.name, encoding="utf-8", errors="replace") as file:
        return file.readlines()
