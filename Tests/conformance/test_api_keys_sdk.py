"""Partner-managed API keys (BrokerGate extension, README "API keys") with dinari-api-sdk in
strict mode, on two gateway replicas sharing one PostgreSQL: a partner creates a second key,
carries on with it through the SDK, revokes its bootstrap key with it, and every replica
refuses the revoked key within 3 s (README "Replicas": each replica keeps verified keys for
2 s) while the second key keeps working everywhere; a read-only key reads through the SDK
and is refused (403 read_only_key) on a write, changing nothing.

The key routes have no SDK method: they are called with httpx; everything the keys are used
for goes through the SDK. Needs BROKERGATE_BIN; with BROKERGATE_TEST_POSTGRES_URL
(scripts/with-postgres.sh, .ci/run) it runs two replicas on a fresh database, without it one
replica on a SQLite file (README "Stores": SQLite is for one process), so the journey still
runs, with both "replicas" being that one process."""

from __future__ import annotations

import concurrent.futures
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dinari_api_sdk import AuthenticationError, Dinari, PermissionDeniedError

from processes import PG, Replica, fresh_postgres_store, isolated_env, random_key
from support import sdk_error

pytestmark = pytest.mark.skipif(not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN")

REVOKED_EVERYWHERE_S_MAX = 3.0  # README: within 2 s on every replica; 1 s of slack for the test
POLL_S = 0.1
KEYS = "/api/v2/api_keys"


class Cluster:
    def __init__(self, replicas: list[Replica], bootstrap: tuple[str, str], operator: tuple[str, str], store: str) -> None:
        self.replicas, self.bootstrap, self.operator, self.store = replicas, bootstrap, operator, store
        self.secrets: dict[str, str] = {bootstrap[1]: "the bootstrap partner key", operator[1]: "the bootstrap operator key"}
        self.clients: list[Dinari] = []

    def sdk(self, replica: Replica, key: tuple[str, str]) -> Dinari:
        """Strict response validation, no retries (a retry would hide the first answer)."""
        client = Dinari(api_key_id=key[0], api_secret_key=key[1], base_url=replica.base,
                        _strict_response_validation=True, max_retries=0, timeout=10.0)  # fmt: skip
        self.clients.append(client)
        return client

    def create_key(self, replica: Replica, caller: tuple[str, str], body: dict) -> tuple[str, str]:
        response = httpx.post(f"{replica.base}{KEYS}", json=body, headers=headers(caller), timeout=10)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["status"] == "ACTIVE" and created.get("revoked_dt") is None, created
        assert created["read_only"] is body.get("read_only", False) and created.get("name") == body.get("name"), created
        assert isinstance(created["secret"], str) and len(created["secret"]) >= 16, created
        self.secrets[created["secret"]] = f"API key {created['id']} ({body})"
        return created["id"], created["secret"]


def headers(key: tuple[str, str]) -> dict[str, str]:
    return {"X-API-Key-Id": key[0], "X-API-Secret-Key": key[1]}


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    operator, bootstrap = random_key("operator"), random_key("partner")
    env = isolated_env(bootstrap, operator, BROKERGATE_RATE_LIMIT_RPS="100000", BROKERGATE_RATE_LIMIT_BURST="100000")
    with tempfile.TemporaryDirectory(prefix="brokergate-api-keys-") as tmp:
        if PG:
            store = fresh_postgres_store("api_keys")
            with concurrent.futures.ThreadPoolExecutor(2) as pool:  # both start together
                replicas = list(pool.map(lambda _: Replica(store, env), range(2)))
        else:
            store = f"sqlite:{Path(tmp) / 'bg.sqlite'}"
            single = Replica(store, env)
            replicas = [single, single]
        cluster = Cluster(replicas, bootstrap, operator, store)
        try:
            yield cluster
        finally:
            for client in cluster.clients:
                client.close()
            for replica in {id(r): r for r in replicas}.values():
                replica.stop()  # SIGTERM, exit code 0
            logs = b"".join(Path(replica.log.name).read_bytes() for replica in {id(r): r for r in replicas}.values())
            leaked = [label for secret, label in cluster.secrets.items() if secret.encode() in logs]
            assert not leaked, f"secrets of {leaked} appear in the replicas' logs"


def refused_everywhere(cluster: Cluster, key: tuple[str, str], since: float) -> list[float]:
    """Calls retrieve_current with `key` on every replica until each answers 401 (the SDK's
    AuthenticationError, in the error shape), at most REVOKED_EVERYWHERE_S_MAX after `since`.
    Returns, per replica, the seconds from `since` to its first refusal."""
    clients = [cluster.sdk(replica, key) for replica in cluster.replicas]
    refused: list[float | None] = [None] * len(clients)
    while None in refused:
        for index, client in enumerate(clients):
            if refused[index] is not None:
                continue
            try:
                client.v2.entities.retrieve_current()
            except AuthenticationError as error:
                sdk_error(error)
                assert error.response.json()["error"]["code"] == "unauthenticated", error.response.text
                refused[index] = time.monotonic() - since
        elapsed = time.monotonic() - since
        assert elapsed < REVOKED_EVERYWHERE_S_MAX, f"the revoked key still worked {elapsed:.1f} s after the revoke: refused {refused}"
        time.sleep(POLL_S)
    return [seconds for seconds in refused if seconds is not None]


def test_rotateKeys_acrossReplicas_revokedKeyRefusedEverywhere_readOnlyKeyCannotWrite(cluster: Cluster) -> None:
    a, b = cluster.replicas
    first = cluster.bootstrap

    # A second key, made with the bootstrap key; the partner carries on with it on A.
    second = cluster.create_key(a, first, {"name": "deploy-2026-12"})
    second_a, second_b = cluster.sdk(a, second), cluster.sdk(b, second)
    reference = f"keys-{uuid.uuid4().hex[:8]}"
    entity = second_a.v2.entities.create(name="Ada Rotation", reference_id=reference)
    assert [e.id for e in second_a.v2.entities.list(reference_id=reference).data] == [entity.id]
    assert second_b.v2.entities.retrieve_by_id(entity.id).id == entity.id  # the other replica sees it

    # The first key works on both replicas right before the revoke (so each one has it cached).
    first_a, first_b = cluster.sdk(a, first), cluster.sdk(b, first)
    organization = first_a.v2.entities.retrieve_current()
    assert first_b.v2.entities.retrieve_current().id == organization.id == second_a.v2.entities.retrieve_current().id
    assert first_b.v2.entities.retrieve_by_id(entity.id).id == entity.id

    # Revoked with the second key, on A.
    revoke = httpx.post(f"{a.base}{KEYS}/{first[0]}/revoke", headers=headers(second), timeout=10)
    revoked_at = time.monotonic()
    assert revoke.status_code == 200, revoke.text
    assert revoke.json()["status"] == "REVOKED" and revoke.json()["revoked_dt"] and revoke.json().get("secret") is None, revoke.json()
    seconds = refused_everywhere(cluster, first, revoked_at)
    print(f"api keys: revoked key refused after {', '.join(f'{s:.2f} s' for s in seconds)} on {'2 PostgreSQL replicas' if PG else 'one SQLite replica'}")
    for client in (first_a, first_b):  # and it stays refused
        with pytest.raises(AuthenticationError):
            client.v2.entities.list(reference_id=reference)

    # The second key keeps working on both replicas.
    for client in (second_a, second_b):
        assert client.v2.entities.retrieve_current().id == organization.id
        assert [e.id for e in client.v2.entities.list(reference_id=reference).data] == [entity.id]
    assert second_b.v2.entities.create(name="Bo Rotation", reference_id=f"{reference}-b").reference_id == f"{reference}-b"
    listed = httpx.get(f"{b.base}{KEYS}", headers=headers(second), timeout=10).json()["data"]
    status = {key["id"]: key["status"] for key in listed}
    assert status == {second[0]: "ACTIVE", first[0]: "REVOKED"}, listed
    assert [key["id"] for key in listed] == [second[0], first[0]], "newest first"
    assert all(key.get("secret") is None for key in listed), "the list never carries a secret"

    # A read-only key reads through the SDK on both replicas, and every write is refused.
    reader = cluster.create_key(b, second, {"name": "dashboard", "read_only": True})
    reader_a, reader_b = cluster.sdk(a, reader), cluster.sdk(b, reader)
    before = [e.id for e in reader_a.v2.entities.list().data]
    assert entity.id in before and [e.id for e in reader_b.v2.entities.list().data] == before
    for client in (reader_a, reader_b):
        with pytest.raises(PermissionDeniedError) as caught:
            client.v2.entities.create(name="Never Written", reference_id=f"{reference}-ro")
        assert sdk_error(caught.value)["code"] == "read_only_key", caught.value.response.text
    assert [e.id for e in reader_a.v2.entities.list().data] == before, "the refused write changed something"
    assert second_a.v2.entities.list(reference_id=f"{reference}-ro").data == []
    for path in (KEYS, f"{KEYS}/{second[0]}/revoke"):  # nor may it manage keys
        refused = httpx.post(f"{a.base}{path}", json={}, headers=headers(reader), timeout=10)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only_key", refused.text

    # A read-only key does not count as a writer: the second key is the last one, and stays.
    last = httpx.post(f"{b.base}{KEYS}/{second[0]}/revoke", headers=headers(second), timeout=10)
    assert last.status_code == 422 and last.json()["error"]["code"] == "last_active_key", last.text
    assert second_a.v2.entities.retrieve_current().id == organization.id


def test_anotherOrganizationsKey_isNotFound_andKeepsWorking(cluster: Cluster) -> None:
    a, b = cluster.replicas
    made = httpx.post(f"{a.base}/api/v2/operator/organizations", json={"name": "Other Partner"}, headers=headers(cluster.operator), timeout=10)
    assert made.status_code == 201, made.text
    other = (made.json()["api_key"]["id"], made.json()["api_key"]["secret"])
    cluster.secrets[other[1]] = "the other organization's key"
    refused = httpx.post(f"{b.base}{KEYS}/{other[0]}/revoke", headers=headers(cluster.bootstrap), timeout=10)
    assert refused.status_code == 404, refused.text
    time.sleep(2.5)  # past every replica's key cache: it must still be active, not revoked late
    for replica in (a, b):
        assert cluster.sdk(replica, other).v2.entities.retrieve_current().id == made.json()["organization"]["id"]
    mine = httpx.get(f"{a.base}{KEYS}", headers=headers(cluster.bootstrap), timeout=10).json()["data"]
    assert other[0] not in {key["id"] for key in mine}
