#!/usr/bin/env python3
"""HTTP benchmarks of BrokerGate as ratios to its own stack's limits (issue 11).

Run through ``scripts/bench``, which builds the release binaries first. Reports numbers and
never fails on them: the exit code is non-zero only when the benchmark itself could not run
(a server that does not start, wrk missing, a setup call refused).

What runs, on loopback, with wrk at each connection count for BENCH_SECONDS each:

* baseline A: ``BaselineNIO``, raw SwiftNIO HTTP/1.1 answering ``{"status":"ok"}``;
* baseline B: ``BaselineHummingbird``, a bare Hummingbird router answering the same; and
  baseline B', the same server again before and after the gateway's GET cells at each
  connection count, which those cells' ratios use (the machine's speed drifts within minutes);
* the gateway on a fresh SQLite store (full middleware stack, default log level):
  ``GET /health``, the authenticated ``GET /api/v2/accounts/{id}/portfolio`` and
  ``GET /api/v2/entities/me``, the public
  ``GET /api/v2/market_data/market_hours/`` and ``POST …/order_requests/market_buy``
  (a unique Idempotency-Key each) with the business clock in a regular session;
* baseline C: ``BrokerGateBench sqlite-insert``, raw SQLite commits of one order-sized row
  each with the gateway's pragmas;
* the scaling curve: the gateway restarted on a store seeded (through Core, by
  ``BrokerGateBench seed``) with 1k, 10k and 100k customers holding one filled order each,
  measuring order placement and the portfolio read again, and the server's peak RSS;
* the PostgreSQL order path (``postgres_bench.py``): market buys through one gateway on a
  throwaway PostgreSQL against ``pgbench`` single-row insert commits (baseline D) on the same
  server, at BENCH_PG_CONNECTIONS (64), with the store's serialization retries counted and
  each side's CPU per request (gateway and server) and the gateway's context switches.

Environment: BENCH_SECONDS (5), BENCH_CONNECTIONS ("1,16,64"), BENCH_SCALING
("1000,10000,100000"), BENCH_SCALING_CONNECTIONS ("64"), BENCH_WRK_THREADS (1),
BENCH_TRADING_ACCOUNTS (8), BENCH_BIN_DIR (.build/release), BENCH_OUT_DIR
(.build/bench/<timestamp>), BENCH_PG_CONNECTIONS ("64"), BENCH_PG_POOL_SIZE (the store's default),
BENCH_PG_WRITE_CONCURRENCY (the store's default), BENCH_PG_PREPARED_STATEMENTS ("on" or "off"; the
store's default, on).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from postgres_bench import postgres_run

REPO = Path(__file__).resolve().parents[1]
WRK_DIR = REPO / "Benchmarks" / "wrk"
# Tuesday 2026-12-01 10:00 ET: a regular session, so market orders are accepted.
REGULAR_SESSION = "2026-12-01T15:00:00Z"
SERVER_START_S_MAX = 60.0
SERVER_STOP_S_MAX = 20.0
HEALTH_BODY = b'{"status":"ok"}'


@dataclass
class Load:
    """One wrk run: what it measured, as wrk reported it."""

    scenario: str
    connections: int
    requests: int
    seconds: float
    p50_us: float
    p99_us: float
    errors: int
    extra: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Settings:
    seconds: int
    connections: list[int]
    scaling: list[int]
    scaling_connections: list[int]
    wrk_threads: int
    trading_accounts: int
    bin_dir: Path
    out_dir: Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="1 s per load, connections 1 and 16, scaling at 500 only: checks the harness, not the numbers")
    parser.add_argument("--skip-micro", action="store_true", help="skip the Core micro-benchmarks")
    parser.add_argument("--skip-scaling", action="store_true", help="skip the 1k/10k/100k scaling curve")
    parser.add_argument("--skip-postgres", action="store_true", help="skip the PostgreSQL order path")
    parser.add_argument("--only-postgres", action="store_true", help="run only the PostgreSQL order path and baseline D")
    args = parser.parse_args()
    env = os.environ
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    settings = Settings(
        seconds=1 if args.smoke else int(env.get("BENCH_SECONDS", "5")),
        connections=[1, 16] if args.smoke else ints(env.get("BENCH_CONNECTIONS", "1,16,64")),
        scaling=[500] if args.smoke else ints(env.get("BENCH_SCALING", "1000,10000,100000")),
        scaling_connections=[16] if args.smoke else ints(env.get("BENCH_SCALING_CONNECTIONS", "64")),
        wrk_threads=int(env.get("BENCH_WRK_THREADS", "1")),
        trading_accounts=int(env.get("BENCH_TRADING_ACCOUNTS", "8")),
        bin_dir=Path(env.get("BENCH_BIN_DIR", REPO / ".build" / "release")),
        out_dir=Path(env.get("BENCH_OUT_DIR", REPO / ".build" / "bench" / stamp)),
    )
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    require_tools(settings, only_postgres=args.only_postgres)
    report: dict = {"machine": machine(), "settings": {"seconds": settings.seconds, "connections": settings.connections,
                                                       "wrk_threads": settings.wrk_threads}}
    print(f"BrokerGate benchmarks -> {settings.out_dir}", flush=True)
    print(json.dumps(report["machine"]), flush=True)
    if not args.skip_micro and not args.only_postgres:
        micro = subprocess.run([settings.bin_dir / "BrokerGateBench", "micro"], check=True, capture_output=True, text=True).stdout
        print(micro, flush=True)
        report["micro"] = micro
    loads: list[Load] = []
    rss: dict[str, int] = {}
    row_bytes = 0
    if not args.only_postgres:
        for name, binary in (("baseline A (raw NIO)", "BaselineNIO"), ("baseline B (bare Hummingbird)", "BaselineHummingbird")):
            with Server([settings.bin_dir / binary, "{port}"], settings.out_dir / f"{binary}.log") as server:
                for connections in settings.connections:
                    loads.append(wrk(settings, server.url("/health"), name, connections))
                rss[name] = server.peak_rss_kib()
        gateway_loads, gateway_rss, row_bytes = gateway_run(settings)
        loads += gateway_loads
        rss["gateway (main run)"] = gateway_rss
    if not args.skip_postgres:
        loads += postgres_run(settings, Gateway, wrk, Load, made_up_keys, free_port)
    scaling = [] if args.skip_scaling or args.only_postgres else scaling_run(settings)
    report["loads"] = [load.__dict__ | {"rps": load.rps} for load in loads]
    report["rss_kib"] = rss
    report["scaling"] = scaling
    report["order_row_bytes"] = row_bytes
    report["machine"]["load_average_end"] = os.getloadavg()
    table = render(report, loads, rss, scaling, row_bytes)
    (settings.out_dir / "results.json").write_text(json.dumps(report, indent=2))
    (settings.out_dir / "results.md").write_text(table)
    print(table)
    print(f"(written to {settings.out_dir}/results.md and results.json)")
    return 0


def ints(text: str) -> list[int]:
    return [int(part) for part in text.replace("_", "").split(",") if part.strip()]


def require_tools(settings: Settings, only_postgres: bool = False) -> None:
    missing = [tool for tool in ("wrk",) if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0]
    if missing:
        sys.exit(f"scripts/bench: {', '.join(missing)} not found; install it (Debian: apt-get install -y wrk)")
    for binary in ("brokergate",) if only_postgres else ("brokergate", "BrokerGateBench", "BaselineNIO", "BaselineHummingbird"):
        if not (settings.bin_dir / binary).exists():
            sys.exit(f"scripts/bench: {settings.bin_dir / binary} missing; build with swift build -c release")


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "commit": commit + ("+dirty" if dirty else ""),
        "load_average_start": os.getloadavg(),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A server process on a free loopback port, stopped with SIGTERM on exit."""

    def __init__(self, command: list, log_path: Path, env: dict | None = None, health_path: str = "/health") -> None:
        self.port = free_port()
        self.command = [str(part).replace("{port}", str(self.port)) for part in command]
        self.log_path = log_path
        self.env = env
        self.health_path = health_path
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "Server":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, stdout=log, stderr=log, env=self.env, cwd=REPO)
        deadline = time.monotonic() + SERVER_START_S_MAX
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"scripts/bench: {self.command[0]} exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url(self.health_path), timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise SystemExit(f"scripts/bench: {self.command[0]} did not answer {self.health_path} within {SERVER_START_S_MAX:.0f} s")

    def peak_rss_kib(self) -> int:
        """VmHWM: the process's peak resident set so far."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=SERVER_STOP_S_MAX)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wrk(settings: Settings, url: str, scenario: str, connections: int, script: str = "report.lua",
        headers: dict | None = None, env: dict | None = None, seconds: int | None = None) -> Load:
    seconds = seconds or settings.seconds
    command = ["wrk", "-t", str(min(settings.wrk_threads, connections)), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", str(WRK_DIR / script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    run_env = os.environ | {"BENCH_WRK_DIR": str(WRK_DIR)} | (env or {})
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=run_env).stdout
    line = next((line for line in output.splitlines() if line.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise SystemExit(f"scripts/bench: wrk printed no result for {scenario}:\n{output}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    errors = sum(result[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    load = Load(scenario, connections, result["requests"], result["duration_us"] / 1e6, result["p50_us"], result["p99_us"], errors,
                {"max_us": result["max_us"], "status_errors": result["status_errors"]})
    print(f"  {scenario:<44} c={connections:<3} {load.rps:>9.0f} req/s  p50 {load.p50_us / 1000:7.2f} ms  "
          f"p99 {load.p99_us / 1000:7.2f} ms  errors {errors}", flush=True)
    return load


# MARK: the gateway


class Gateway(Server):
    """brokergate serve on a SQLite file, sandbox on, the business clock in a regular session,
    bootstrap keys made up for this run and rate limits raised out of the way (the limiter
    still runs on every request)."""

    def __init__(self, settings: Settings, store: Path | str, log_name: str, keys: dict) -> None:
        env = os.environ | keys | {
            "BROKERGATE_RATE_LIMIT_RPS": "1000000",
            "BROKERGATE_RATE_LIMIT_BURST": "1000000",
            "BROKERGATE_RATE_LIMIT_IP_RPS": "1000000",
            "BROKERGATE_RATE_LIMIT_IP_BURST": "1000000",
        }
        # A Path is a SQLite file; a string is a store URL as --store takes it (postgres://…).
        store_arg = store if isinstance(store, str) else f"sqlite:{store}"
        super().__init__([settings.bin_dir / "brokergate", "serve", "--port", "{port}", "--store", store_arg,
                          "--sandbox", "--clock", REGULAR_SESSION, "--web-root", REPO], settings.out_dir / log_name, env)
        self.entities: list[str] = []
        self.key_id = keys["BROKERGATE_PARTNER_KEY_ID"]
        self.secret = keys["BROKERGATE_PARTNER_SECRET"]

    def call(self, method: str, path: str, body: dict | None = None, expect: int = 200) -> dict | list:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url(path), data=data, method=method, headers={
            "X-API-Key-Id": self.key_id, "X-API-Secret-Key": self.secret, "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4())})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        if status != expect:
            raise SystemExit(f"scripts/bench: setup {method} {path} answered {status}, expected {expect}: {text[:400]!r}")
        return json.loads(text) if text else {}

    def trading_accounts(self, count: int) -> list[str]:
        """KYC-passed customers with a wallet and 1,000,000 USD+ each (the sandbox deposit), as
        Tests/conformance/test_orders_sdk.py::trading_account makes them, through the API."""
        accounts = []
        for index in range(count):
            entity = self.call("POST", "/api/v2/entities", {"name": f"Bench Trader {index}", "reference_id": f"bench-{uuid.uuid4().hex[:12]}"}, 201)
            kyc = self.call("POST", f"/api/v2/entities/{entity['id']}/kyc", {
                "provider_name": "Bench KYC", "jurisdiction": "BASELINE",
                "data": {"address_country_code": "DE", "country_code": "DE", "last_name": "Müller", "first_name": "Anna",
                         "birth_date": "1990-04-17", "email": "anna.mueller@example.de", "address_city": "Berlin",
                         "address_postal_code": "10115"}}, 201)
            if kyc.get("status") != "PASS":
                raise SystemExit(f"scripts/bench: bench customer KYC is {kyc.get('status')}, expected PASS")
            account = self.call("POST", f"/api/v2/entities/{entity['id']}/accounts", {"jurisdiction": "BASELINE"}, 201)
            address = "0x" + secrets.token_hex(20)
            self.call("POST", f"/api/v2/accounts/{account['id']}/wallet/internal", {"chain_id": "eip155:1", "wallet_address": address}, 200)
            self.call("POST", f"/api/v2/sandbox/accounts/{account['id']}/deposits", {"amount": 1_000_000}, 201)
            accounts.append(account["id"])
            self.entities.append(entity["id"])
        return accounts

    def stock_id(self, symbol: str) -> str:
        listed = self.call("GET", f"/api/v2/market_data/stocks/?symbols={symbol}")
        items = listed["data"] if isinstance(listed, dict) else listed
        return next(item["id"] for item in items if item["symbol"] == symbol)

    def store_counters(self) -> dict:
        """The store's work so far, from /metrics: write transactions, durable commits, reads, and
        the statements sent to a database server (round trips; 0 on SQLite)."""
        with urllib.request.urlopen(self.url("/metrics"), timeout=30) as response:
            text = response.read().decode()
        names = {"brokergate_store_write_transactions": "writes", "brokergate_store_commits": "commits",
                 "brokergate_store_read_transactions": "reads", "brokergate_store_statements": "statements"}
        counters = {}
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name in names:
                counters[names[name]] = int(float(value))
        return counters

    def auth_headers(self) -> dict:
        return {"X-API-Key-Id": self.key_id, "X-API-Secret-Key": self.secret}

    def account_env(self) -> dict:
        return {"BENCH_ENTITY": self.entities[0], "BENCH_KEY_ID": self.key_id, "BENCH_SECRET": self.secret,
                "BENCH_RUN_ID": uuid.uuid4().hex[:12]}

    def order_env(self, accounts: list[str], stock: str) -> dict:
        return {"BENCH_ACCOUNTS": ",".join(accounts), "BENCH_STOCK_ID": stock, "BENCH_KEY_ID": self.key_id,
                "BENCH_SECRET": self.secret, "BENCH_RUN_ID": uuid.uuid4().hex[:12]}


def made_up_keys() -> dict:
    return {
        "BROKERGATE_PARTNER_KEY_ID": f"bench-partner-{secrets.token_hex(4)}",
        "BROKERGATE_PARTNER_SECRET": secrets.token_urlsafe(32),
        "BROKERGATE_OPERATOR_KEY_ID": f"bench-operator-{secrets.token_hex(4)}",
        "BROKERGATE_OPERATOR_SECRET": secrets.token_urlsafe(32),
    }


def gateway_run(settings: Settings) -> tuple[list[Load], int, int]:
    store = settings.out_dir / "gateway.sqlite"
    loads: list[Load] = []
    bare_log = settings.out_dir / "BaselineHummingbird-beside.log"
    with Gateway(settings, store, "gateway.log", made_up_keys()) as gateway, \
            Server([settings.bin_dir / "BaselineHummingbird", "{port}"], bare_log) as bare:
        accounts = gateway.trading_accounts(settings.trading_accounts)
        stock = gateway.stock_id("AAPL")
        # One market buy per account first so the portfolio has a position to render.
        for account in accounts:
            gateway.call("POST", f"/api/v2/accounts/{account}/order_requests/market_buy", {"stock_id": stock, "payment_amount": 1}, 201)
        portfolio = f"/api/v2/accounts/{accounts[0]}/portfolio"
        # The GET cells at one connection count run between two cells of a bare Hummingbird
        # (baseline B'), and their ratios are to the mean of the two: this machine's speed
        # drifts by 25-30 % within the hour, and baseline B, measured minutes earlier, had the
        # same /health at 0.68x in one sitting and 1.06x in the next (BENCHMARKS.md, stop 42).
        for connections in settings.connections:
            before = wrk(settings, bare.url("/health"), BARE_BESIDE, connections)
            loads.append(wrk(settings, gateway.url("/health"), "gateway GET /health", connections))
            loads.append(wrk(settings, gateway.url(portfolio), "gateway GET portfolio (auth)", connections, headers=gateway.auth_headers()))
            # The authenticated GET issue 16 measured: the key check (cached) and the caller's
            # own organization rendered as its entity; no store read.
            loads.append(wrk(settings, gateway.url("/api/v2/entities/me"), "gateway GET entities/me (auth)", connections,
                             headers=gateway.auth_headers()))
            loads.append(wrk(settings, gateway.url("/api/v2/market_data/market_hours/"), "gateway GET market_hours", connections))
            loads.append(mean_load(BARE_BESIDE, [before, wrk(settings, bare.url("/health"), BARE_BESIDE, connections)]))
        row_bytes = order_row_bytes(store)
        # Baseline C runs right after each order cell, on the same disk: fsync times on a
        # shared machine drift by several times within minutes, so a ratio needs both sides
        # measured close together.
        for connections in settings.connections:
            loads.append(costed(gateway, lambda: wrk(settings, gateway.url("/"), "gateway POST market_buy", connections, script="order.lua",
                                                    env=gateway.order_env(accounts, stock))))
            loads += sqlite_baseline(settings, row_bytes, connections, "baseline C (raw SQLite commit)")
            loads += sqlite_baseline(settings, row_bytes, connections, "SQLiteStore alone (group commit)", mode="store-commits")
        for connections in settings.connections:
            loads.append(costed(gateway, lambda: wrk(settings, gateway.url("/"), "gateway POST accounts", connections, script="account.lua",
                                                    env=gateway.account_env())))
            loads += sqlite_baseline(settings, row_bytes, connections, "baseline C' (again, after accounts)")
        rss = gateway.peak_rss_kib()
    check_log(settings.out_dir / "gateway.log")
    return loads, rss, row_bytes


BARE_BESIDE = "baseline B' (bare Hummingbird, beside the GETs)"


def mean_load(scenario: str, cells: list[Load]) -> Load:
    """One row for cells of the same load: their requests and seconds summed (so req/s is the
    combined rate), their latencies averaged; the cells' own rates kept in `extra`."""
    return Load(scenario, cells[0].connections, sum(cell.requests for cell in cells), sum(cell.seconds for cell in cells),
                sum(cell.p50_us for cell in cells) / len(cells), sum(cell.p99_us for cell in cells) / len(cells),
                sum(cell.errors for cell in cells), {"cells_rps": [round(cell.rps) for cell in cells]})


def costed(gateway: Gateway, run) -> Load:
    """Runs a load and notes what each request cost the store on average (the /metrics
    scrapes around it add one read each): write transactions, durable commits (fewer than
    writes when group commit shares them) and reads."""
    before = gateway.store_counters()
    load = run()
    after = gateway.store_counters()
    if load.requests and before:
        load.extra["store_per_request"] = {name: (after[name] - before[name]) / load.requests for name in before}
        cost = load.extra["store_per_request"]
        print(f"  {'':<44} store per request: {cost['writes']:.2f} writes, {cost['commits']:.3f} commits, {cost['reads']:.2f} reads",
              flush=True)
    return load


def check_log(path: Path) -> None:
    """Every line the gateway wrote on stderr must be one JSON object (log shippers parse
    them); a bench run is a cheap place to check the log writer under load."""
    lines = bad = 0
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines += 1
            try:
                json.loads(line)
            except json.JSONDecodeError:
                bad += 1
    print(f"  {path.name}: {lines} JSON log lines, {bad} unparsable", flush=True)
    if bad:
        print(f"  WARNING: {bad} log lines in {path} are not JSON: the log writer is broken", flush=True)


def order_row_bytes(store: Path) -> int:
    """The mean stored size of an order document: baseline C commits rows of this size."""
    with sqlite3.connect(store) as db:
        (size,) = db.execute("SELECT CAST(AVG(LENGTH(body)) AS INTEGER) FROM documents WHERE kind = 'order'").fetchone()
    return int(size or 1000)


def sqlite_baseline(settings: Settings, row_bytes: int, connections: int, scenario: str, mode: str = "sqlite-insert") -> list[Load]:
    """Baseline C (mode sqlite-insert), or the SQLite store's write path alone, concurrent
    transactions of one document each (mode store-commits, compared with C)."""
    # One file for every cell, growing through the run as the gateway's store does.
    path = settings.out_dir / f"{mode}.sqlite"
    output = subprocess.run(
        [settings.bin_dir / "BrokerGateBench", mode, "--db", path, "--seconds", str(settings.seconds),
         "--row-bytes", str(row_bytes), "--connections", str(connections)],
        check=True, capture_output=True, text=True).stdout
    loads = []
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
            load = Load(scenario, result["connections"], result["requests"],
                        result["requests"] / result["rps"], result["p50_us"], result["p99_us"], 0)
            print(f"  {load.scenario:<44} c={load.connections:<3} {load.rps:>9.0f} commits/s  p50 {load.p50_us / 1000:7.2f} ms  "
                  f"p99 {load.p99_us / 1000:7.2f} ms", flush=True)
            loads.append(load)
    return loads


# MARK: scaling


def scaling_run(settings: Settings) -> list[dict]:
    """Order placement and the portfolio read on stores holding more and more customers and
    orders, each seeded through Core (no HTTP) and then served by a freshly started gateway.
    The bench's own trading accounts are made through the API under the same partner
    organization as the seeded customers, so organization-scoped queries see them all."""
    keys = seed_keys()
    rows = []
    for level in settings.scaling:
        seeded, seed_seconds = seeded_store(settings, level, keys)
        store = settings.out_dir / f"scaling-{level}.sqlite"
        shutil.copyfile(seeded, store)
        with Gateway(settings, store, f"gateway-scaling-{level}.log", keys) as gateway:
            accounts = gateway.trading_accounts(settings.trading_accounts)
            stock = gateway.stock_id("AAPL")
            gateway.call("POST", f"/api/v2/accounts/{accounts[0]}/order_requests/market_buy", {"stock_id": stock, "payment_amount": 1}, 201)
            row = {"customers": level, "orders_before": count_orders(store), "seed_seconds": seed_seconds,
                   "bytes_per_customer": seeded.stat().st_size / level, "breakdown": store_breakdown(seeded, level),
                   "bytes_per_customer_expired": expired_bytes_per_customer(settings, seeded, level), "loads": []}
            for connections in settings.scaling_connections:
                order = wrk(settings, gateway.url("/"), f"scaling {level}: POST market_buy", connections, script="order.lua",
                            env=gateway.order_env(accounts, stock))
                read = wrk(settings, gateway.url(f"/api/v2/accounts/{accounts[0]}/portfolio"), f"scaling {level}: GET portfolio",
                           connections, headers=gateway.auth_headers())
                create = wrk(settings, gateway.url("/"), f"scaling {level}: POST accounts", connections, script="account.lua",
                             env=gateway.account_env())
                row["loads"] += [load.__dict__ | {"rps": load.rps} for load in (order, read, create)]
            row["rss_kib"] = gateway.peak_rss_kib()
        check_log(settings.out_dir / f"gateway-scaling-{level}.log")
        print(f"  scaling {level}: gateway peak RSS {row['rss_kib'] / 1024:.0f} MiB", flush=True)
        rows.append(row)
        for leftover in settings.out_dir.glob(f"{store.name}*"):
            leftover.unlink()  # 1.4 GB at 100k; the cached seed stays
    return rows


SEED_CACHE = REPO / ".build" / "bench" / "seed-cache"


def seed_keys() -> dict:
    """The partner (and operator) key the seeded stores were made with, kept beside them."""
    SEED_CACHE.mkdir(parents=True, exist_ok=True)
    path = SEED_CACHE / "keys.json"
    if not path.exists():
        path.write_text(json.dumps(made_up_keys()))
    return json.loads(path.read_text())


def seeded_store(settings: Settings, level: int, keys: dict) -> tuple[Path, float]:
    """A store with `level` seeded customers, each with one filled order. Seeding 100k takes
    minutes, so stores are cached under .build/bench/seed-cache, keyed by the seeder's and
    the schema's source: a change to either seeds anew. Larger levels grow from the largest
    smaller one already cached."""
    digest = hashlib.sha256()
    for source in ("Sources/Benchmarks/BrokerGateBench/Seeder.swift", "Sources/BrokerGateStores/SQL/Migrations.swift"):
        digest.update((REPO / source).read_bytes())
    key = digest.hexdigest()[:12]
    target = SEED_CACHE / f"seed-{key}-{level}.sqlite"
    if target.exists():
        print(f"  seeded store for {level} customers from cache ({target.name})", flush=True)
        return target, 0.0
    smaller = sorted((int(path.stem.rsplit("-", 1)[1]), path) for path in SEED_CACHE.glob(f"seed-{key}-*.sqlite"))
    base_level, base = max(((n, p) for n, p in smaller if n < level), default=(0, None))
    work = SEED_CACHE / f"seeding-{key}-{level}.sqlite"
    for stale in SEED_CACHE.glob(f"seeding-{key}-{level}.sqlite*"):
        stale.unlink()
    if base is not None:
        shutil.copyfile(base, work)
    started = time.monotonic()
    output = subprocess.run(
        [settings.bin_dir / "BrokerGateBench", "seed", "--db", work, "--accounts", str(level - base_level), "--start-index", str(base_level),
         "--partner-key-id", keys["BROKERGATE_PARTNER_KEY_ID"], "--partner-secret", keys["BROKERGATE_PARTNER_SECRET"]],
        check=True, capture_output=True, text=True).stdout
    seed = json.loads(next(line for line in output.splitlines() if line.startswith("BENCH_SEED ")).removeprefix("BENCH_SEED "))
    elapsed = time.monotonic() - started
    wal = work.with_name(work.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # The file alone would miss those commits: copied without its WAL it read as
        # "database disk image is malformed" (SQLiteStore.close() before stop 47).
        raise SystemExit(f"scripts/bench: the seeder left {wal.stat().st_size} bytes in {wal}; its store's close() must empty the WAL")
    work.rename(target)
    for leftover in SEED_CACHE.glob(f"seeding-{key}-{level}.sqlite-*"):
        leftover.unlink()  # the empty WAL and the shared-memory index
    print(f"  seeded {level} customers (+{seed['accounts']} in {elapsed:.0f} s, {seed['accounts_per_second']:.0f}/s)", flush=True)
    return target, round(elapsed, 1)


def store_breakdown(store: Path, customers: int) -> list[tuple[str, float]]:
    """Bytes per customer of each table and index (SQLite's dbstat), largest first: where a
    customer's bytes go."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    return [(name, size / customers) for name, size in rows]


def expired_bytes_per_customer(settings: Settings, seeded: Path, level: int) -> float:
    """Bytes per customer once the event retention has passed (`BrokerGateBench expire` on a
    copy, then VACUUM so free pages do not count): what a customer costs for good."""
    aged = settings.out_dir / f"expired-{level}.sqlite"
    shutil.copyfile(seeded, aged)
    try:
        subprocess.run([settings.bin_dir / "BrokerGateBench", "expire", "--db", aged], check=True, capture_output=True, text=True)
        with sqlite3.connect(aged) as db:
            db.execute("VACUUM")
        return aged.stat().st_size / level
    finally:
        for leftover in settings.out_dir.glob(f"{aged.name}*"):
            leftover.unlink()


def count_orders(store: Path) -> int:
    with sqlite3.connect(store) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM documents WHERE kind = 'order'").fetchone()
    return int(count)


# MARK: the report


def render(report: dict, loads: list[Load], rss: dict, scaling: list[dict], row_bytes: int) -> str:
    machine = report["machine"]
    by_key = {(load.scenario, load.connections): load for load in loads}
    baseline_of = {
        "gateway GET /health": BARE_BESIDE,
        "gateway GET portfolio (auth)": BARE_BESIDE,
        "gateway GET entities/me (auth)": BARE_BESIDE,
        "gateway GET market_hours": BARE_BESIDE,
        BARE_BESIDE: "baseline B (bare Hummingbird)",
        "gateway POST market_buy": "baseline C (raw SQLite commit)",
        "SQLiteStore alone (group commit)": "baseline C (raw SQLite commit)",
        "gateway POST accounts": "baseline C' (again, after accounts)",
        "gateway POST market_buy (PostgreSQL)": "baseline D (pgbench insert commit)",
        "baseline B (bare Hummingbird)": "baseline A (raw NIO)",
    }
    lines = [
        f"Run {machine['date_utc']} on {machine['nproc']} × {machine['cpu']}, {machine['ram_gib']} GiB RAM, kernel {machine['kernel']}, "
        f"commit {machine['commit']}; load average {fmt_load(machine['load_average_start'])} at start, "
        f"{fmt_load(machine.get('load_average_end'))} at end. "
        f"{report['settings']['seconds']} s per cell, wrk -t{report['settings']['wrk_threads']}, loopback.",
        "",
        "Ratios are this row ÷ its baseline at the same connection count (req/s: higher is better; latency: lower is better).",
        "",
        "| scenario | conns | req/s | × baseline | p50 ms | × baseline | p99 ms | × baseline | errors | baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for load in loads:
        base_name = baseline_of.get(load.scenario)
        base = by_key.get((base_name, load.connections)) if base_name else None
        lines.append(
            f"| {load.scenario} | {load.connections} | {load.rps:,.0f} | {ratio(load.rps, base.rps if base else None)} | "
            f"{load.p50_us / 1000:.2f} | {ratio(load.p50_us, base.p50_us if base else None)} | {load.p99_us / 1000:.2f} | "
            f"{ratio(load.p99_us, base.p99_us if base else None)} | {load.errors} | {short(base_name) if base else ''} |")
    costed_loads = [load for load in loads if "store_per_request" in load.extra]
    if costed_loads:
        lines += ["", "| scenario | conns | write transactions / request | commits / request | transactions per commit | reads / request |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for load in costed_loads:
            cost = load.extra["store_per_request"]
            batch = cost["writes"] / cost["commits"] if cost["commits"] else 0
            lines.append(f"| {load.scenario} | {load.connections} | {cost['writes']:.2f} | {cost['commits']:.3f} | {batch:.1f} | {cost['reads']:.2f} |")
    if row_bytes:
        lines += ["", f"Baseline C commits rows of {row_bytes} bytes (the mean stored order document of the main run); "
                  "at more than one connection its latency is the FIFO one-writer model described in BENCHMARKS.md.", ""]
    if any(load.scenario.startswith("baseline D") for load in loads):
        lines += ["", "Baseline D is pgbench on the gateway's PostgreSQL server: one single-row INSERT commit per transaction "
                  "(synchronous_commit=on), rows the mean stored order size; its p50 column is pgbench's average latency.", ""]
    lines += ["| server | peak RSS (VmHWM) |", "| --- | ---: |"]
    lines += [f"| {name} | {kib / 1024:.1f} MiB |" for name, kib in rss.items()]
    if scaling:
        lines += ["", "| customers (1 filled order each) | orders in store | store bytes per customer | after 30 days (events expired) | seed s | "
                  "conns | market_buy req/s | p50 ms | p99 ms | portfolio req/s | p99 ms | new accounts req/s | p99 ms | gateway peak RSS |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in scaling:
            loads = row["loads"]
            for order, read, create in zip(loads[0::3], loads[1::3], loads[2::3]):
                lines.append(
                    f"| {row['customers']:,} | {row['orders_before']:,} | {row['bytes_per_customer']:,.0f} | "
                    f"{row['bytes_per_customer_expired']:,.0f} | {row['seed_seconds'] or 'cached'} | "
                    f"{order['connections']} | {order['rps']:,.0f} | "
                    f"{order['p50_us'] / 1000:.2f} | {order['p99_us'] / 1000:.2f} | {read['rps']:,.0f} | {read['p99_us'] / 1000:.2f} | "
                    f"{create['rps']:,.0f} | {create['p99_us'] / 1000:.2f} | {row['rss_kib'] / 1024:.1f} MiB |")
    if scaling:
        largest = scaling[-1]
        lines += ["", f"Where a customer's bytes go at {largest['customers']:,} customers (dbstat, tables and indexes of 2 % or more):", "",
                  "| table or index | bytes per customer | share |", "| --- | ---: | ---: |"]
        total = sum(size for _, size in largest["breakdown"]) or 1
        lines += [f"| {name} | {size:,.0f} | {size / total:.0%} |" for name, size in largest["breakdown"] if size / total >= 0.02]
    lines += ["", *targets(by_key, rss, scaling)]
    return "\n".join(lines) + "\n"


def targets(by_key: dict, rss: dict, scaling: list[dict]) -> list[str]:
    """How far each target of issue 16 is, per connection count. Reported, never enforced."""
    lines = ["| target | measured | verdict |", "| --- | --- | --- |"]

    def rps_ratios(scenario: str, baseline: str) -> list[tuple[int, float]]:
        return [(c, by_key[(scenario, c)].rps / by_key[(baseline, c)].rps)
                for (name, c) in by_key if name == scenario and (baseline, c) in by_key]

    for scenario, baseline, goal, label in (
        ("gateway GET /health", BARE_BESIDE, 0.9, "/health ≥ 0.9× baseline B' req/s"),
        ("gateway GET portfolio (auth)", BARE_BESIDE, 0.5, "authenticated GET (portfolio) ≥ 0.5× baseline B' req/s"),
        ("gateway GET entities/me (auth)", BARE_BESIDE, 0.5, "authenticated GET (entities/me) ≥ 0.5× baseline B' req/s"),
        ("gateway POST market_buy", "baseline C (raw SQLite commit)", 1.0, "market buys ≥ 1.0× baseline C req/s"),
        ("gateway POST accounts", "baseline C' (again, after accounts)", 1.0, "POST accounts ≥ 1.0× baseline C req/s"),
        ("gateway POST market_buy (PostgreSQL)", "baseline D (pgbench insert commit)", 1.0,
         "order placement on PostgreSQL ≥ 1.0× baseline D (pgbench) req/s"),
    ):
        ratios = rps_ratios(scenario, baseline)
        if not ratios:
            continue
        measured = ", ".join(f"{value:.2f}× at c={c}" for c, value in ratios)
        worst = min((value for _, value in ratios), default=0)
        lines.append(f"| {label} | {measured} | {'met' if worst >= goal else f'missed: worst {worst / goal:.0%} of target'} |")
    top = max((c for (name, c) in by_key if name == "gateway POST market_buy"), default=None)
    if top is not None:
        p99 = by_key[("gateway POST market_buy", top)].p99_us / 1000
        lines.append(f"| order p99 < 20 ms at {top} connections | {p99:.1f} ms | {'met' if p99 < 20 else f'missed by {p99 - 20:.1f} ms'} |")
    biggest = max(scaling, key=lambda row: row["customers"], default=None)
    if biggest is not None:
        mib = biggest["rss_kib"] / 1024
        lines.append(f"| gateway RSS < 150 MB with {biggest['customers']:,} customers | {mib:.1f} MiB | "
                     f"{'met' if mib * 1.048576 < 150 else 'missed'} |")
    return lines


def ratio(value: float, baseline: float | None) -> str:
    return f"{value / baseline:.2f}×" if baseline else ""


def short(name: str) -> str:
    return name.split(" (")[0]


def fmt_load(values) -> str:
    return "/".join(f"{value:.1f}" for value in values) if values else "?"


if __name__ == "__main__":
    sys.exit(main())
