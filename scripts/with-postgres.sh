#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL: initdb into a temp dir, start it on a free
# loopback port, export BROKERGATE_TEST_POSTGRES_URL, run "$@", stop and delete it.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail

bin_dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -x "$bin_dir/initdb" ]] || { echo "with-postgres.sh: no PostgreSQL binaries under /usr/lib/postgresql/*/bin" >&2; exit 2; }
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data_dir="$(mktemp -d /tmp/brokergate-pg.XXXXXX)"
as_pg=()
if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$data_dir"
    as_pg=(runuser -u postgres --)
fi
cleanup() {
    "${as_pg[@]}" "$bin_dir/pg_ctl" -D "$data_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$data_dir"
}
trap cleanup EXIT

"${as_pg[@]}" "$bin_dir/initdb" -D "$data_dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
# fsync stays on: the crash tests depend on real durability. Connections sized for
# replicas plus the contract suite.
"${as_pg[@]}" "$bin_dir/pg_ctl" -D "$data_dir/data" -l "$data_dir/server.log" -w -t 60 \
    -o "-p $port -k $data_dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
export BROKERGATE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres.sh: PostgreSQL $("$bin_dir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
