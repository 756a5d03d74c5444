"""DESIGN.md rule 5 at the foundation level: a write that returned 2xx survives `kill -9`
and a restart on the same SQLite file, and the bootstrap keys are idempotent across
restarts. Runs its own server processes; needs ``BROKERGATE_BIN``."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from processes import Replica, isolated_env, random_key

pytestmark = pytest.mark.skipif(
    not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (kills and restarts the executable)"
)

CRASHES = 3


def test_acknowledgedWrites_surviveKill9_andRestart(tmp_path: Path) -> None:
    store = tmp_path / "durable.sqlite"
    operator = random_key("operator")
    env = isolated_env(random_key("partner"), operator)
    headers = {"X-API-Key-Id": operator[0], "X-API-Secret-Key": operator[1]}
    acknowledged: list[tuple[str, str, str]] = []  # (name, key id, secret)
    for crash in range(CRASHES):
        server = Replica(f"sqlite:{store}", env)
        # Everything acknowledged before this crash is still there, and its key still works.
        for name, key_id, secret in acknowledged:
            me = httpx.get(f"{server.base}/api/v2/entities/me", headers={"X-API-Key-Id": key_id, "X-API-Secret-Key": secret})
            assert me.status_code == 200, (crash, name, me.text)
            assert me.json()["name"] == name
        for index in range(5):
            name = f"Durable {crash}-{index}"
            created = httpx.post(f"{server.base}/api/v2/operator/organizations", headers=headers, json={"name": name})
            assert created.status_code == 201, created.text
            key = created.json()["api_key"]
            acknowledged.append((name, key["id"], key["secret"]))
        # Straight after the last 2xx: no graceful shutdown, no checkpoint.
        server.kill9()
    final = Replica(f"sqlite:{store}", env)
    try:
        for name, key_id, secret in acknowledged:
            me = httpx.get(f"{final.base}/api/v2/entities/me", headers={"X-API-Key-Id": key_id, "X-API-Secret-Key": secret})
            assert me.status_code == 200 and me.json()["name"] == name, (name, me.text)
        assert httpx.get(f"{final.base}/ready").status_code == 200
    finally:
        final.kill9()
    assert len(acknowledged) == 5 * CRASHES
