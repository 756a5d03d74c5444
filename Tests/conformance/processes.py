"""Gateway processes the crash and replica tests start, kill and restart themselves."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time

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


class Replica:
    """One `brokergate serve` process on `store` (a --store value), ready when constructed."""

    def __init__(self, store: str, env: dict[str, str]) -> None:
        self.store, self.env = store, env
        self.start()

    def start(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [os.environ["BROKERGATE_BIN"], "serve", "--host", "127.0.0.1", "--port", str(self.port), "--store", self.store, "--log-level", "warning"]
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
