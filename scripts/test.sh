#!/usr/bin/env bash
# Runs Signet's whole test suite: formatting, lints, and `cargo test --workspace`
# against real SQLite and a throwaway PostgreSQL cluster on 127.0.0.1.
#
# PostgreSQL: if SIGNET_TEST_POSTGRES_URL is already set, that server is used.
# Otherwise this script initdb's a cluster in a temp directory, starts it on a free
# loopback port, exports SIGNET_TEST_POSTGRES_URL, and removes it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin() {
    if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] || { echo "test.sh: $1 not found (install postgresql)" >&2; exit 1; }
    echo "$found"
}

as_pg() {
    # initdb/postgres refuse to run as root: use the postgres system user then.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PGDIR=""
cleanup() {
    if [ -n "$PGDIR" ]; then
        as_pg "$(pg_bin pg_ctl)" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PGDIR"
    fi
}
trap cleanup EXIT

if [ -z "${SIGNET_TEST_POSTGRES_URL:-}" ]; then
    PGDIR=$(mktemp -d)
    [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$(pg_bin initdb)" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
    as_pg "$(pg_bin pg_ctl)" -D "$PGDIR/data" -l "$PGDIR/log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c max_connections=300 -c fsync=on" start >/dev/null
    export SIGNET_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
    echo "test.sh: throwaway PostgreSQL on 127.0.0.1:$PORT"
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/check-boundaries.sh
cargo test --workspace --locked

# Every fuzz target briefly over its seed corpus from the public vectors (issue 6,
# fuzz/README.md; the longer run is `scripts/fuzz.sh long`). Installs cargo-fuzz if missing.
scripts/fuzz.sh smoke 10
