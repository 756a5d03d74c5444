"""The PostgreSQL order path (issue 16): market buys through one gateway on PostgreSQL against
``pgbench`` single-row insert commits on the same server, in the same run, at the same
connection count, so the ratio says how close the order path gets to the database's speed.

A throwaway server (initdb into the run's folder, loopback, a free port, fsync and
``synchronous_commit=on`` as shipped) lives only for this row. Imported by ``run.py``; uses its
``Gateway``, ``wrk``, ``Load`` and port helpers, passed in so this module has no import cycle.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
import urllib.request
from pathlib import Path

PGBENCH_TABLE = "CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, k BIGINT NOT NULL, body TEXT NOT NULL)"
SERVER_START_S_MAX = 60


def postgres_bin_dir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: [int(part) for part in re.findall(r"\d+", str(path))])
    for path in reversed(candidates):
        if (path / "initdb").exists() and (path / "pgbench").exists():
            return path
    return None


class PostgresServer:
    """initdb + pg_ctl start on a free loopback port; as root the server runs as `postgres`
    (PostgreSQL refuses root), like scripts/with-postgres.sh."""

    def __init__(self, bin_dir: Path, folder: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.folder = folder
        self.port = port
        self.as_pg: list[str] = []

    def __enter__(self) -> "PostgresServer":
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
            shutil.chown(self.folder, "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        subprocess.run(self.as_pg + [str(self.bin_dir / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust",
                                     "--encoding=UTF8", "--no-locale"], check=True, capture_output=True)
        # log_lock_waits: a lock wait longer than deadlock_timeout (200 ms here) is in
        # server.log, and each error line carries its SQLSTATE (%e), so hot rows show up there
        # as well as in the gateway's retry counter.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                   "-c synchronous_commit=on -c fsync=on -c log_lock_waits=on -c deadlock_timeout=200ms "
                   "-c log_line_prefix='%m [%p] %e '")
        # pg_stat_statements (statements per request) when the server ships it; without it
        # the bench runs and reports no statement counts.
        self.counts_statements = (self.bin_dir.parent / "lib" / "pg_stat_statements.so").exists()
        if self.counts_statements:
            options += " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
        subprocess.run(self.as_pg + [str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"),
                                     "-w", "-t", str(SERVER_START_S_MAX), "-o", options, "start"], check=True, capture_output=True)
        for database in ("brokergate", "pgbench"):
            self.psql("postgres", f"CREATE DATABASE {database}")
        if self.counts_statements:
            self.psql("brokergate", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self.psql("pgbench", PGBENCH_TABLE)
        return self

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-tAc", sql],
                              check=True, capture_output=True, text=True).stdout.strip()

    def log_summary(self) -> dict:
        """Error lines by SQLSTATE and lock waits logged, from the server's log."""
        summary: dict = {"lock_waits_logged": 0}
        path = self.folder / "server.log"
        for line in (path.read_text(errors="replace") if path.exists() else "").splitlines():
            match = re.match(r"\S+ \S+ \S+ \[\d+\] (\w{5}) (ERROR|FATAL):", line)
            if match:
                summary[match.group(1)] = summary.get(match.group(1), 0) + 1
            if "still waiting for" in line:
                summary["lock_waits_logged"] += 1
            if "read/write dependencies" in line:
                summary["40001_rw_dependencies"] = summary.get("40001_rw_dependencies", 0) + 1
            if "concurrent update" in line:
                summary["40001_concurrent_update"] = summary.get("40001_concurrent_update", 0) + 1
        return summary

    def statement_stats(self) -> list[tuple[int, str]]:
        """Calls per statement in the gateway's database since the last reset (pg_stat_statements)."""
        if not self.counts_statements:
            return []
        rows = self.psql("brokergate", "SELECT calls || '|' || regexp_replace(left(query, 90), '\\s+', ' ', 'g') FROM pg_stat_statements "
                                       "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'brokergate') ORDER BY calls DESC")
        out = []
        for row in rows.splitlines():
            calls, _, query = row.partition("|")
            out.append((int(calls), query))
        return out

    def commits(self) -> tuple[int, int]:
        row = self.psql("brokergate", "SELECT xact_commit || ' ' || xact_rollback FROM pg_stat_database WHERE datname = 'brokergate'")
        commit, rollback = row.split()
        return int(commit), int(rollback)

    def __exit__(self, *exc) -> None:
        subprocess.run(self.as_pg + [str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "stop"], capture_output=True)


def pgbench(server: PostgresServer, connections: int, seconds: int, row_bytes: int) -> dict:
    """Single-row INSERT commits (autocommit: one durable commit each), `connections`
    clients, rows of the order document's stored size."""
    script = server.folder / "insert.sql"
    script.write_text("\\set k random(1, 1000000000)\n"
                      f"INSERT INTO bench_rows (k, body) VALUES (:k, repeat('x', {row_bytes}));\n")
    threads = max(1, min(connections, os.cpu_count() or 1))
    output = subprocess.run(
        [str(server.bin_dir / "pgbench"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-n", "-c", str(connections),
         "-j", str(threads), "-T", str(seconds), "-f", str(script), "pgbench"],
        check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latency_ms = float(re.search(r"latency average = ([\d.]+) ms", output).group(1))
    transactions = int(re.search(r"number of transactions actually processed: (\d+)", output).group(1))
    return {"tps": tps, "latency_avg_ms": latency_ms, "transactions": transactions}


class ActivitySampler:
    """Samples pg_stat_activity every 200 ms while a load runs: what the gateway's backends
    are doing (running, waiting on a lock, on WAL flush, idle in transaction) and on which
    statement, so a hot row or a commit bottleneck is named, not guessed."""

    QUERY = ("SELECT COALESCE(wait_event_type, 'CPU') || ':' || COALESCE(wait_event, state) || ' | ' || "
             "regexp_replace(left(query, 60), '\\s+', ' ', 'g') FROM pg_stat_activity "
             "WHERE datname = 'brokergate' AND pid <> pg_backend_pid() AND state <> 'idle'")

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.counts: Counter = Counter()
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                rows = self.server.psql("brokergate", self.QUERY).splitlines()
            except subprocess.CalledProcessError:
                continue
            self.samples += 1
            self.counts.update(row for row in rows if row)

    def __enter__(self) -> "ActivitySampler":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    def top(self, count: int = 8) -> list[str]:
        return [f"{n / max(1, self.samples):5.1f} backends avg  {what}" for what, n in self.counts.most_common(count)]


class CPUMeter:
    """CPU time of the gateway and of the PostgreSQL server (postmaster and backends) and the
    gateway's voluntary context switches, read from /proc around a load: what one request
    costs each side, whatever else the machine runs. Linux only; elsewhere it reports nothing."""

    TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, gateway_pid: int, server: PostgresServer) -> None:
        self.gateway_pid = gateway_pid
        self.server = server

    @staticmethod
    def ticks(pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        return int(fields[11]) + int(fields[12])  # utime, stime

    def server_pids(self) -> list[int]:
        try:
            postmaster = int((self.server.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        pids = [postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return pids

    def switches(self) -> int:
        total = 0
        for status in Path(f"/proc/{self.gateway_pid}/task").glob("*/status"):
            try:
                total += sum(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("voluntary_ctxt_switches"))
            except OSError:
                continue
        return total

    def sample(self) -> tuple[int, int, int]:
        return self.ticks(self.gateway_pid), sum(self.ticks(pid) for pid in self.server_pids()), self.switches()

    def per_request(self, before: tuple[int, int, int], after: tuple[int, int, int], requests: int) -> dict:
        """Milliseconds of CPU per request on each side and context switches per request.
        Backends that exited during the load are missed, so the server's figure is a floor."""
        requests = max(1, requests)
        return {"gateway_cpu_ms": round((after[0] - before[0]) * 1000 / self.TICKS / requests, 2),
                "postgres_cpu_ms": round((after[1] - before[1]) * 1000 / self.TICKS / requests, 2),
                "gateway_context_switches": round((after[2] - before[2]) / requests, 1)}


def metric_sum(url: str, name: str) -> int:
    """Sum of a Prometheus series over its labels, 0 when absent."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines() if line.startswith(name + "{") or line.startswith(name + " "))


def postgres_run(settings, gateway_class, wrk, load_class, made_up_keys, free_port) -> list:
    """The rows `gateway POST market_buy (PostgreSQL)` and `baseline D (pgbench insert)`, at
    each of BENCH_PG_CONNECTIONS (64), the baseline right after each gateway cell."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None or shutil.which("psql") is None:
        print("  PostgreSQL order path: skipped (no initdb/pgbench under /usr/lib/postgresql/*/bin, or no psql)", flush=True)
        return []
    connections_list = [int(part) for part in os.environ.get("BENCH_PG_CONNECTIONS", "64").split(",") if part.strip()]
    pool = os.environ.get("BENCH_PG_POOL_SIZE")
    writers = os.environ.get("BENCH_PG_WRITE_CONCURRENCY")
    prepared = os.environ.get("BENCH_PG_PREPARED_STATEMENTS")
    loads = []
    with PostgresServer(bin_dir, settings.out_dir / "postgres", free_port()) as server:
        options = ([f"pool_size={pool}"] * bool(pool) + [f"write_concurrency={writers}"] * bool(writers)
                   + [f"prepared_statements={prepared}"] * bool(prepared))
        store = server.url("brokergate") + ("?" + "&".join(options) if options else "")
        with gateway_class(settings, store, "gateway-postgres.log", made_up_keys()) as gateway:
            accounts = gateway.trading_accounts(settings.trading_accounts)
            stock = gateway.stock_id("AAPL")
            for account in accounts:
                gateway.call("POST", f"/api/v2/accounts/{account}/order_requests/market_buy", {"stock_id": stock, "payment_amount": 1}, 201)
            row_bytes = int(server.psql("brokergate", "SELECT COALESCE(CAST(AVG(LENGTH(body::text)) AS INTEGER), 1000) FROM documents WHERE kind = 'order'"))
            # Statistics as autovacuum leaves them on any server that has run for a minute: a
            # fresh server's unanalyzed tables hid sequential-scan plans on small tables, which
            # under SERIALIZABLE lock the whole table (4.7 retries per buy; BENCHMARKS.md).
            server.psql("brokergate", "ANALYZE")
            for connections in connections_list:
                retries_before = metric_sum(gateway.url("/metrics"), "brokergate_store_transaction_retries")
                sent_before = metric_sum(gateway.url("/metrics"), "brokergate_store_statements")
                if server.counts_statements:
                    server.psql("brokergate", "SELECT pg_stat_statements_reset()")
                commits_before = server.commits()
                started = time.monotonic()
                meter = CPUMeter(gateway.process.pid, server)
                cpu_before = meter.sample()
                with ActivitySampler(server) as sampler:
                    load = wrk(settings, gateway.url("/"), "gateway POST market_buy (PostgreSQL)", connections, script="order.lua",
                               env=gateway.order_env(accounts, stock))
                load.extra["cost_per_request"] = meter.per_request(cpu_before, meter.sample(), load.requests)
                cost = load.extra["cost_per_request"]
                print(f"    per request: gateway {cost['gateway_cpu_ms']} ms CPU, PostgreSQL {cost['postgres_cpu_ms']} ms CPU, "
                      f"{cost['gateway_context_switches']} gateway context switches (/proc, the sampler's psql included)", flush=True)
                load.extra["pg_activity"] = sampler.top()
                print("    pg_stat_activity during the load (wait event | statement):", flush=True)
                for line in sampler.top():
                    print(f"      {line}", flush=True)
                commits_after = server.commits()
                statements = server.statement_stats()
                requests = max(1, load.requests)
                commits, rollbacks = commits_after[0] - commits_before[0], commits_after[1] - commits_before[1]
                total_statements = sum(calls for calls, query in statements if "pg_stat" not in query)
                load.extra["pg_commits_per_request"] = round(commits / requests, 2)
                load.extra["pg_rollbacks_per_request"] = round(rollbacks / requests, 2)
                load.extra["pg_statements_per_request"] = round(total_statements / requests, 1)
                counted = f"{total_statements / requests:.1f}" if server.counts_statements else "(no pg_stat_statements)"
                print(f"    server: {commits / requests:.2f} commits, {rollbacks / requests:.2f} rollbacks, "
                      f"{counted} statements per request (pg_stat_statements; BEGIN/COMMIT included)", flush=True)
                for calls, query in statements[:40]:
                    print(f"      {calls / requests:6.2f}/req  {query}", flush=True)
                sent = metric_sum(gateway.url("/metrics"), "brokergate_store_statements") - sent_before
                load.extra["gateway_statements_per_request"] = round(sent / requests, 1)
                print(f"    gateway: {sent / requests:.1f} statements sent per request (/metrics, background jobs included)", flush=True)
                retries = metric_sum(gateway.url("/metrics"), "brokergate_store_transaction_retries") - retries_before
                load.extra["store_retries"] = retries
                load.extra["store_retries_per_request"] = round(retries / max(1, load.requests), 3)
                print(f"    store transactions retried (40001/40P01): {retries} "
                      f"({load.extra['store_retries_per_request']} per request) in {time.monotonic() - started:.0f} s", flush=True)
                loads.append(load)
                base = pgbench(server, connections, settings.seconds, row_bytes)
                baseline = load_class("baseline D (pgbench insert commit)", connections, base["transactions"],
                                      base["transactions"] / base["tps"], base["latency_avg_ms"] * 1000, 0, 0,
                                      {"latency_avg_ms": base["latency_avg_ms"], "row_bytes": row_bytes})
                print(f"  {baseline.scenario:<44} c={connections:<3} {base['tps']:>9.0f} commits/s  "
                      f"avg {base['latency_avg_ms']:7.2f} ms (pgbench reports no p99)", flush=True)
                loads.append(baseline)
        warnings = count_warnings(settings.out_dir / "gateway-postgres.log")
        print(f"  gateway-postgres.log: {warnings} warning/error lines; server log: {server.log_summary()}", flush=True)
    return loads


def count_warnings(path: Path) -> int:
    text = path.read_text(errors="replace") if path.exists() else ""
    return sum(1 for line in text.splitlines() if '"level":"warning"' in line or '"level":"error"' in line)
