#!/usr/bin/env bash
# Soak test of `signet serve` (issue 6; see bench/README.md, "Soak").
#
# Builds the release binaries, runs the key ceremony on a fresh temporary data dir
# (`signet ca init`, software development key by default), starts
# `signet serve --insecure-dev-issuer` (transparency log + CA + CT log) on a free loopback
# port, grows the log to BENCH_SOAK_PREFILL entries with `log-loadgen append` (so that the
# log's bounded caches are at capacity, as on any production-sized log), and runs `soak`:
#   1. seed         a few signings and 300 appends, every answer checked
#   2. calibrate    closed loop over the mix sign:append:read = 1:3:8 (signing = a
#                   certificate + a hashedrekord entry with it), 30 s after 5 s warm-up:
#                   the mix's maximum on this machine
#   3. soak         the three streams open-loop at half that maximum for --duration
#                   (default 30m), the server's VmRSS/VmHWM, fds, threads and CPU sampled
#                   every 10 s with per-window rates, latency percentiles and failures
#   4. verdict      after the warm-up (20 % of --duration): RSS, non-socket fds and
#                   unmatched sockets flat, zero failed requests, target rates achieved
# Arguments are passed to `soak` (e.g. --duration 10m, --rates 100,300,800,
# --load-fraction 0.5, --warmup 5m; `soak --help` lists them).
#
# Exit status: 0 flat and no failed request; 1 verdict failed (or the server died); 2 the
# soak could not run; another non-zero status: a set-up step (build, ca init) failed.
#
# Environment (defaults in brackets):
#   BENCH_SOAK_PREFILL     entries appended before the soak [1100000: past the 2^16 16-leaf
#                          blocks the log caches by default]; 0 = start from an empty log
#   BENCH_SOAK_KEYSTORE    CA key store: software or softhsm [software]
#   SIGNET_PKCS11_MODULE   SoftHSM2 module [first of the Debian/Ubuntu paths]
#   BENCH_SERVE_ARGS       extra arguments for `signet serve` (word-split)
#   SIGNET_DATABASE_URL    postgres://… : the log's database (default SQLite in the data dir)
#   BENCH_RESULTS_DIR      where samples.csv, soak.json, summary.txt and the server log go
#                          [<cargo target dir>/soak/<date-time>]
#   BENCH_KEEP=1           keep the temp dir (data dir included)
#   BENCH_NO_BUILD=1       skip `cargo build`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEYSTORE=${BENCH_SOAK_KEYSTORE:-software}
PREFILL=${BENCH_SOAK_PREFILL:-1100000}

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cd "$ROOT"
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    log "building release binaries"
    cargo build --release -p signet-cli
    cargo build --release -p signet-bench
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)}
SIGNET=$TARGET_DIR/release/signet
SOAK=$TARGET_DIR/release/soak
LOG_LOADGEN=$TARGET_DIR/release/log-loadgen
for bin in "$SIGNET" "$SOAK" "$LOG_LOADGEN"; do
    [[ -x "$bin" ]] || { echo "missing binary $bin" >&2; exit 2; }
done
export BENCH_RESULTS_DIR=${BENCH_RESULTS_DIR:-$TARGET_DIR/soak/$(date +%Y%m%d-%H%M%S)}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/signet-soak.XXXXXX")
REPORTS=$WORK/reports
DATA_DIR=$WORK/data
SERVER_LOG=$WORK/server.log
mkdir -p "$REPORTS"
SERVER_PID=
LOADGEN_PID=

trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "$KEYSTORE: signet ca init"
init_ca "$KEYSTORE" "$DATA_DIR" || exit 2

PORT=$("$LOG_LOADGEN" free-port)
URL=http://127.0.0.1:$PORT
serve_args=(serve --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" --insecure-dev-issuer)
if [[ -n "${SIGNET_DATABASE_URL:-}" ]]; then
    serve_args+=(--database-url "$SIGNET_DATABASE_URL")
fi
# shellcheck disable=SC2206 # word splitting is the point
serve_args+=(${BENCH_SERVE_ARGS:-})
log "starting signet serve (log + CA + CT log + development issuer) on $URL"
"$SIGNET" "${serve_args[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 60); do # up to ~60 s, giving up at once if the server exits
    kill -0 "$SERVER_PID" 2>/dev/null || break
    if "$LOG_LOADGEN" --url "$URL" --request-timeout 2 wait-ready --timeout 1 >/dev/null 2>&1; then
        ready=1
        break
    fi
done
if ((!ready)); then
    echo "signet serve did not answer on $URL; last server log lines:" >&2
    tail -n 40 "$SERVER_LOG" >&2 || true
    exit 2
fi

if ((PREFILL > 0)); then
    log "growing the log to $PREFILL entries (log-loadgen append, closed loop, 256 tasks)"
    started=$SECONDS
    "$LOG_LOADGEN" --url "$URL" --label "soak prefill" --server-pid "$SERVER_PID" \
        --clk-tck "$(getconf CLK_TCK)" --json-out "$REPORTS/prefill.json" \
        append --concurrency 256 --count "$PREFILL" --warmup 0 &
    LOADGEN_PID=$!
    wait "$LOADGEN_PID" || { echo "growing the log failed" >&2; exit 2; }
    LOADGEN_PID=
    echo "log grown to $("$LOG_LOADGEN" --url "$URL" tree-size) entries in $((SECONDS - started)) s" >&2
fi

log "soak $* (results: $BENCH_RESULTS_DIR)"
rc=0
# In the background + `wait`, so that INT/TERM traps run at once; the soak itself stops
# its load on TERM and writes what it measured.
"$SOAK" --url "$URL" --server-pid "$SERVER_PID" --data-dir "$DATA_DIR" \
    --clk-tck "$(getconf CLK_TCK)" --out "$REPORTS" "$@" &
LOADGEN_PID=$!
wait "$LOADGEN_PID" || rc=$?
LOADGEN_PID=
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "signet serve (pid $SERVER_PID) is not running; last server log lines:" >&2
    tail -n 40 "$SERVER_LOG" >&2 || true
    rc=1
fi
{
    echo "largest files in the data dir at the end (SQLite databases, WAL files):"
    find "$DATA_DIR" -type f -printf '%s %P\n' | sort -rn | head -n 8 |
        awk '{ printf "  %10.1f MiB  %s\n", $1 / 1048576, $2 }'
} | tee "$REPORTS/data-dir.txt" >&2
exit "$rc"
