#!/usr/bin/env bash
# Benchmark of the Signet transparency log's Rekor v1 API (see bench/README.md).
#
# Builds the release binaries, starts `signet serve` on a fresh temporary data dir and a
# free loopback port, then measures:
#   1. sustained appends      closed loop, BENCH_CONCURRENCY tasks, BENCH_APPEND_SECONDS
#   2. append latency         open loop at BENCH_RATE appends/s, BENCH_OPEN_SECONDS
#   3. proof serving          inclusion and consistency proofs, BENCH_PROOF_SECONDS each
#   4. a big log              grows the log to BENCH_LOG_SIZE entries, reports the server's
#                             VmRSS/VmHWM and on-disk size, then repeats (3) on it
# and prints a summary table. Everything runs on loopback; the server and the temp dir
# are removed on exit.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS          all measured durations at once (quick smoke run: 5)
#   BENCH_APPEND_SECONDS   phase 1 duration [BENCH_SECONDS or 60]
#   BENCH_OPEN_SECONDS     phase 2 duration [BENCH_SECONDS or 60]
#   BENCH_PROOF_SECONDS    each proof run [BENCH_SECONDS or 20]
#   BENCH_WARMUP           append warm-up seconds [5, or 1 when BENCH_SECONDS < 30]
#   BENCH_CONCURRENCY      closed-loop append tasks [256]
#   BENCH_RATE             open-loop offered appends/s [2000]
#   BENCH_READ_CONCURRENCY proof-fetching tasks [64]
#   BENCH_LOG_SIZE         phase 4 target tree size [1000000]
#   BENCH_CLIENT_THREADS   load generator tokio worker threads [1]
#   BENCH_SERVE_ARGS       extra arguments for `signet serve` (word-split)
#   BENCH_RESULTS_DIR      if set, JSON reports, summary and server log are copied here
#   BENCH_KEEP=1           keep the temp dir (data, reports, server log)
#   BENCH_NO_BUILD=1       skip `cargo build`
#   SIGNET_DATABASE_URL    postgres://… : passed to `signet serve --database-url`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ -n "${BENCH_SECONDS:-}" ]]; then
    default_long=$BENCH_SECONDS
    default_proof=$BENCH_SECONDS
else
    default_long=60
    default_proof=20
fi
APPEND_SECONDS=${BENCH_APPEND_SECONDS:-$default_long}
OPEN_SECONDS=${BENCH_OPEN_SECONDS:-$default_long}
PROOF_SECONDS=${BENCH_PROOF_SECONDS:-$default_proof}
if ((${BENCH_SECONDS:-60} < 30)); then default_warmup=1; else default_warmup=5; fi
WARMUP=${BENCH_WARMUP:-$default_warmup}
READ_WARMUP=$((WARMUP < 2 ? WARMUP : 2))
CONCURRENCY=${BENCH_CONCURRENCY:-256}
RATE=${BENCH_RATE:-2000}
READ_CONCURRENCY=${BENCH_READ_CONCURRENCY:-64}
LOG_SIZE=${BENCH_LOG_SIZE:-1000000}
CLIENT_THREADS=${BENCH_CLIENT_THREADS:-1}

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# --- build -------------------------------------------------------------------------
cd "$ROOT"
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    log "building release binaries"
    # Two invocations, so each package gets the feature set it gets when built alone
    # (and reuses those artefacts in the shared target dir).
    cargo build --release -p signet-cli
    cargo build --release -p signet-bench
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)}
SIGNET=$TARGET_DIR/release/signet
LOADGEN=$TARGET_DIR/release/log-loadgen
for bin in "$SIGNET" "$LOADGEN"; do
    [[ -x "$bin" ]] || { echo "missing binary $bin" >&2; exit 1; }
done

# --- server ------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/signet-bench.XXXXXX")
DATA_DIR=$WORK/data
REPORTS=$WORK/reports
mkdir -p "$DATA_DIR" "$REPORTS"
SERVER_PID=
LOADGEN_PID=
FAILED=0

SERVER_LOG=$WORK/server.log
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$("$LOADGEN" free-port)
URL=http://127.0.0.1:$PORT
# Every load-generator connection comes from 127.0.0.1: lift the per-address cap (the
# open loop may hold up to --max-in-flight connections).
serve_args=(serve --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT"
    --max-connections 8192 --max-connections-per-address 8192)
if [[ -n "${SIGNET_DATABASE_URL:-}" ]]; then
    serve_args+=(--database-url "$SIGNET_DATABASE_URL")
fi
# shellcheck disable=SC2206 # word splitting is the point
serve_args+=(${BENCH_SERVE_ARGS:-})

show_serve_args() { # the serve command line with the database URL (may hold a password) masked
    local a out=()
    for a in "${serve_args[@]}"; do
        if [[ -n "${SIGNET_DATABASE_URL:-}" && "$a" == "$SIGNET_DATABASE_URL" ]]; then
            out+=("<database-url>")
        else
            out+=("$a")
        fi
    done
    echo "${out[*]}"
}

log "starting: signet $(show_serve_args)"
"$SIGNET" "${serve_args[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 60); do # up to ~60 s, giving up at once if the server exits
    server_alive || exit 1
    if "$LOADGEN" --url "$URL" --request-timeout 2 wait-ready --timeout 1 >/dev/null 2>&1; then
        ready=1
        break
    fi
done
if ((!ready)); then
    echo "signet serve did not answer GET /api/v1/log within 60 s; last server log lines:" >&2
    tail -n 40 "$SERVER_LOG" >&2 || true
    exit 1
fi

mem_kb() { # VmRSS or VmHWM in kB
    awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER_PID/status"
}
mib() { awk -v kb="$1" 'BEGIN {printf "%.1f MiB", kb / 1024}'; }

PHASE_FILES=()

proofs() { # proofs STEM-PREFIX LABEL-SUFFIX
    run_phase "$1-inclusion" "inclusion proofs$2" read --kind inclusion \
        --concurrency "$READ_CONCURRENCY" --duration "$PROOF_SECONDS" --warmup "$READ_WARMUP"
    run_phase "$1-consistency" "consistency proofs$2" read --kind consistency \
        --concurrency "$READ_CONCURRENCY" --duration "$PROOF_SECONDS" --warmup "$READ_WARMUP"
}

# --- 1. sustained appends ------------------------------------------------------------
run_phase 1-sustained "sustained appends" append --concurrency "$CONCURRENCY" \
    --duration "$APPEND_SECONDS" --warmup "$WARMUP"

# --- 2. latency at a fixed offered rate ------------------------------------------------
run_phase 2-open "appends at ${RATE}/s offered" append --rate "$RATE" \
    --duration "$OPEN_SECONDS" --warmup "$WARMUP"

# --- 3. proof serving ----------------------------------------------------------------
proofs 3 ""

# --- 4. big log ------------------------------------------------------------------------
SIZE=$("$LOADGEN" --url "$URL" tree-size)
RSS_BEFORE=$(mem_kb VmRSS)
if ((SIZE < LOG_SIZE)); then
    run_phase 4-grow "grow log to $LOG_SIZE" append --concurrency "$CONCURRENCY" \
        --count $((LOG_SIZE - SIZE)) --warmup 0
fi
SIZE_BIG=$("$LOADGEN" --url "$URL" tree-size)
RSS_BIG=$(mem_kb VmRSS)
HWM_BIG=$(mem_kb VmHWM)
DISK_BYTES=$(du -sb "$DATA_DIR" | cut -f1)
proofs 5 " @${SIZE_BIG}"
RSS_AFTER=$(mem_kb VmRSS)
HWM_AFTER=$(mem_kb VmHWM)

# --- summary -----------------------------------------------------------------------------
{
    echo
    echo "================ Signet log benchmark summary ================"
    echo "server: $SIGNET $(show_serve_args)"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); client threads $CLIENT_THREADS"
    echo
    "$LOADGEN" summary "${PHASE_FILES[@]}"
    echo
    echo "big log: tree size $SIZE_BIG (target $LOG_SIZE)"
    printf '  %-30s %s\n' "VmRSS before growth" "$(mib "$RSS_BEFORE")" \
        "VmRSS at $SIZE_BIG entries" "$(mib "$RSS_BIG")   (VmHWM $(mib "$HWM_BIG"))" \
        "VmRSS after proof runs" "$(mib "$RSS_AFTER")   (VmHWM $(mib "$HWM_AFTER"))"
    printf '  %-30s %s\n' "on-disk size of --data-dir" "$(awk -v b="$DISK_BYTES" -v n="$SIZE_BIG" \
        'BEGIN { if (n < 1) n = 1; printf "%.1f MiB (%.0f bytes, %.0f bytes/entry)", b / 1048576, b, b / n }')"
    echo "  largest files in --data-dir:"
    find "$DATA_DIR" -type f -printf '%s %P\n' | sort -rn | head -n 5 |
        awk '{ printf "    %10.1f MiB  %s\n", $1 / 1048576, $2 }'
    if [[ -n "${SIGNET_DATABASE_URL:-}" ]]; then
        echo "  (entries live in PostgreSQL: the data-dir size excludes the database)"
    fi
    if ((FAILED)); then
        echo
        echo "WARNING: at least one phase reported no successful request; see its report above"
    fi
} | tee "$REPORTS/summary.txt"
exit "$FAILED"
