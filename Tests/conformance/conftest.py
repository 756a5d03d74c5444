"""Fixtures of the SDK conformance suite: one BrokerGate server per test session.

Two modes (DESIGN.md "Operating contract"):

* ``BROKERGATE_BIN=/path/to/brokergate``: the suite starts its own server on a free
  loopback port with a throwaway SQLite store, ``--sandbox``, and bootstrap keys made up
  for this run. At the end it sends SIGTERM and requires exit code 0 within 15 s
  (graceful shutdown is part of the contract), then fails the run if any secret the
  suite sent or received appears in the server's stdout or stderr (secrets are never
  logged) or verbatim in the SQLite store (secrets are stored hashed).
  ``BROKERGATE_BIN`` wins when both variables are set.
* ``BROKERGATE_BASE_URL=http://host:port`` with ``BROKERGATE_PARTNER_KEY_ID`` /
  ``BROKERGATE_PARTNER_SECRET`` (and optionally ``BROKERGATE_OPERATOR_KEY_ID`` /
  ``BROKERGATE_OPERATOR_SECRET``): the suite uses a server someone else runs. It cannot
  read that server's logs or store or stop it, so those checks are left out; tests that
  need the operator key are skipped without it.

Either way the session exports ``BROKERGATE_BASE_URL`` (and the SDK's own
``DINARI_BASE_URL``) into ``os.environ`` before the first test runs, for tests that
read it instead of using the ``gateway`` fixture.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from dinari_api_sdk import Dinari

# Plain asserts in the shared helpers report their operands, as in the tests themselves.
pytest.register_assert_rewrite("support")

from support import (  # noqa: E402 (after the rewrite registration, on purpose)
    OPERATOR_ORGANIZATIONS_PATH,
    CreatedOrganization,
    Gateway,
    PartnerOrganization,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

HEALTH_WAIT_S_MAX = 60.0
SHUTDOWN_WAIT_S_MAX = 15.0
REQUEST_TIMEOUT_S = 10.0
# A port picked free can be taken again before the server binds it; retry a few times.
START_ATTEMPTS_MAX = 3
STORE_FILE_NAME = "bg.sqlite"

# The running session's gateway, for the report hook below (hooks cannot take fixtures).
_CURRENT_GATEWAY: Gateway | None = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attaches the server's recent stderr to every failed test, so a failure report
    carries the server-side reason too."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _CURRENT_GATEWAY is not None and _CURRENT_GATEWAY.log_paths:
        report.sections.append(("brokergate stderr (tail)", _CURRENT_GATEWAY.stderr_tail()))


def _random_key_id(role: str) -> str:
    return f"{role}-{secrets.token_hex(8)}"


def _random_secret() -> str:
    # 32 random bytes, URL-safe: 43 characters, inside the server's 16...256 bound.
    return secrets.token_urlsafe(32)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env(gateway: Gateway) -> dict[str, str]:
    # Inherited BROKERGATE_*/DINARI_* settings would make the run depend on the caller's
    # shell; the server gets exactly the configuration this suite states.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BROKERGATE_", "DINARI_"))
    }
    env["BROKERGATE_PARTNER_KEY_ID"] = gateway.partner_key_id
    env["BROKERGATE_PARTNER_SECRET"] = gateway.partner_secret
    env["BROKERGATE_OPERATOR_KEY_ID"] = gateway.operator_key_id or ""
    env["BROKERGATE_OPERATOR_SECRET"] = gateway.operator_secret or ""
    # Managed wallets seal private keys under this key; random per run, like the API keys.
    env["BROKERGATE_WALLET_KEY"] = secrets.token_hex(32)
    return env


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str) -> str | None:
    """Polls ``GET /health`` until 200. Returns None when healthy, else why not."""
    deadline = time.monotonic() + HEALTH_WAIT_S_MAX
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        exit_code = process.poll()
        if exit_code is not None:
            return f"exited with code {exit_code} before /health answered 200"
        try:
            response = httpx.get(f"{base_url}/health", timeout=2.0)
            if response.status_code == 200:
                return None
            last_problem = f"/health answered {response.status_code}: {response.text[:200]}"
        except httpx.TransportError as error:
            last_problem = f"/health unreachable: {error!r}"
        time.sleep(0.2)
    return f"/health did not answer 200 within {HEALTH_WAIT_S_MAX:.0f} s ({last_problem})"


def _start_server(binary: str, workdir: Path, gateway: Gateway) -> subprocess.Popen[bytes]:
    """Starts ``brokergate serve`` and waits for /health; fails the session otherwise."""
    if not os.access(binary, os.X_OK):
        pytest.exit(f"BROKERGATE_BIN={binary!r} is not an executable file", returncode=2)
    log_level = os.environ.get("BROKERGATE_CONFORMANCE_LOG_LEVEL", "debug")
    problem = "not started"
    for attempt in range(1, START_ATTEMPTS_MAX + 1):
        port = _free_loopback_port()
        gateway.base_url = f"http://127.0.0.1:{port}"
        stdout_path = workdir / "stdout.log"
        stderr_path = workdir / "stderr.log"
        gateway.log_paths = [stdout_path, stderr_path]
        command = [
            binary, "serve",
            "--host", "127.0.0.1",
            "--port", str(port),
            # BROKERGATE_CONFORMANCE_STORE runs the same suite on another store (CI: PostgreSQL).
            "--store", os.environ.get("BROKERGATE_CONFORMANCE_STORE") or f"sqlite:{workdir / STORE_FILE_NAME}",
            "--sandbox",
            "--log-level", log_level,
        ]  # fmt: skip
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            # Files, not pipes: a chatty server can never block on a full pipe buffer.
            # The repo root as working directory, so Public/ and openapi.yaml resolve as
            # they do for `swift run`; the store is explicit and lives in the temp dir.
            process = subprocess.Popen(
                command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                env=_server_env(gateway), cwd=REPO_ROOT,
            )  # fmt: skip
        problem = _wait_until_healthy(process, gateway.base_url)
        if problem is None:
            return process
        if process.poll() is None:
            process.kill()
            process.wait()
        port_taken = "in use" in stderr_path.read_text(errors="replace").lower()
        if not (port_taken and attempt < START_ATTEMPTS_MAX):
            break
    pytest.exit(
        f"brokergate did not start: {problem}\ncommand: {' '.join(command)}\n"
        f"--- server stderr (tail) ---\n{gateway.stderr_tail()}",
        returncode=3,
    )


def _stop_server(process: subprocess.Popen[bytes], gateway: Gateway) -> list[str]:
    """SIGTERM, then the exit code must be 0 within the bound. Returns problems found."""
    process.send_signal(signal.SIGTERM)
    try:
        exit_code = process.wait(timeout=SHUTDOWN_WAIT_S_MAX)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return [f"server did not exit within {SHUTDOWN_WAIT_S_MAX:.0f} s of SIGTERM (killed)"]
    if exit_code != 0:
        return [f"server exited with code {exit_code} after SIGTERM; graceful shutdown must exit 0"]
    return []


def _leaked_secrets(gateway: Gateway) -> list[str]:
    output = gateway.server_output()
    # Name whose secret leaked, never the secret itself: a CI log is another place it
    # must not end up.
    return [
        f"a secret ({label}) appears in the server's stdout/stderr"
        for secret, label in gateway.secret_labels.items()
        if secret.encode() in output
    ]


def _secrets_at_rest(gateway: Gateway, workdir: Path) -> list[str]:
    """DESIGN.md rule 6: secrets are stored hashed. Any secret the suite sent or was
    given, found verbatim in the store's files (database, WAL, journal), is a finding;
    replayed idempotent responses are a classic way for one to end up there."""
    stored = b"".join(path.read_bytes() for path in sorted(workdir.glob(f"{STORE_FILE_NAME}*")))
    return [
        f"a secret ({label}) is stored in plain text in the SQLite store"
        for secret, label in gateway.secret_labels.items()
        if secret.encode() in stored
    ]


def _external_gateway(base_url: str) -> Gateway:
    partner_key_id = os.environ.get("BROKERGATE_PARTNER_KEY_ID")
    partner_secret = os.environ.get("BROKERGATE_PARTNER_SECRET")
    if not partner_key_id or not partner_secret:
        pytest.exit(
            "BROKERGATE_BASE_URL is set, so the suite uses that server; it also needs "
            "BROKERGATE_PARTNER_KEY_ID and BROKERGATE_PARTNER_SECRET (and the operator "
            "pair for operator tests)",
            returncode=2,
        )
    return Gateway(
        base_url=base_url.rstrip("/"),
        partner_key_id=partner_key_id,
        partner_secret=partner_secret,
        operator_key_id=os.environ.get("BROKERGATE_OPERATOR_KEY_ID"),
        operator_secret=os.environ.get("BROKERGATE_OPERATOR_SECRET"),
    )


@pytest.fixture(scope="session", autouse=True)
def gateway() -> Iterator[Gateway]:
    """The server under test (autouse: every test of the session has it running)."""
    global _CURRENT_GATEWAY
    binary = os.environ.get("BROKERGATE_BIN")
    external_url = os.environ.get("BROKERGATE_BASE_URL")
    if not binary and not external_url:
        pytest.exit(
            "set BROKERGATE_BIN=/path/to/brokergate (the suite starts its own server) or "
            "BROKERGATE_BASE_URL=http://host:port plus BROKERGATE_PARTNER_KEY_ID/"
            "BROKERGATE_PARTNER_SECRET (and BROKERGATE_OPERATOR_KEY_ID/"
            "BROKERGATE_OPERATOR_SECRET) to use a running one",
            returncode=2,
        )
    saved_env = {name: os.environ.get(name) for name in ("BROKERGATE_BASE_URL", "DINARI_BASE_URL")}
    with tempfile.TemporaryDirectory(prefix="brokergate-conformance-") as tmp:
        process: subprocess.Popen[bytes] | None = None
        if binary:
            gateway = Gateway(
                base_url="",
                partner_key_id=_random_key_id("partner"),
                partner_secret=_random_secret(),
                operator_key_id=_random_key_id("operator"),
                operator_secret=_random_secret(),
            )
            process = _start_server(binary, Path(tmp), gateway)
        else:
            gateway = _external_gateway(external_url or "")
        gateway.remember_secret(gateway.partner_secret, "the bootstrap partner key")
        if gateway.operator_secret:
            gateway.remember_secret(gateway.operator_secret, "the bootstrap operator key")
        os.environ["BROKERGATE_BASE_URL"] = gateway.base_url
        os.environ["DINARI_BASE_URL"] = gateway.base_url
        _CURRENT_GATEWAY = gateway
        try:
            yield gateway
        finally:
            _CURRENT_GATEWAY = None
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            problems: list[str] = []
            if process is not None:
                problems += _stop_server(process, gateway)
                problems += _leaked_secrets(gateway)
                problems += _secrets_at_rest(gateway, Path(tmp))
                if problems:
                    problems.append(f"--- server stderr (tail) ---\n{gateway.stderr_tail()}")
        if problems:
            # Reported as an error at teardown of whichever test ran last.
            pytest.fail("gateway session checks failed:\n" + "\n".join(problems), pytrace=False)


# --- clients ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sdk_client(gateway: Gateway) -> Iterator[Callable[[str, str], Dinari]]:
    """Makes SDK clients for a key: strict response validation, no retries (a retry
    would hide the first answer), bounded timeout."""
    made: list[Dinari] = []

    def make(key_id: str, secret: str) -> Dinari:
        client = Dinari(
            api_key_id=key_id,
            api_secret_key=secret,
            base_url=gateway.base_url,
            _strict_response_validation=True,
            max_retries=0,
            timeout=REQUEST_TIMEOUT_S,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture(scope="session")
def partner(gateway: Gateway, sdk_client: Callable[[str, str], Dinari]) -> Dinari:
    """SDK client with the bootstrap partner key."""
    return sdk_client(gateway.partner_key_id, gateway.partner_secret)


@pytest.fixture(scope="session")
def operator_client(gateway: Gateway, sdk_client: Callable[[str, str], Dinari]) -> Dinari:
    """SDK client with the bootstrap operator key."""
    if not gateway.has_operator_key:
        pytest.skip("no operator key: set BROKERGATE_OPERATOR_KEY_ID/BROKERGATE_OPERATOR_SECRET")
    assert gateway.operator_key_id and gateway.operator_secret
    return sdk_client(gateway.operator_key_id, gateway.operator_secret)


@pytest.fixture(scope="session")
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    """A plain HTTP client without credentials, for extension routes and raw requests."""
    with httpx.Client(base_url=gateway.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        yield client


@pytest.fixture(scope="session")
def partner_headers(gateway: Gateway) -> dict[str, str]:
    return {"X-API-Key-Id": gateway.partner_key_id, "X-API-Secret-Key": gateway.partner_secret}


@pytest.fixture(scope="session")
def operator_headers(gateway: Gateway) -> dict[str, str]:
    if not gateway.has_operator_key:
        pytest.skip("no operator key: set BROKERGATE_OPERATOR_KEY_ID/BROKERGATE_OPERATOR_SECRET")
    assert gateway.operator_key_id and gateway.operator_secret
    return {"X-API-Key-Id": gateway.operator_key_id, "X-API-Secret-Key": gateway.operator_secret}


# --- partner organizations -------------------------------------------------------------


@pytest.fixture(scope="session")
def create_partner_organization(
    gateway: Gateway,
    operator_client: Dinari,
    sdk_client: Callable[[str, str], Dinari],
) -> Callable[[str | None], PartnerOrganization]:
    """Creates another partner organization through the operator API and returns it with
    an SDK client for its new key."""

    def create(name: str | None = None) -> PartnerOrganization:
        name = name or f"Conformance Partner {uuid.uuid4().hex[:8]}"
        response = operator_client.post(
            OPERATOR_ORGANIZATIONS_PATH, body={"name": name}, cast_to=httpx.Response
        )
        assert response.status_code == 201, (response.status_code, response.text)
        created = CreatedOrganization.model_validate(response.json())
        gateway.remember_secret(created.api_key.secret, f"organization {name!r}")
        assert created.organization.entity_type == "ORGANIZATION"
        return PartnerOrganization(
            organization=created.organization,
            api_key_id=created.api_key.id,
            api_secret=created.api_key.secret,
            client=sdk_client(created.api_key.id, created.api_key.secret),
        )

    return create
