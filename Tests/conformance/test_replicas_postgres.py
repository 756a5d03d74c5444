"""Two gateway replicas on one PostgreSQL (issue 9): idempotency keys applied once across
replicas, concurrent writes split between them, and a replica killed with -9 under write
load loses no acknowledged write. Needs BROKERGATE_BIN and BROKERGATE_TEST_POSTGRES_URL
(scripts/with-postgres.sh provides the latter; .ci/run runs it)."""

from __future__ import annotations

import concurrent.futures
import os
import time
import uuid

import httpx
import pytest

from processes import PG, Replica, fresh_postgres_store, isolated_env, random_key

pytestmark = pytest.mark.skipif(
    not (PG and os.environ.get("BROKERGATE_BIN")), reason="needs BROKERGATE_BIN and BROKERGATE_TEST_POSTGRES_URL"
)

@pytest.fixture()
def cluster():
    store = fresh_postgres_store("replicas")
    operator, partner = random_key("operator"), random_key("partner")
    env = isolated_env(partner, operator, BROKERGATE_RATE_LIMIT_RPS="100000", BROKERGATE_RATE_LIMIT_BURST="100000")
    # Both start together: migrations and bootstrap keys must apply once.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        replicas = list(pool.map(lambda _: Replica(store, env), range(2)))
    headers = {
        "operator": {"X-API-Key-Id": operator[0], "X-API-Secret-Key": operator[1]},
        "partner": {"X-API-Key-Id": partner[0], "X-API-Secret-Key": partner[1]},
    }
    yield replicas, headers
    for replica in replicas:
        if replica.process.poll() is None:
            replica.kill9()


def test_idempotencyKeys_applyOnceAcrossReplicas(cluster) -> None:
    (a, b), headers = cluster
    keys = [str(uuid.uuid4()) for _ in range(20)]

    def post(replica: Replica, key: str) -> httpx.Response:
        return httpx.post(
            f"{replica.base}/api/v2/operator/organizations", headers={**headers["operator"], "Idempotency-Key": key},
            json={"name": f"Org {key[:8]}"}, timeout=30,
        )

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda job: (job[1], post(*job)), [(r, k) for k in keys for r in (a, b)]))
    by_key: dict[str, list[httpx.Response]] = {}
    for key, response in results:
        assert response.status_code == 201, response.text
        by_key.setdefault(key, []).append(response)
    for key, responses in by_key.items():
        assert responses[0].json() == responses[1].json(), f"key {key} applied twice"
    ids = {responses[0].json()["organization"]["id"] for responses in by_key.values()}
    assert len(ids) == len(keys)
    print(f"replicas: {len(results)} idempotent posts over 2 replicas → {len(ids)} organizations")


def test_concurrentWritesSplitAcrossReplicas_areAllVisibleOnBoth(cluster) -> None:
    (a, b), headers = cluster
    count = 120

    def create(index: int) -> str:
        replica = (a, b)[index % 2]
        response = httpx.post(f"{replica.base}/api/v2/entities", headers=headers["partner"], json={"name": f"Customer {index}", "reference_id": "load"}, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        created = set(pool.map(create, range(count)))
    assert len(created) == count
    for replica in (a, b):
        seen: set[str] = set()
        cursor = None
        while True:
            params = {"limit": 100, "reference_id": "load", **({"next": cursor} if cursor else {})}
            page = httpx.get(f"{replica.base}/api/v2/entities", headers=headers["partner"], params=params, timeout=30).json()
            seen |= {entity["id"] for entity in page["data"]}
            cursor = page["pagination_metadata"].get("next")
            if not cursor:
                break
        assert seen == created
    print(f"replicas: {count} entities written through 2 replicas, all visible on both")


def test_replicaKilledUnderLoad_losesNoAcknowledgedWrite(cluster) -> None:
    (a, b), headers = cluster
    acknowledged: list[str] = []
    kills = 3
    for kill in range(kills):
        stop_at = time.monotonic() + 0.6

        def writer(index: int) -> list[str]:
            done = []
            while time.monotonic() < stop_at + 5:
                try:
                    response = httpx.post(f"{a.base}/api/v2/entities", headers=headers["partner"], json={"name": f"K{kill}-{index}"}, timeout=5)
                except httpx.HTTPError:
                    break  # the replica died mid-request: unacknowledged, may or may not exist
                if response.status_code == 201:
                    done.append(response.json()["id"])
            return done

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(writer, i) for i in range(8)]
            time.sleep(0.6)
            a.kill9()
            for future in futures:
                acknowledged += future.result()
        a.start()
    for entity_id in acknowledged:
        for replica in (a, b):
            response = httpx.get(f"{replica.base}/api/v2/entities/{entity_id}", headers=headers["partner"], timeout=10)
            assert response.status_code == 200, (entity_id, response.text)
    assert httpx.get(f"{b.base}/ready").status_code == 200
    b.stop()
    print(f"replicas: {kills} kill -9 of a replica under load; {len(acknowledged)} acknowledged writes all present")


def test_perKeyRateLimit_holdsForTheCluster_notPerReplica() -> None:
    store = fresh_postgres_store("ratelimit")
    partner = random_key("partner")
    env = isolated_env(partner, random_key("operator"), BROKERGATE_RATE_LIMIT_RPS="1", BROKERGATE_RATE_LIMIT_BURST="10")
    replicas = [Replica(store, env), Replica(store, env)]
    try:
        headers = {"X-API-Key-Id": partner[0], "X-API-Secret-Key": partner[1]}
        answers = [httpx.get(f"{replicas[i % 2].base}/api/v2/entities/me", headers=headers, timeout=10) for i in range(20)]
        granted = sum(1 for a in answers if a.status_code == 200)
        limited = [a for a in answers if a.status_code == 429]
        # Each replica alone would allow its burst of 10: 20 in all. The cluster allows 10
        # (plus at most a token or two refilled while the requests ran).
        assert 10 <= granted <= 12, [a.status_code for a in answers]
        assert limited and all(int(a.headers["Retry-After"]) >= 1 for a in limited)
        assert "across the cluster" in limited[0].json()["error"]["message"]
        print(f"replicas: per-key limit 1/s burst 10 over 2 replicas: {granted} of 20 granted")
    finally:
        for replica in replicas:
            replica.kill9()


def test_perKeyRateLimit_withLeasedTokens_stillHoldsForTheCluster() -> None:
    """At 100/s with a burst of 50, each replica leases 5 tokens per statement
    (`ClusterRateLimiter`): together they still grant the burst plus what refilled while
    the requests ran, and at most one lease each beyond it; then 429 across the cluster."""
    store = fresh_postgres_store("ratelease")
    partner = random_key("partner")
    env = isolated_env(partner, random_key("operator"), BROKERGATE_RATE_LIMIT_RPS="100", BROKERGATE_RATE_LIMIT_BURST="50")
    replicas = [Replica(store, env), Replica(store, env)]
    try:
        headers = {"X-API-Key-Id": partner[0], "X-API-Secret-Key": partner[1]}
        with httpx.Client(timeout=10) as client:
            started = time.monotonic()
            answers = [client.get(f"{replicas[i % 2].base}/api/v2/entities/me", headers=headers) for i in range(200)]
            elapsed = time.monotonic() - started
        granted = sum(1 for a in answers if a.status_code == 200)
        refilled = 100 * elapsed
        assert 50 <= granted <= 50 + refilled + 2 * 5 + 1, (granted, round(elapsed, 3))
        limited = [a for a in answers if a.status_code == 429]
        # Each replica's own bucket (its half of the requests) would have granted 50 and more.
        assert any("across the cluster" in a.json()["error"]["message"] for a in limited)
        print(f"replicas: per-key limit 100/s burst 50 over 2 replicas leasing 5 tokens: {granted} of 200 granted in {elapsed:.2f} s")
    finally:
        for replica in replicas:
            replica.kill9()


def test_failedAuthThrottle_andPerAddressLimit_holdForTheCluster() -> None:
    """Guesses spread over two replicas are counted together. Behind a trusted proxy (so
    each caller has its own address): an outsider at 10.0.0.66 sends 6 wrong secrets for the
    partner's key id, alternating replicas, with 6 failures allowed per 10 minutes; within
    the next refresh (a second) both replicas answer it 429 `too_many_failed_authentications`
    before any secret is checked, and the key id is locked for addresses that never used it
    (10.0.0.7, even with the right secret). The partner at 10.0.0.5, which authenticated on
    replica A only, still gets in on replica B: A announced it to the cluster. Public API
    routes share the per-address bucket across replicas too."""
    store = fresh_postgres_store("auththrottle")
    partner = random_key("partner")
    env = isolated_env(
        partner, random_key("operator"), BROKERGATE_AUTH_FAILURES_MAX="6", BROKERGATE_AUTH_FAILURE_WINDOW_SECONDS="600",
        BROKERGATE_RATE_LIMIT_IP_RPS="1", BROKERGATE_RATE_LIMIT_IP_BURST="10", BROKERGATE_TRUSTED_PROXIES="127.0.0.1/32")
    a, b = Replica(store, env), Replica(store, env)
    try:
        def get(replica: Replica, address: str, secret: str) -> httpx.Response:
            headers = {"X-API-Key-Id": partner[0], "X-API-Secret-Key": secret, "X-Forwarded-For": address}
            return httpx.get(f"{replica.base}/api/v2/entities/me", headers=headers, timeout=10)

        assert get(a, "10.0.0.5", partner[1]).status_code == 200
        answers = [get((a, b)[i % 2], "10.0.0.66", "wrong-wrong-wrong-wrong").status_code for i in range(6)]
        assert answers == [401] * 6, answers
        deadline = time.monotonic() + 3
        while True:
            refused = [get(r, "10.0.0.66", "wrong-wrong-wrong-wrong") for r in (a, b)]
            if all(x.status_code == 429 for x in refused) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert [x.status_code for x in refused] == [429, 429], [x.text for x in refused]
        assert all(x.json()["error"]["code"] == "too_many_failed_authentications" for x in refused)
        assert all(int(x.headers["Retry-After"]) >= 1 for x in refused)
        assert [get(r, "10.0.0.7", partner[1]).status_code for r in (a, b)] == [429, 429], "the key id is locked for new addresses"
        assert get(b, "10.0.0.5", partner[1]).status_code == 200, "the partner's known address keeps its key on every replica"

        # The per-address bucket of public API routes (burst 10, 1/s) is one for the cluster.
        codes = [
            httpx.get(f"{(a, b)[i % 2].base}/api/v2/market_data/stocks/", headers={"X-Forwarded-For": "10.0.0.9"}, timeout=10).status_code
            for i in range(16)
        ]
        assert 10 <= codes.count(200) <= 12 and 429 in codes, codes
        print(f"replicas: failed-auth throttle shared ({answers} then 429 on both); public routes {codes.count(200)} of 16 granted")
    finally:
        a.kill9()
        b.kill9()
