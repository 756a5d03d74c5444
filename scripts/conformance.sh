#!/usr/bin/env bash
# Runs the Python SDK conformance suite (Tests/conformance) against BrokerGate.
#
#   BROKERGATE_BIN=.build/release/brokergate scripts/conformance.sh [pytest args...]
#       the suite starts its own server (free loopback port, temp SQLite store, sandbox,
#       random bootstrap keys) and checks graceful shutdown and that no secret is logged;
#       with alpaca-sim built beside it (or ALPACA_SIM_BIN), the --broker alpaca suites run too;
#   BROKERGATE_BASE_URL=http://127.0.0.1:8080 BROKERGATE_PARTNER_KEY_ID=... \
#   BROKERGATE_PARTNER_SECRET=... [BROKERGATE_OPERATOR_KEY_ID=... BROKERGATE_OPERATOR_SECRET=...] \
#   scripts/conformance.sh [pytest args...]
#       the suite uses a server that is already running.
#
# The venv lives in .venv-conformance (ignored by git) unless CONFORMANCE_VENV says
# otherwise; it is rebuilt only when requirements.txt changes. PYTHON picks the
# interpreter that creates it (default python3).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$repo_root/Tests/conformance/requirements.txt"
venv="${CONFORMANCE_VENV:-$repo_root/.venv-conformance}"
python="${PYTHON:-python3}"
# shellcheck source=lib/python-venv.sh
source "$repo_root/scripts/lib/python-venv.sh"

if [[ -z "${BROKERGATE_BIN:-}" && -z "${BROKERGATE_BASE_URL:-}" ]]; then
    cat >&2 <<'MSG'
conformance.sh: nothing to test against. Set either
  BROKERGATE_BIN=/path/to/brokergate   (e.g. .build/release/brokergate; the suite starts it), or
  BROKERGATE_BASE_URL=http://host:port with BROKERGATE_PARTNER_KEY_ID and
  BROKERGATE_PARTNER_SECRET (plus BROKERGATE_OPERATOR_KEY_ID and
  BROKERGATE_OPERATOR_SECRET for the operator tests) to use a running server.
MSG
    exit 2
fi
if [[ -n "${BROKERGATE_BIN:-}" && ! -x "${BROKERGATE_BIN}" ]]; then
    echo "conformance.sh: BROKERGATE_BIN=${BROKERGATE_BIN} is not an executable file (build it with: swift build -c release --product brokergate)" >&2
    exit 2
fi
if [[ -n "${BROKERGATE_BIN:-}" ]]; then
    BROKERGATE_BIN="$(absolute_path "$BROKERGATE_BIN")"
    export BROKERGATE_BIN
    # The Alpaca suites (--broker alpaca) need alpaca-sim; the one built beside the gateway
    # is used unless ALPACA_SIM_BIN names another (they skip, saying so, without it).
    if [[ -z "${ALPACA_SIM_BIN:-}" && -x "$(dirname "$BROKERGATE_BIN")/alpaca-sim" ]]; then
        export ALPACA_SIM_BIN="$(dirname "$BROKERGATE_BIN")/alpaca-sim"
    fi
fi
ensure_venv "$venv" "$python" "$requirements"

cd "$repo_root"
exec "$venv/bin/python" -m pytest Tests/conformance -q "$@"
