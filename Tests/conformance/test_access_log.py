"""The access log of the real binary: one JSON line per request on stderr, with the request
id, client address, method, route pattern, status and duration, escaped where the client's
request id needs it; none at --log-level warning. The gateway writes these lines itself
(`JSONAccessLog`), not through swift-log, so this is where they are checked end to end."""

from __future__ import annotations

import json
import os
import re
import time
import uuid

import httpx
import pytest

from processes import Replica, isolated_env, random_key

pytestmark = pytest.mark.skipif(not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN")

LINE_WAIT_S_MAX = 5.0  # lines are written in batches, within milliseconds


def access_lines(replica: Replica, request_id: str) -> list[dict]:
    found: list[dict] = []
    with open(replica.log.name, encoding="utf-8") as file:
        for line in file:
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("msg") == "request" and entry.get("request_id") == request_id:
                    found.append(entry)
    return found


def test_eachRequest_writesOneParsableLine_withItsFields(tmp_path) -> None:
    env = isolated_env(random_key("partner"), random_key("operator"))
    replica = Replica(f"sqlite:{tmp_path / 'log.sqlite'}", env, log_level="info")
    try:
        request_id = f'log"line\\{uuid.uuid4().hex[:8]}'
        assert httpx.get(f"{replica.base}/health", headers={"X-Request-Id": request_id}).status_code == 200
        missing = httpx.get(f"{replica.base}/api/v2/entities/me", headers={"X-Request-Id": request_id + "-2"})
        assert missing.status_code == 401
        deadline = time.monotonic() + LINE_WAIT_S_MAX
        while not (access_lines(replica, request_id) and access_lines(replica, request_id + "-2")) and time.monotonic() < deadline:
            time.sleep(0.05)
        [health] = access_lines(replica, request_id)
        assert {key: health[key] for key in ("client_address", "level", "logger", "method", "msg", "route", "status")} == {
            "client_address": "127.0.0.1", "level": "info", "logger": "brokergate", "method": "GET", "msg": "request",
            "route": "/health", "status": "200",
        }  # fmt: skip
        assert health["duration_us"].isdigit()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", health["ts"])
        assert set(health) == {"client_address", "duration_us", "level", "logger", "method", "msg", "request_id", "route", "status", "ts"}
        [refused] = access_lines(replica, request_id + "-2")
        assert (refused["route"], refused["status"]) == ("/api/v2/entities/me", "401")
    finally:
        replica.stop()


def test_atLogLevelWarning_noAccessLineIsWritten(tmp_path) -> None:
    env = isolated_env(random_key("partner"), random_key("operator"))
    replica = Replica(f"sqlite:{tmp_path / 'quiet.sqlite'}", env, log_level="warning")
    request_id = f"quiet-{uuid.uuid4().hex}"
    try:
        assert httpx.get(f"{replica.base}/health", headers={"X-Request-Id": request_id}).status_code == 200
    finally:
        replica.stop()  # a graceful exit writes every line still waiting
    assert access_lines(replica, request_id) == []
