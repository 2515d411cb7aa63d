#!/usr/bin/env bash
# The crash test (issue 6), full run: builds the release binaries, then runs `crash-test`
# with CRASH_KILLS (50) SIGKILLs on SQLite, then CRASH_KILLS on a throwaway PostgreSQL
# cluster (half of those rounds kill the database server: the postmaster alone, every
# PostgreSQL process, or the database and then signet serve). After every restart the
# harness checks every acknowledged entry and certificate, the consistency of every
# checkpoint handed out before the kill with the new one, and replays both logs with
# `signet audit replay` (see bench/README.md, "Crash safety").
#
# Environment (defaults in brackets):
#   CRASH_KILLS          rounds per backend, one kill each [50]
#   CRASH_BACKENDS       which backends, space-separated ["sqlite postgres"]
#   CRASH_SEED           seed of both runs [random, printed]
#   CRASH_ARGS           extra crash-test flags, e.g. "--load-ms 500-5000 --appenders 32"
#   BENCH_RESULTS_DIR    if set, the JSON reports and the console output are copied here
#   BENCH_NO_BUILD=1     skip `cargo build`
# Exit status: 0 if every run passed, 1 if one found a failure, 2 on a harness error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KILLS=${CRASH_KILLS:-50}
BACKENDS=${CRASH_BACKENDS:-sqlite postgres}
read -r -a EXTRA <<<"${CRASH_ARGS:-}"

log() { printf '\n=== %s\n' "$*" >&2; }

cd "$ROOT"
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    log "building release binaries"
    cargo build --release -p signet-cli
    cargo build --release -p signet-bench --bin crash-test
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)}
SIGNET=$TARGET_DIR/release/signet
CRASH=$TARGET_DIR/release/crash-test
for bin in "$SIGNET" "$CRASH"; do
    [[ -x "$bin" ]] || { echo "missing binary $bin" >&2; exit 2; }
done

OUT=$(mktemp -d "${TMPDIR:-/tmp}/signet-crash-test.XXXXXX")
cleanup() {
    if [[ -n "${BENCH_RESULTS_DIR:-}" ]]; then
        mkdir -p "$BENCH_RESULTS_DIR"
        cp "$OUT"/* "$BENCH_RESULTS_DIR"/ 2>/dev/null || true
    fi
    rm -rf "$OUT"
}
trap cleanup EXIT

rc=0
for backend in $BACKENDS; do
    log "$backend: $KILLS kills"
    seed_args=()
    [[ -n "${CRASH_SEED:-}" ]] && seed_args=(--seed "$CRASH_SEED")
    status=0
    "$CRASH" --signet "$SIGNET" --backend "$backend" --kills "$KILLS" "${seed_args[@]}" \
        --json-out "$OUT/crash-$backend.json" "${EXTRA[@]}" 2>&1 | tee "$OUT/crash-$backend.txt" ||
        status=${PIPESTATUS[0]}
    if ((status != 0)); then
        echo "crash test on $backend: exit status $status" >&2
        ((status > rc)) && rc=$status
    fi
done

log "summary"
grep -h '^crash-test .*\(PASSED\|FAILED\)' "$OUT"/crash-*.txt || true
exit "$rc"
