"""Gateway processes the crash and replica tests start, kill and restart themselves."""

from __future__ import annotations

import os
import secrets
import select
import signal
import socket
import subprocess
import tempfile
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

START_WAIT_S_MAX = 60.0
PG = os.environ.get("BROKERGATE_TEST_POSTGRES_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_postgres_store(prefix: str) -> str:
    """A new, empty database on the test server (BROKERGATE_TEST_POSTGRES_URL), as a --store value."""
    database = f"{prefix}_{secrets.token_hex(6)}"
    subprocess.run(["psql", PG, "-qc", f"CREATE DATABASE {database}"], check=True)
    return PG.rsplit("/", 1)[0] + "/" + database


def random_key(role: str) -> tuple[str, str]:
    """A fresh (key id, secret) for a bootstrap key."""
    return f"{role}-{secrets.token_hex(4)}", secrets.token_urlsafe(24)


def isolated_env(partner: tuple[str, str], operator: tuple[str, str], **settings: str) -> dict[str, str]:
    """The caller's environment without any BROKERGATE_/DINARI_ setting, plus the bootstrap
    keys and `settings` (e.g. BROKERGATE_CLOCK): a run depends only on what the test states."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("BROKERGATE_", "DINARI_"))}
    env.update(
        BROKERGATE_PARTNER_KEY_ID=partner[0], BROKERGATE_PARTNER_SECRET=partner[1],
        BROKERGATE_OPERATOR_KEY_ID=operator[0], BROKERGATE_OPERATOR_SECRET=operator[1],
        **settings,
    )  # fmt: skip
    return env


TOOL_WAIT_S_MAX = 60.0


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """`brokergate ARGS…` (a store tool: backup, verify-store, migrate-store) without any
    BROKERGATE_/DINARI_ setting of the caller's shell; never raises on its exit code."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("BROKERGATE_", "DINARI_"))}
    return subprocess.run(
        [os.environ["BROKERGATE_BIN"], *args], capture_output=True, text=True, timeout=TOOL_WAIT_S_MAX, env=env, check=False
    )


class Replica:
    """One `brokergate serve` process on `store` (a --store value), ready when constructed;
    it logs at `log_level` (warning: only what a failing test needs)."""

    def __init__(self, store: str, env: dict[str, str], log_level: str = "warning") -> None:
        self.store, self.env, self.log_level = store, env, log_level
        self.start()

    def start(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [os.environ["BROKERGATE_BIN"], "serve", "--host", "127.0.0.1", "--port", str(self.port), "--store", self.store, "--log-level", self.log_level]
        # Warnings and errors go to a file the test prints when it fails: a 500's cause is
        # in the log under its request id.
        self.log = tempfile.NamedTemporaryFile(prefix="brokergate-replica-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_WAIT_S_MAX
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/ready", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.process.kill()
        raise AssertionError("gateway did not become ready")

    def log_tail(self, lines: int = 40) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as file:
            return "".join(file.readlines()[-lines:])

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM; the exit code must be 0."""
        if self.process.poll() is None:
            self.process.terminate()
            assert self.process.wait(timeout=20) == 0, "gateway did not exit 0 on SIGTERM"


def listening_line(process: subprocess.Popen, name: str, log_tail: Callable[[], str]) -> str:
    """The first stdout line of a server that prints `… listening on http://HOST:PORT`."""
    deadline = time.monotonic() + START_WAIT_S_MAX
    buffered = b""
    while b"\n" not in buffered:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{name} printed no listening line within {START_WAIT_S_MAX:.0f} s"
        ready, _, _ = select.select([process.stdout], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(process.stdout.fileno(), 4096)
            assert chunk, f"{name} exited ({process.poll()}) before it listened:\n{log_tail()}"
            buffered += chunk
    line = buffered.split(b"\n", 1)[0].decode()
    assert "listening on " in line, line
    return line


class EvmNode:
    """Tests/conformance/evm_node.py (py-evm behind JSON-RPC) on a free port, with `fund`
    given 1000 ETH each; `control` drives its test switches (/evm/mine, faults, reorg)."""

    SCRIPT = Path(__file__).resolve().parent / "evm_node.py"

    def __init__(self, chain_id: int, fund: list[str], block_time: float = 0.0) -> None:
        command = [sys.executable, str(self.SCRIPT), "--port", "0", "--chain-id", str(chain_id), "--block-time", str(block_time)]
        if fund:
            command += ["--fund", *fund]
        self.log = tempfile.NamedTemporaryFile(prefix="evm-node-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        self.url = listening_line(self.process, "evm_node.py", self.log_tail).split("listening on ", 1)[1].strip()

    def control(self, path: str, body: dict) -> dict:
        response = httpx.post(f"{self.url}/evm/{path}", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/evm/stats", timeout=10).json()

    def log_tail(self, lines: int = 30) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as file:
            return "".join(file.readlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        Path(self.log.name).unlink(missing_ok=True)


class AlpacaSim:
    """One `alpaca-sim` process (ALPACA_SIM_BIN) on a free port, its books in memory, its
    clock started at `clock`, random keys; `control` drives its test switches (/sim/...)."""

    def __init__(self, clock: str | None = None, *args: str) -> None:
        self.key_id, self.secret_key = f"alpaca-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
        command = [os.environ["ALPACA_SIM_BIN"], "--port", "0", "--store", "memory", *(["--clock", clock] if clock else []), *args]
        # Inherited ALPACA_SIM_* settings would make the run depend on the caller's shell.
        env = {name: value for name, value in os.environ.items() if not name.startswith("ALPACA_SIM_")}
        env.update(ALPACA_SIM_KEY_ID=self.key_id, ALPACA_SIM_SECRET_KEY=self.secret_key)
        # stdout carries the one line naming the port; logs go to a file, so a chatty
        # simulator never blocks on a full pipe.
        self.log = tempfile.NamedTemporaryFile(prefix="alpaca-sim-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        line = listening_line(self.process, "alpaca-sim", self.stderr_tail)
        self.base_url = line.split("listening on ", 1)[1].strip().rstrip("/")
        self.ws_url = self.base_url.replace("http://", "ws://", 1) + "/stream"
        self.headers = {"APCA-API-KEY-ID": self.key_id, "APCA-API-SECRET-KEY": self.secret_key}
        assert httpx.get(f"{self.base_url}/sim/health", timeout=10).status_code == 200

    def gateway_env(self) -> dict[str, str]:
        """The gateway's settings for trading through this simulator."""
        return {
            "BROKERGATE_BROKER": "alpaca", "BROKERGATE_ALPACA_BASE_URL": self.base_url, "BROKERGATE_ALPACA_STREAM_URL": self.ws_url,
            "BROKERGATE_ALPACA_KEY_ID": self.key_id, "BROKERGATE_ALPACA_SECRET_KEY": self.secret_key,
        }  # fmt: skip

    def control(self, method: str, path: str, body: dict | None = None) -> httpx.Response:
        """A call with the simulator's keys (its /sim switches, or Alpaca's /v2 routes); must answer 2xx."""
        response = httpx.request(method, f"{self.base_url}{path}", json=body, headers=self.headers, timeout=10)
        assert response.is_success, (method, path, body, response.status_code, response.text)
        return response

    def set_clock(self, now: str) -> None:
        self.control("PUT", "/sim/clock", {"now": now})

    def set_faults(self, mode: str, count: int | None = None, hang_seconds: int | None = None) -> None:
        body = {"mode": mode, **({"count": count} if count is not None else {}), **({"hang_seconds": hang_seconds} if hang_seconds else {})}
        self.control("PUT", "/sim/faults", body)

    def stderr_tail(self, lines: int = 30) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as file:
            return "".join(file.readlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM; the exit code must be 0."""
        if self.process.poll() is None:
            self.process.terminate()
            assert self.process.wait(timeout=20) == 0, f"alpaca-sim did not exit 0 on SIGTERM:\n{self.stderr_tail()}"
