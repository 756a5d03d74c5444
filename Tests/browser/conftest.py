"""Fixtures of the browser tests: one BrokerGate server and one headless Chromium per session.

The server is ``$BROKERGATE_BIN serve`` on a free loopback port with ``--store memory``,
``--sandbox``, the business clock started on Tuesday 2026-12-01 10:00 ET (``--clock``) and
bootstrap keys made up for this run, started from the repository root so ``Public/`` is
what it serves. At the end it must exit 0 within 15 s of SIGTERM, and no secret the tests
typed into the browser may appear in its output (a key in a URL would end up in logs).

The browser is Debian's ``chromium`` driven through ``chromedriver`` (paths from
``CHROMIUM_BIN`` / ``CHROMEDRIVER_BIN``, default /usr/bin/chromium and
/usr/bin/chromedriver), headless, with its console log captured: every page the tests
open must leave no SEVERE entry (see ``BrowserLog.assert_clean``).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
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
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TUESDAY_REGULAR = "2026-12-01T15:00:00Z"  # 10:00 ET, regular session
HEALTH_WAIT_S_MAX = 60.0
SHUTDOWN_WAIT_S_MAX = 15.0
WIDTHS = (1280, 390)
SCREENSHOT_HEIGHT_MAX = 6000


@dataclasses.dataclass
class Gateway:
    base_url: str
    partner: tuple[str, str]
    operator: tuple[str, str]
    log_paths: list[Path]

    def headers(self, role: str) -> dict[str, str]:
        key_id, secret = self.partner if role == "partner" else self.operator
        return {"X-API-Key-Id": key_id, "X-API-Secret-Key": secret}

    def stderr_tail(self, lines: int = 40) -> str:
        text = self.log_paths[1].read_text(errors="replace") if self.log_paths[1].exists() else ""
        for key_id, secret in (self.partner, self.operator):
            text = text.replace(secret, f"[secret of {key_id}]")
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str) -> str | None:
    deadline = time.monotonic() + HEALTH_WAIT_S_MAX
    problem = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with code {process.returncode} before /health answered"
        try:
            if httpx.get(f"{base_url}/health", timeout=2.0).status_code == 200:
                return None
        except httpx.TransportError as error:
            problem = repr(error)
        time.sleep(0.2)
    return f"/health did not answer within {HEALTH_WAIT_S_MAX:.0f} s ({problem})"


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    binary = os.environ.get("BROKERGATE_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.exit(f"set BROKERGATE_BIN to the brokergate executable (got {binary!r})", returncode=2)
    partner = (f"partner-{secrets.token_hex(6)}", secrets.token_urlsafe(32))
    operator = (f"operator-{secrets.token_hex(6)}", secrets.token_urlsafe(32))
    env = {name: value for name, value in os.environ.items() if not name.startswith(("BROKERGATE_", "DINARI_"))}
    env |= {
        "BROKERGATE_PARTNER_KEY_ID": partner[0], "BROKERGATE_PARTNER_SECRET": partner[1],
        "BROKERGATE_OPERATOR_KEY_ID": operator[0], "BROKERGATE_OPERATOR_SECRET": operator[1],
        "BROKERGATE_WALLET_KEY": secrets.token_hex(32),
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="brokergate-browser-") as tmp:
        port = _free_port()
        logs = [Path(tmp) / "stdout.log", Path(tmp) / "stderr.log"]
        gateway = Gateway(f"http://127.0.0.1:{port}", partner, operator, logs)
        command = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--store", "memory",
                   "--sandbox", "--clock", TUESDAY_REGULAR, "--log-level", "info"]  # fmt: skip
        with logs[0].open("wb") as stdout, logs[1].open("wb") as stderr:
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, env=env, cwd=REPO_ROOT)
        problem = _wait_healthy(process, gateway.base_url)
        if problem:
            process.kill()
            pytest.exit(f"brokergate did not start: {problem}\n{gateway.stderr_tail()}", returncode=3)
        try:
            yield gateway
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=SHUTDOWN_WAIT_S_MAX)
            except subprocess.TimeoutExpired:
                process.kill()
                code = "killed after timeout"
            output = b"".join(path.read_bytes() for path in logs)
            leaked = [key_id for key_id, secret in (partner, operator) if secret.encode() in output]
            assert code == 0, f"server exit after SIGTERM: {code}\n{gateway.stderr_tail()}"
            assert not leaked, f"the secret of {leaked} appears in the server's output"


@pytest.fixture(scope="session")
def api(gateway: Gateway) -> Iterator[httpx.Client]:
    """A plain HTTP client for setting up what the browser does not need to (the clock)."""
    with httpx.Client(base_url=gateway.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="session")
def driver() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-US",
                     f"--window-size={WIDTHS[0]},900", "--disable-extensions", "--no-first-run", "--hide-scrollbars"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))
    browser = webdriver.Chrome(options=options, service=service)
    browser.implicitly_wait(0)
    try:
        yield browser
    finally:
        browser.quit()


class BrowserLog:
    """The browser console since the last check. SEVERE entries fail the test, except a
    failed-resource line for a response the step expects and the page handles (e.g. the
    wallet's 404 before one is linked): those are named per step, never blanket-ignored."""

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver

    def assert_clean(self, step: str, expected: tuple[tuple[str, int], ...] = ()) -> None:
        problems = []
        for entry in self.driver.get_log("browser"):
            if entry.get("level") != "SEVERE":
                continue
            message = entry.get("message", "")
            handled = any(
                path in message and f"status of {status}" in message for path, status in expected
            )
            if not handled:
                problems.append(message)
        assert not problems, f"browser console errors during {step!r}:\n" + "\n".join(problems)


@pytest.fixture
def console_log(driver: WebDriver) -> BrowserLog:
    driver.get_log("browser")  # start from an empty log
    return BrowserLog(driver)


class Screenshots:
    """Saves each step's page at every width, full height, as NN-step-WIDTH.png."""

    def __init__(self, driver: WebDriver, prefix: str) -> None:
        self.driver = driver
        self.prefix = prefix
        self.count = 0
        SCREENSHOTS.mkdir(exist_ok=True)

    def take(self, step: str) -> None:
        self.count += 1
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        for width in WIDTHS:
            self.driver.set_window_size(width, 900)
            time.sleep(0.2)  # let layout settle after the resize
            # The whole page, not just the viewport: Chrome renders beyond it on request.
            size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], SCREENSHOT_HEIGHT_MAX), "scale": 1}
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
            path = SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{name}-{width}.png"
            path.write_bytes(base64.b64decode(shot["data"]))
        self.driver.set_window_size(WIDTHS[0], 900)


@pytest.fixture
def screenshots(driver: WebDriver, request: pytest.FixtureRequest) -> Screenshots:
    prefix = request.node.name.removeprefix("test_").split("_")[0]
    return Screenshots(driver, prefix)
