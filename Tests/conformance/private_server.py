"""A BrokerGate server of a test module's own, started with the flags that module needs
(short timeouts, low limits, trace logging) so it does not change the shared session
server other tests rely on. Needs ``BROKERGATE_BIN``; with only ``BROKERGATE_BASE_URL`` the
tests that use it are skipped (an external server's flags cannot be chosen)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_WAIT_S_MAX = 60.0


@dataclasses.dataclass
class PrivateServer:
    base_url: str
    host: str
    port: int
    partner_key_id: str
    partner_secret: str
    operator_key_id: str
    operator_secret: str
    wallet_key: str
    stdout_path: Path
    stderr_path: Path
    process: subprocess.Popen[bytes]

    @property
    def partner_headers(self) -> dict[str, str]:
        return {"X-API-Key-Id": self.partner_key_id, "X-API-Secret-Key": self.partner_secret}

    @property
    def operator_headers(self) -> dict[str, str]:
        return {"X-API-Key-Id": self.operator_key_id, "X-API-Secret-Key": self.operator_secret}

    def output(self) -> bytes:
        return b"".join(path.read_bytes() for path in (self.stdout_path, self.stderr_path) if path.exists())

    def is_running(self) -> bool:
        return self.process.poll() is None


def report_line(config: pytest.Config, text: str) -> None:
    """Writes a count to the terminal even under -q and output capture, so CI logs show what
    was tried."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        reporter.write_line(text)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def private_server(*flags: str, env: dict[str, str] | None = None) -> Iterator[PrivateServer]:
    """Starts ``brokergate serve`` on a free loopback port with the memory store, sandbox,
    random keys and ``flags``; stops it with SIGTERM (exit 0 required) afterwards."""
    binary = os.environ.get("BROKERGATE_BIN")
    if not binary:
        pytest.skip("needs BROKERGATE_BIN: this test starts a server with flags of its own")
    with tempfile.TemporaryDirectory(prefix="brokergate-private-") as tmp:
        port = _free_port()
        server_env = {k: v for k, v in os.environ.items() if not k.startswith(("BROKERGATE_", "DINARI_"))}
        keys = {
            "BROKERGATE_PARTNER_KEY_ID": f"partner-{secrets.token_hex(6)}",
            "BROKERGATE_PARTNER_SECRET": secrets.token_urlsafe(32),
            "BROKERGATE_OPERATOR_KEY_ID": f"operator-{secrets.token_hex(6)}",
            "BROKERGATE_OPERATOR_SECRET": secrets.token_urlsafe(32),
            "BROKERGATE_WALLET_KEY": secrets.token_hex(32),
        }
        server_env.update(keys)
        server_env.update(env or {})
        stdout_path, stderr_path = Path(tmp) / "stdout.log", Path(tmp) / "stderr.log"
        command = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--store", "memory", "--sandbox", *flags]
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=server_env, cwd=REPO_ROOT)
        server = PrivateServer(
            base_url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port,
            partner_key_id=keys["BROKERGATE_PARTNER_KEY_ID"], partner_secret=keys["BROKERGATE_PARTNER_SECRET"],
            operator_key_id=keys["BROKERGATE_OPERATOR_KEY_ID"], operator_secret=keys["BROKERGATE_OPERATOR_SECRET"],
            wallet_key=keys["BROKERGATE_WALLET_KEY"], stdout_path=stdout_path, stderr_path=stderr_path, process=process,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + START_WAIT_S_MAX
            while True:
                if process.poll() is not None:
                    pytest.fail(f"private server exited: {stderr_path.read_text(errors='replace')[-2000:]}")
                try:
                    if httpx.get(f"{server.base_url}/health", timeout=2.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("private server did not answer /health")
                time.sleep(0.1)
            yield server
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
