#!/usr/bin/env bash
# Benchmark of end-to-end certificate issuance by the Signet CA (see bench/README.md).
#
# For each CA key store (a software P-256 development key, then SoftHSM2 through PKCS#11)
# it runs `signet ca init` on a fresh temporary data dir, starts
# `signet serve --services ca --insecure-dev-issuer` on a free loopback port, and measures
# `POST /api/v2/signingCert` (token verification, identity, policy, key proof,
# precertificate, CT log append, SCT, final certificate) with `ca-loadgen`:
#   1. capacity     closed loop, BENCH_CA_CONCURRENCY tasks, BENCH_CA_SECONDS
#   2. latency      open loop at half the issue's target rate (software 1,500/s,
#                   SoftHSM2 750/s; override with BENCH_CA_RATE_SOFTWARE/_SOFTHSM)
# then prints a summary table. Everything runs on loopback; servers and the temp dir are
# removed on exit.
#
# Environment (defaults in brackets):
#   BENCH_CA_KEYS            which key stores, space-separated ["software softhsm"]
#   BENCH_CA_SECONDS         each measured duration [30]
#   BENCH_CA_WARMUP          warm-up seconds [3]
#   BENCH_CA_CONCURRENCY     closed-loop tasks [64]
#   BENCH_CA_FORM            request form: csr (sigstore-python) or pop [csr]
#   BENCH_CA_RATE_SOFTWARE   open-loop rate with the software key [1500]
#   BENCH_CA_RATE_SOFTHSM    open-loop rate with SoftHSM2 [750]
#   BENCH_CLIENT_THREADS     load generator tokio worker threads [1]
#   SIGNET_PKCS11_MODULE     SoftHSM2 module [first of the Debian/Ubuntu paths]
#   BENCH_RESULTS_DIR        if set, JSON reports, summary and server logs are copied here
#   BENCH_KEEP=1             keep the temp dir
#   BENCH_NO_BUILD=1         skip `cargo build`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEYSTORES=${BENCH_CA_KEYS:-software softhsm}
SECONDS_=${BENCH_CA_SECONDS:-30}
WARMUP=${BENCH_CA_WARMUP:-3}
CONCURRENCY=${BENCH_CA_CONCURRENCY:-64}
FORM=${BENCH_CA_FORM:-csr}
CLIENT_THREADS=${BENCH_CLIENT_THREADS:-1}
declare -A RATE=([software]=${BENCH_CA_RATE_SOFTWARE:-1500} [softhsm]=${BENCH_CA_RATE_SOFTHSM:-750})

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
CA_LOADGEN=$TARGET_DIR/release/ca-loadgen
LOG_LOADGEN=$TARGET_DIR/release/log-loadgen
for bin in "$SIGNET" "$CA_LOADGEN" "$LOG_LOADGEN"; do
    [[ -x "$bin" ]] || { echo "missing binary $bin" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/signet-ca-bench.XXXXXX")
REPORTS=$WORK/reports
mkdir -p "$REPORTS"
SERVER_PID=
LOADGEN_PID=
FAILED=0

trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PHASE_FILES=()
LOADGEN=$CA_LOADGEN

n=0
for ks in $KEYSTORES; do
    n=$((n + 1))
    data=$WORK/data-$ks
    log "$ks: signet ca init"
    init_ca "$ks" "$data"
    PORT=$("$LOG_LOADGEN" free-port)
    URL=http://127.0.0.1:$PORT
    SERVER_LOG=$WORK/server-$ks.log
    log "$ks: signet serve --services ca --insecure-dev-issuer on $URL"
    # All load comes from 127.0.0.1: lift the per-address connection cap.
    "$SIGNET" serve --data-dir "$data" --listen "127.0.0.1:$PORT" --services ca \
        --insecure-dev-issuer --max-connections 8192 --max-connections-per-address 8192 \
        >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    ready=0
    for _ in $(seq 1 60); do
        server_alive || exit 1
        if "$CA_LOADGEN" --url "$URL" --request-timeout 2 wait-ready --timeout 1 2>/dev/null; then
            ready=1
            break
        fi
    done
    ((ready)) || { echo "the CA did not answer within 60 s" >&2; tail -n 40 "$SERVER_LOG" >&2; exit 1; }

    run_phase "$n-$ks-capacity" "$ks: issuance capacity" issue --form "$FORM" \
        --concurrency "$CONCURRENCY" --duration "$SECONDS_" --warmup "$WARMUP"
    run_phase "$n-$ks-latency" "$ks: issuance at ${RATE[$ks]}/s offered" issue --form "$FORM" \
        --rate "${RATE[$ks]}" --duration "$SECONDS_" --warmup "$WARMUP"
    stop_server
done

log "summary"
"$LOG_LOADGEN" summary "${PHASE_FILES[@]}" | tee "$REPORTS/summary.txt"
exit "$FAILED"
