"""Operating contract of the executable (DESIGN.md "Operating contract"): bad
configuration is one clear line on stderr and exit code 2, and a store password never
reaches the output. Needs ``BROKERGATE_BIN``; skipped against an external server."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

# A bad configuration must be refused at once; a process still running after this long
# has started serving instead.
REFUSAL_WAIT_S_MAX = 15.0

pytestmark = pytest.mark.skipif(
    not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (runs the executable itself)"
)


def _run(args: list[str], env_extra: dict[str, str], workdir: Path) -> tuple[int | None, str, str]:
    """Runs ``brokergate serve`` with `args`; returns (exit code or None if it had to be
    killed, stdout, stderr)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("BROKERGATE_", "DINARI_"))}
    env.update(env_extra)
    # --port 0 and a memory store: should a bad value be accepted after all, the server
    # that starts takes no fixed port and writes nothing.
    command = [os.environ["BROKERGATE_BIN"], "serve", "--host", "127.0.0.1", "--port", "0", "--store", "memory", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=workdir
    )
    try:
        stdout, stderr = process.communicate(timeout=REFUSAL_WAIT_S_MAX)
        return process.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        return None, stdout.decode(errors="replace"), stderr.decode(errors="replace")


@pytest.mark.parametrize(
    ("args", "env_extra", "named"),
    [
        (["--port", "70000"], {}, "--port"),
        (["--store", "bogus:x"], {}, "--store"),
        (["--log-level", "loud"], {}, "--log-level"),
        (["--clock", "yesterday"], {}, "--clock"),
        (["--no-such-flag"], {}, "--no-such-flag"),
        (
            [],
            {"BROKERGATE_PARTNER_KEY_ID": "partner-short", "BROKERGATE_PARTNER_SECRET": "short"},
            "BROKERGATE_PARTNER_SECRET",
        ),
        (["--rate-limit-ip-rps", "0"], {}, "--rate-limit-ip-rps"),
        ([], {"BROKERGATE_AUTH_FAILURES_MAX": "many"}, "--auth-failures-max"),
        (["--idle-timeout-seconds", "0"], {}, "--idle-timeout-seconds"),
        (["--max-connections", "-1"], {}, "--max-connections"),
        (["--broker", "alpaca"], {"BROKERGATE_ALPACA_KEY_ID": "PKTEST"}, "BROKERGATE_ALPACA_SECRET_KEY"),
        (["--broker", "ibkr"], {}, "--broker"),
        (
            [],
            {"BROKERGATE_BROKER": "alpaca", "BROKERGATE_ALPACA_KEY_ID": "k", "BROKERGATE_ALPACA_SECRET_KEY": "s",
             "BROKERGATE_ALPACA_BASE_URL": "ftp://alpaca"},
            "BROKERGATE_ALPACA_BASE_URL",
        ),  # fmt: skip
        (["--chain", "solana"], {}, "--chain"),
        (["--chain", "evm:http://127.0.0.1:1"], {}, "BROKERGATE_CHAIN_KEY"),
        (["--chain", "evm:http://127.0.0.1:1"], {"BROKERGATE_CHAIN_KEY": "not-a-key"}, "BROKERGATE_CHAIN_KEY"),
        (
            ["--chain", "evm:http://127.0.0.1:1", "--chain-confirmations", "5", "--chain-finality-depth", "2"],
            {"BROKERGATE_CHAIN_KEY": "11" * 32},
            "--chain-finality-depth",
        ),
        (["--alloys", "/nonexistent/alloys.json"], {}, "--alloys"),
        ([], {"BROKERGATE_ALLOYS": "ALLOYS_FILE:{\"alloys\": [{\"symbol\": \"ALLOY.X\", \"name\": \"X\", \"constituents\": [{\"symbol\": \"ZZZZ\", \"quantity\": 1}, {\"symbol\": \"AAPL\", \"quantity\": 1}]}]}"}, "--alloys"),
        (["--trusted-proxies", "10.0.0.0/33"], {}, "--trusted-proxies"),
        ([], {"BROKERGATE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "--trusted-proxies"),
        (["--idempotency-retention-hours", "0"], {}, "--idempotency-retention-hours"),
        ([], {"BROKERGATE_EVENT_RETENTION_DAYS": "3651"}, "--event-retention-days"),
    ],
    ids=[
        "port-range", "store-scheme", "log-level", "clock", "unknown-flag", "short-bootstrap-secret",
        "ip-rate-range", "auth-failures-env", "idle-timeout-range", "max-connections-range", "alpaca-without-secret",
        "unknown-broker", "alpaca-base-url", "unknown-chain", "evm-without-key", "evm-bad-key", "finality-below-confirmations", "alloys-missing-file", "alloys-unknown-stock",
        "trusted-proxies-prefix", "trusted-proxies-env-hostname", "idempotency-retention-range", "event-retention-env-range",
    ],  # fmt: skip
)
def test_badConfig_exits2_withOneLineNamingTheSetting(
    args: list[str], env_extra: dict[str, str], named: str, tmp_path: Path
) -> None:
    for name, value in list(env_extra.items()):
        if value.startswith("ALLOYS_FILE:"):  # the file's content, written where the run can read it
            (tmp_path / "alloys.json").write_text(value.removeprefix("ALLOYS_FILE:"))
            env_extra = {**env_extra, name: str(tmp_path / "alloys.json")}
    exit_code, stdout, stderr = _run(args, env_extra, tmp_path)
    assert exit_code == 2, f"exit code {exit_code}; stderr: {stderr[:500]}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {stderr[:500]}"
    assert named in lines[0], f"the line does not name {named}: {lines[0]}"
    assert stdout == "", f"nothing belongs on stdout: {stdout[:300]}"


def test_storePassword_isNeverPrinted(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so the store cannot open; whatever the
    # server says about that must not include the password.
    password = secrets.token_hex(16)
    store = f"postgres://brokergate:{password}@127.0.0.1:1/brokergate"
    exit_code, stdout, stderr = _run(["--store", store], {}, tmp_path)
    assert password not in stdout + stderr, "the store password appears in the server's output"
    assert exit_code != 0, "a store that cannot be opened must not give exit code 0"
