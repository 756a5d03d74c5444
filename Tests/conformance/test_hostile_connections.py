"""Raw-socket abuse against the real binary (issue 12): slow headers and bodies, idle
sockets, oversized and too many headers, malformed framing, garbage bytes and a connection
flood. Each attempt must end in a clear 4xx or a closed connection within its bound, and
the server must keep answering /health afterwards.

The server is private (see private_server.py) with short bounds so the test runs in
seconds: idle timeout 2 s, body timeout 2 s, 40 connections.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from private_server import PrivateServer, private_server, report_line

IDLE_S = 2
BODY_S = 2
CONNECTIONS_MAX = 40
# How long past a bound the server may take to act on it (scheduling on a busy CI machine).
SLACK_S = 6.0
TRIED: list[str] = []


@pytest.fixture(scope="module")
def server(pytestconfig: pytest.Config) -> Iterator[PrivateServer]:
    with private_server(
        "--idle-timeout-seconds", str(IDLE_S), "--body-timeout-seconds", str(BODY_S),
        "--max-connections", str(CONNECTIONS_MAX), "--log-level", "warning",
    ) as running:  # fmt: skip
        yield running
        assert running.is_running(), "the server died"
        report_line(pytestconfig, f"hostile connections: {len(TRIED)} inputs tried, server still up")


def _connect(server: PrivateServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=SLACK_S + IDLE_S + BODY_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_until_closed(sock: socket.socket, timeout_s: float) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or `timeout_s` passes (False)."""
    sock.settimeout(timeout_s)
    received = b""
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return received, True
            received += chunk
    except (ConnectionResetError, BrokenPipeError):
        return received, True
    except TimeoutError:
        return received, False
    return received, False


def _status(response: bytes) -> int | None:
    if not response.startswith(b"HTTP/1.1 "):
        return None
    return int(response[9:12])


def _assert_alive(server: PrivateServer) -> None:
    assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200


def _try(label: str) -> None:
    TRIED.append(label)


def test_idleConnection_isClosed_afterTheIdleTimeout(server: PrivateServer) -> None:
    _try("idle socket")
    with _connect(server) as sock:
        started = time.monotonic()
        _, closed = _read_until_closed(sock, IDLE_S + SLACK_S)
        assert closed, "an idle connection stayed open past the idle timeout"
        assert time.monotonic() - started >= IDLE_S - 0.5
    _assert_alive(server)


def test_slowLorisHeaders_areCutOff(server: PrivateServer) -> None:
    """A request head trickled a byte at a time never completes: the idle timeout runs from
    the last complete HTTP part, so the connection closes about IDLE_S after it opened."""
    _try("slow-loris request head")
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        closed = False
        for byte in b"X-Slow: " + b"a" * 200:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.25)
            if time.monotonic() - started > IDLE_S + SLACK_S:
                break
        if not closed:
            _, closed = _read_until_closed(sock, 1.0)
        assert closed, "a trickled request head held the connection past the idle timeout"
        assert time.monotonic() - started < IDLE_S + SLACK_S
    _assert_alive(server)


def test_slowBody_is408_withinTheBodyBound(server: PrivateServer) -> None:
    """A body trickled faster than the idle timeout but slower than the body bound gets 408."""
    _try("slow body")
    head = (
        "POST /api/v2/entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n"
        f"X-API-Key-Id: {server.partner_key_id}\r\nX-API-Secret-Key: {server.partner_secret}\r\n\r\n"
    ).encode()
    with _connect(server) as sock:
        sock.sendall(head + b'{"name": "')
        started = time.monotonic()
        response = b""
        while time.monotonic() - started < BODY_S + SLACK_S:
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                break
            sock.settimeout(0.5)
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                response += chunk
                if b"\r\n\r\n" in response:
                    break
            except TimeoutError:
                pass
        assert _status(response) == 408, response[:300]
        assert b"request_body_timeout" in response or b"\r\n\r\n" in response
        assert time.monotonic() - started < BODY_S + SLACK_S
    _assert_alive(server)


@pytest.mark.parametrize(
    ("label", "head"),
    [
        ("header of 100 KiB", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * (100 << 10) + "\r\n\r\n"),
        ("500 header fields", "GET /health HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-H{i}: v\r\n" for i in range(500)) + "\r\n"),
        ("request line of 100 KiB", "GET /" + "a" * (100 << 10) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("negative Content-Length", "POST /api/v2/entities HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
        ("non-numeric Content-Length", "POST /api/v2/entities HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n"),
        ("two Content-Lengths", "POST /api/v2/entities HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        (
            "Content-Length with chunked",
            "POST /api/v2/entities HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ),
        ("bad chunk size", "POST /api/v2/entities HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n"),
        ("header without colon", "GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"),
        ("NUL in header value", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"),
        ("CR injection in header", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\rX-B: b\r\n\r\n"),
        ("HTTP/0.9 request", "GET /health\r\n\r\n"),
        ("unknown HTTP version", "GET /health HTTP/7.0\r\nHost: x\r\n\r\n"),
        ("garbage bytes", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "\xff" * 64),
        ("absolute-form to another host", "GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("space in path", "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n"),
    ],
)
def test_malformedOrOversizedRequest_isA4xxOrAClosedConnection(server: PrivateServer, label: str, head: str) -> None:
    _try(label)
    with _connect(server) as sock:
        try:
            sock.sendall(head.encode("latin-1"))
        except (BrokenPipeError, ConnectionResetError):
            _assert_alive(server)
            return
        response, closed = _read_until_closed(sock, IDLE_S + SLACK_S)
        status = _status(response)
        assert closed or status is not None, f"{label}: no answer and still open"
        assert status is None or 400 <= status < 500 or (status == 200 and label == "absolute-form to another host" and b'"ok"' in response), (
            f"{label}: {response[:300]!r}"
        )
    _assert_alive(server)


def test_connectionFlood_isBounded_andTheServerStaysUp(server: PrivateServer) -> None:
    """Past the connection limit new sockets are closed on accept; when the flood ends the
    server answers again."""
    _try("connection flood")
    opened: list[socket.socket] = []
    refused = 0
    try:
        for _ in range(CONNECTIONS_MAX * 3):
            try:
                opened.append(_connect(server))
            except OSError:
                refused += 1
        time.sleep(0.5)
        closed_by_server = 0
        for sock in opened:
            sock.settimeout(0.2)
            try:
                if sock.recv(1) == b"":
                    closed_by_server += 1
            except TimeoutError:
                pass
            except (ConnectionResetError, BrokenPipeError):
                closed_by_server += 1
        # At most CONNECTIONS_MAX stay open (a few slots may be held by other tests' sockets).
        assert len(opened) - closed_by_server <= CONNECTIONS_MAX, (len(opened), closed_by_server)
        assert closed_by_server + refused >= CONNECTIONS_MAX * 2 - 2
    finally:
        for sock in opened:
            sock.close()
    deadline = time.monotonic() + IDLE_S + SLACK_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    _assert_alive(server)
