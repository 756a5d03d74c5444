"""A database outage under a running gateway (issue 17): PostgreSQL is stopped while the
gateway serves; requests that need the store answer 503 `store_unavailable` with
Retry-After (not 500: the SDK retries a 503, and operators are not paged for a bug that is
not one), /health stays up, /ready says not ready; PostgreSQL comes back on the same port
and the same gateway process serves again without a restart, with nothing lost.

The test runs its own PostgreSQL (the shared one serves other tests). Needs BROKERGATE_BIN
and the PostgreSQL binaries; as root the server runs as the `postgres` user, as in
scripts/with-postgres.sh."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time

import httpx
import pytest

from processes import Replica, free_port, isolated_env, random_key

PG_BIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or [""])[-1]
pytestmark = pytest.mark.skipif(
    not (os.environ.get("BROKERGATE_BIN") and os.path.exists(os.path.join(PG_BIN, "initdb"))),
    reason="needs BROKERGATE_BIN and PostgreSQL binaries",
)

RECOVERY_WAIT_S_MAX = 30.0
OUTAGE_REQUEST_S_MAX = 15.0


class OwnPostgres:
    """A throwaway PostgreSQL this test may stop and start at will."""

    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="brokergate-outage-pg.")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.as_pg: list[str] = []
        if os.getuid() == 0:
            subprocess.run(["id", "postgres"], check=True, capture_output=True)
            shutil.chown(self.root, "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self._pg("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale")
        self.start()

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_pg, os.path.join(PG_BIN, tool), *args], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._pg(
            "pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "server.log"), "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


def _create_entity(base: str, headers: dict[str, str], name: str) -> httpx.Response:
    return httpx.post(f"{base}/api/v2/entities/", json={"name": name}, headers=headers, timeout=OUTAGE_REQUEST_S_MAX + 5)


def test_postgresStopped_answers503_thenTheSameGatewayRecovers() -> None:
    pg = OwnPostgres()
    gateway = None
    try:
        partner, operator = random_key("partner"), random_key("operator")
        gateway = Replica(pg.url, isolated_env(partner, operator))
        headers = {"X-API-Key-Id": partner[0], "X-API-Secret-Key": partner[1]}
        before = _create_entity(gateway.base, headers, "Before Outage")
        assert before.status_code == 201, before.text

        pg.stop()
        # Past the key cache's lifetime, so the key check itself needs the store too.
        time.sleep(2.5)
        started = time.monotonic()
        during = _create_entity(gateway.base, headers, "During Outage")
        assert time.monotonic() - started < OUTAGE_REQUEST_S_MAX, "a request hung on the stopped database"
        assert during.status_code == 503, during.text
        assert during.json()["error"]["code"] == "store_unavailable"
        assert during.headers.get("Retry-After") == "1"
        assert httpx.get(f"{gateway.base}/health", timeout=10).status_code == 200, "liveness does not depend on the store"
        assert httpx.get(f"{gateway.base}/ready", timeout=OUTAGE_REQUEST_S_MAX).status_code == 503
        metrics = httpx.get(f"{gateway.base}/metrics", timeout=10).text
        assert "brokergate_store_unavailable_total" in metrics and "brokergate_store_unavailable_total 0" not in metrics

        pg.start()
        deadline = time.monotonic() + RECOVERY_WAIT_S_MAX
        after = None
        while time.monotonic() < deadline:
            after = _create_entity(gateway.base, headers, "After Outage")
            if after.status_code == 201:
                break
            assert after.status_code == 503, after.text
            time.sleep(0.5)
        assert after is not None and after.status_code == 201, f"the gateway did not recover: {after and after.text}"
        assert httpx.get(f"{gateway.base}/ready", timeout=10).status_code == 200
        listed = httpx.get(f"{gateway.base}/api/v2/entities/", headers=headers, timeout=10).json()
        names = {e["name"] for e in listed["data"]}
        assert {"Before Outage", "After Outage"} <= names and "During Outage" not in names, names
        assert gateway.process.poll() is None, "the gateway restarted or died"
        gateway.stop()
    finally:
        if gateway is not None and gateway.process.poll() is None:
            gateway.kill9()
        if gateway is not None:
            print(f"--- gateway log ---\n{gateway.log_tail()}")
        pg.remove()
