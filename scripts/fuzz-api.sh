#!/usr/bin/env bash
# Fuzzes the API from its contract: schemathesis generates requests from openapi.yaml
# (examples, boundary values, random valid and invalid data) and sends them to a real
# server; every answer must be no 5xx, a status code the spec documents for the operation,
# the documented content type, and a body matching the documented schema.
#
#   scripts/fuzz-api.sh [BINARY]      BINARY defaults to $BROKERGATE_BIN, else .build/debug/brokergate
#
# The server runs on a free loopback port with the memory store, --sandbox and bootstrap
# keys made up for this run. Three passes: partner routes with the partner key and every path
# parameter bound to a real object (scripts/fuzz_fixture.py makes them), partner routes with
# generated ids, and operator and sandbox routes with the operator key. Bounded:
# FUZZ_MAX_EXAMPLES cases per operation (default 8), FUZZ_MAX_SECONDS for the first pass and
# half of it for each other (default 80). The venv is $CONFORMANCE_VENV (default .venv-conformance), created and
# filled with the pinned schemathesis when missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
binary="${1:-${BROKERGATE_BIN:-$repo_root/.build/debug/brokergate}}"
venv="${CONFORMANCE_VENV:-$repo_root/.venv-conformance}"
schemathesis_version="4.32.5"
max_examples="${FUZZ_MAX_EXAMPLES:-8}"
max_seconds="${FUZZ_MAX_SECONDS:-80}"
seed="${FUZZ_SEED:-20261128}"

if [[ ! -x "$binary" ]]; then
    echo "fuzz-api.sh: $binary is not an executable (build it: swift build --product brokergate)" >&2
    exit 2
fi
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

workdir="$(mktemp -d -t brokergate-fuzz.XXXXXX)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base_url="http://127.0.0.1:$port"
partner_id="fuzz-partner-$RANDOM$RANDOM"
partner_secret="$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')"
operator_id="fuzz-operator-$RANDOM$RANDOM"
operator_secret="$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')"

# Limits high enough that the fuzzer measures the API, not the rate limiter (which the
# Swift tests cover); the wallet key so managed wallets answer as in production.
env -i PATH="$PATH" HOME="${HOME:-/root}" \
    BROKERGATE_PARTNER_KEY_ID="$partner_id" BROKERGATE_PARTNER_SECRET="$partner_secret" \
    BROKERGATE_OPERATOR_KEY_ID="$operator_id" BROKERGATE_OPERATOR_SECRET="$operator_secret" \
    BROKERGATE_WALLET_KEY="$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(32))')" \
    BROKERGATE_RATE_LIMIT_RPS=100000 BROKERGATE_RATE_LIMIT_BURST=100000 \
    BROKERGATE_RATE_LIMIT_IP_RPS=100000 BROKERGATE_RATE_LIMIT_IP_BURST=100000 \
    BROKERGATE_AUTH_FAILURES_MAX=100000 \
    "$binary" serve --host 127.0.0.1 --port "$port" --store memory --sandbox --log-level warning \
    >"$workdir/stdout.log" 2>"$workdir/stderr.log" &
server_pid=$!
for _ in $(seq 1 300); do
    if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$base_url/health', timeout=1)" 2>/dev/null; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "fuzz-api.sh: the server exited before /health answered" >&2
        cat "$workdir/stderr.log" >&2
        exit 3
    fi
    sleep 0.2
done

# Real objects for the first pass, so generated requests reach business rules rather than
# stopping at 404 on random ids.
"$venv/bin/python" "$repo_root/scripts/fuzz_fixture.py" "$base_url" "$partner_id" "$partner_secret" \
    "$operator_id" "$operator_secret" >"$workdir/bound.toml"

checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
failed=0
total_cases=0
total_ops=0
total_failures=0
run_pass() {
    local name="$1" key_id="$2" secret="$3" seconds="$4" config="$5"
    shift 5
    local output="$workdir/$name.out"
    echo "== schemathesis pass: $name (up to $seconds s)"
    set +e
    # From the temp dir: schemathesis keeps a cache folder in its working directory. One
    # worker: with two, Hypothesis's lambda-description cache raced (KeyError) in 4.32.5.
    (cd "$workdir" && "$venv/bin/schemathesis" --config-file "$config" run "$repo_root/openapi.yaml" --url "$base_url" \
        --header "X-API-Key-Id: $key_id" --header "X-API-Secret-Key: $secret" \
        --checks "$checks" --phases examples,coverage,fuzzing \
        --max-examples "$max_examples" --max-time "$seconds" --seed "$seed" \
        --workers 1 --request-timeout 10 --no-shrink --suppress-health-check all --warnings off \
        "$@") 2>&1 | tee "$output"
    local status=${PIPESTATUS[0]}
    set -e
    local counts
    counts="$("$venv/bin/python" "$repo_root/scripts/fuzz_counts.py" "$output")"
    echo "$name: $counts"
    read -r ops cases failures <<<"$(echo "$counts" | sed -E 's/operations=([0-9]+) cases=([0-9]+) failures=([0-9]+)/\1 \2 \3/')"
    total_ops=$((total_ops + ops))
    total_cases=$((total_cases + cases))
    total_failures=$((total_failures + failures))
    if [[ $status -ne 0 ]]; then failed=$((failed + 1)); fi
}

touch "$workdir/unbound.toml"
# The event stream is left out: a stream never ends, and schemathesis waits for a whole
# body (its cases would all time out). Tests/conformance/test_events.py drives it.
run_pass partner-real-ids "$partner_id" "$partner_secret" "$max_seconds" "$workdir/bound.toml" \
    --exclude-path-regex '^/api/v2/(operator|sandbox/clock|events/stream)'
run_pass partner-random-ids "$partner_id" "$partner_secret" "$((max_seconds / 2))" "$workdir/unbound.toml" \
    --exclude-path-regex '^/api/v2/(operator|sandbox/clock|events/stream)'
run_pass operator "$operator_id" "$operator_secret" "$((max_seconds / 2))" "$workdir/unbound.toml" \
    --include-path-regex '^/api/v2/(operator|sandbox/clock)'

if grep -qF -e "$partner_secret" -e "$operator_secret" "$workdir/stdout.log" "$workdir/stderr.log"; then
    echo "fuzz-api.sh: an API secret appears in the server's output" >&2
    failed=$((failed + 1))
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "fuzz-api.sh: the server died during the run" >&2
    failed=$((failed + 1))
fi
echo "fuzz: $total_ops operations tested over 3 passes, $total_cases cases sent, $total_failures failures"
if [[ $failed -ne 0 || $total_failures -ne 0 ]]; then
    echo "fuzz-api.sh: $failed pass(es) failed; server stderr tail:" >&2
    tail -n 40 "$workdir/stderr.log" >&2
    exit 1
fi
echo "fuzz: $total_ops passed, 0 failed"
