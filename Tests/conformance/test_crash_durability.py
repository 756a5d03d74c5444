"""DESIGN.md rule 5 at the foundation level: a write that returned 2xx survives `kill -9`
and a restart on the same SQLite file, and the bootstrap keys are idempotent across
restarts. Runs its own server processes; needs ``BROKERGATE_BIN``."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (kills and restarts the executable)"
)

START_WAIT_S_MAX = 60.0
CRASHES = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gateway process on a fixed SQLite file."""

    def __init__(self, store: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [os.environ["BROKERGATE_BIN"], "serve", "--host", "127.0.0.1", "--port", str(self.port), "--store", f"sqlite:{store}"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_WAIT_S_MAX
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.process.kill()
        raise AssertionError("gateway did not become healthy")

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def test_acknowledgedWrites_surviveKill9_andRestart(tmp_path: Path) -> None:
    store = tmp_path / "durable.sqlite"
    operator = ("operator-" + secrets.token_hex(4), secrets.token_urlsafe(24))
    env = {name: value for name, value in os.environ.items() if not name.startswith(("BROKERGATE_", "DINARI_"))}
    env.update(
        BROKERGATE_OPERATOR_KEY_ID=operator[0], BROKERGATE_OPERATOR_SECRET=operator[1],
        BROKERGATE_PARTNER_KEY_ID="partner-" + secrets.token_hex(4), BROKERGATE_PARTNER_SECRET=secrets.token_urlsafe(24),
    )
    headers = {"X-API-Key-Id": operator[0], "X-API-Secret-Key": operator[1]}
    acknowledged: list[tuple[str, str, str]] = []  # (name, key id, secret)
    for crash in range(CRASHES):
        server = Server(store, env)
        # Everything acknowledged before this crash is still there, and its key still works.
        for name, key_id, secret in acknowledged:
            me = httpx.get(f"{server.base}/api/v2/entities/me", headers={"X-API-Key-Id": key_id, "X-API-Secret-Key": secret})
            assert me.status_code == 200, (crash, name, me.text)
            assert me.json()["name"] == name
        for index in range(5):
            name = f"Durable {crash}-{index}"
            created = httpx.post(f"{server.base}/api/v2/operator/organizations", headers=headers, json={"name": name})
            assert created.status_code == 201, created.text
            key = created.json()["api_key"]
            acknowledged.append((name, key["id"], key["secret"]))
        # Straight after the last 2xx: no graceful shutdown, no checkpoint.
        server.kill9()
    final = Server(store, env)
    try:
        for name, key_id, secret in acknowledged:
            me = httpx.get(f"{final.base}/api/v2/entities/me", headers={"X-API-Key-Id": key_id, "X-API-Secret-Key": secret})
            assert me.status_code == 200 and me.json()["name"] == name, (name, me.text)
        assert httpx.get(f"{final.base}/ready").status_code == 200
    finally:
        final.kill9()
    assert len(acknowledged) == 5 * CRASHES
