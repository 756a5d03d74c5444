#!/usr/bin/env bash
# Runs the web app's browser tests (Tests/browser) in headless Chromium against BrokerGate.
#
#   BROKERGATE_BIN=.build/debug/brokergate scripts/browser-tests.sh [pytest args...]
#
# The tests start their own server (free loopback port, memory store, sandbox, business
# clock on Tuesday 2026-12-01 10:00 ET, random bootstrap keys) from BROKERGATE_BIN, and
# drive Debian's chromium through chromedriver (CHROMIUM_BIN / CHROMEDRIVER_BIN override the
# /usr/bin paths; install them with `apt-get install chromium chromium-driver`). Screenshots
# of every step at 390 and 1280 px land in Tests/browser/screenshots/ (ignored by git).
#
# The venv is $CONFORMANCE_VENV when set (CI shares the conformance suite's), else
# .venv-browser; requirements are installed only when they changed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$repo_root/Tests/browser/requirements.txt"
venv="${CONFORMANCE_VENV:-$repo_root/.venv-browser}"
python="${PYTHON:-python3}"
# shellcheck source=lib/python-venv.sh
source "$repo_root/scripts/lib/python-venv.sh"

if [[ -z "${BROKERGATE_BIN:-}" || ! -x "${BROKERGATE_BIN}" ]]; then
    echo "browser-tests.sh: set BROKERGATE_BIN to the brokergate executable (e.g. .build/debug/brokergate; build it with: swift build --product brokergate)" >&2
    exit 2
fi
for tool in "${CHROMIUM_BIN:-/usr/bin/chromium}" "${CHROMEDRIVER_BIN:-/usr/bin/chromedriver}"; do
    if [[ ! -x "$tool" ]]; then
        echo "browser-tests.sh: $tool is missing; install it with: apt-get install -y chromium chromium-driver" >&2
        exit 2
    fi
done
BROKERGATE_BIN="$(absolute_path "$BROKERGATE_BIN")"
export BROKERGATE_BIN
ensure_venv "$venv" "$python" "$requirements"

cd "$repo_root/Tests/browser"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
