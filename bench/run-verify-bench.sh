#!/usr/bin/env bash
# Benchmark of bundle verification (issue 4; see bench/README.md, "Verification").
#
#   1. signs BENCH_VERIFY_BUNDLES distinct small files with one `signet sign` against a
#      throwaway `signet serve --insecure-dev-issuer` on loopback (each bundle has its own
#      log entry, inclusion proof, checkpoint and SET; one certificate for all), then
#      stops the server;
#   2. aws-lc ECDSA P-256/P-384 verification alone (`verify-bench ecdsa`), the floor; then
#      signet-verifier in-process (`verify-bench in-process`): every bundle parsed and
#      fully verified against its own artefact bytes, on 1 thread and on 2 threads; then
#      the public staging vector sigstore-python/bundle_v3.txt.sigstore (P-384 chain)
#      verified BENCH_VERIFY_BUNDLES times per pass;
#   3. sigstore-python (bench/sigstore_python_verify.py) verifying the same bundles, and
#      the vector, in one Python process;
#   4. `signet verify` as a whole process, BENCH_VERIFY_RUNS times on one bundle (and on
#      the vector; and `signet --version`, the floor of any process);
#   5. a summary table, measured against the targets (≥ 4,000 bundles/s per core;
#      `signet verify` under 15 ms), with the Rust / sigstore-python ratio.
# Every verification must succeed: a failed one makes the run exit non-zero.
#
# Environment (defaults in brackets):
#   BENCH_VERIFY_BUNDLES     bundles to sign and verify [2000]
#   BENCH_VERIFY_PASSES      measured in-process passes over them (Rust) [5]
#   BENCH_VERIFY_PY_PASSES   measured passes for sigstore-python [1]
#   BENCH_VERIFY_RUNS        `signet verify` process runs [200]
#   BENCH_PYTHON             Python with sigstore 4.5.1 installed [python3]
#   BENCH_NO_PYTHON=1        skip sigstore-python
#   SIGNET_VECTORS           public vectors folder [<repo>/../shared/vectors]
#   BENCH_RESULTS_DIR        where the reports, summary and logs are copied
#                            [<cargo target dir>/verify-bench/<date-time>]
#   BENCH_KEEP=1             keep the temp dir (bundles included)
#   BENCH_NO_BUILD=1         skip `cargo build`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${BENCH_VERIFY_BUNDLES:-2000}
PASSES=${BENCH_VERIFY_PASSES:-5}
PY_PASSES=${BENCH_VERIFY_PY_PASSES:-1}
RUNS=${BENCH_VERIFY_RUNS:-200}
PYTHON=${BENCH_PYTHON:-python3}
VECTORS=${SIGNET_VECTORS:-$ROOT/../shared/vectors}
IDENTITY=bench@example.com
VECTOR_IDENTITY=william@yossarian.net
VECTOR_ISSUER=https://github.com/login/oauth

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cd "$ROOT"
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    log "building release binaries"
    cargo build --release -p signet-cli -p signet-bench
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)}
SIGNET=$TARGET_DIR/release/signet
VERIFY_BENCH=$TARGET_DIR/release/verify-bench
LOG_LOADGEN=$TARGET_DIR/release/log-loadgen
CA_LOADGEN=$TARGET_DIR/release/ca-loadgen
for bin in "$SIGNET" "$VERIFY_BENCH" "$LOG_LOADGEN" "$CA_LOADGEN"; do
    [[ -x "$bin" ]] || { echo "missing binary $bin" >&2; exit 1; }
done
export BENCH_RESULTS_DIR=${BENCH_RESULTS_DIR:-$TARGET_DIR/verify-bench/$(date +%Y%m%d-%H%M%S)}
VECTOR_BUNDLE=$VECTORS/sigstore-python/bundle_v3.txt.sigstore
VECTOR_ARTIFACT=$VECTORS/sigstore-python/bundle_v3.txt
VECTOR_ROOT=$VECTORS/trust/staging-trusted_root.json
for f in "$VECTOR_BUNDLE" "$VECTOR_ARTIFACT" "$VECTOR_ROOT"; do
    [[ -f "$f" ]] || { echo "missing vector $f (set SIGNET_VECTORS)" >&2; exit 1; }
done
if [[ "${BENCH_NO_PYTHON:-0}" != 1 ]]; then
    py_version=$("$PYTHON" -c 'import sigstore; print(sigstore.__version__)') || {
        echo "sigstore-python is not importable by $PYTHON: pip install sigstore==4.5.1," \
            "set BENCH_PYTHON, or BENCH_NO_PYTHON=1" >&2
        exit 1
    }
    [[ "$py_version" == 4.5.1 ]] || echo "warning: sigstore-python $py_version, not 4.5.1" >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/signet-verify-bench.XXXXXX")
REPORTS=$WORK/reports
DATA=$WORK/data
FILES=$WORK/files
mkdir -p "$REPORTS" "$FILES"
SERVER_PID=
SERVER_LOG=$WORK/server.log
LOADGEN_PID=
FAILED=0

trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. Bundles --------------------------------------------------------------------------
log "signet ca init; signet serve --insecure-dev-issuer"
"$SIGNET" ca init --data-dir "$DATA" --insecure-software-keys-for-development >/dev/null
PORT=$("$LOG_LOADGEN" free-port)
URL=http://127.0.0.1:$PORT
ISSUER=$URL/dev-issuer
TRUST=$DATA/trust_config.json
"$SIGNET" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --insecure-dev-issuer \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
ready=0
for _ in $(seq 1 60); do
    server_alive || exit 1
    if [[ -f "$TRUST" ]] &&
        "$CA_LOADGEN" --url "$URL" --request-timeout 2 wait-ready --timeout 1 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.2
done
((ready)) || { echo "signet serve did not answer within 60 s" >&2; tail -n 40 "$SERVER_LOG" >&2; exit 1; }

log "signing $N files with one signet sign"
for i in $(seq -w 1 "$N"); do
    printf 'signet verify benchmark artefact %s %s\n' "$i" "$WORK" >"$FILES/artefact-$i.txt"
done
TOKEN=$("$SIGNET" dev-token --server "$URL" --sub bench --email "$IDENTITY" --lifetime 3600)
sign_start=$(date +%s.%N)
"$SIGNET" sign "$FILES"/artefact-*.txt --trust-config "$TRUST" --identity-token "$TOKEN" \
    2>"$WORK/sign.log" || { tail -n 20 "$WORK/sign.log" >&2; exit 1; }
sign_end=$(date +%s.%N)
tail -n 1 "$WORK/sign.log" >&2
awk -v a="$sign_start" -v b="$sign_end" -v n="$N" \
    'BEGIN { printf "signing took %.1f s (%.1f ms per file)\n", b - a, (b - a) * 1000 / n }' >&2
stop_server
made=$(find "$FILES" -name '*.sigstore.json' | wc -l)
[[ "$made" == "$N" ]] || { echo "expected $N bundles, found $made" >&2; exit 1; }
artefacts=("$FILES"/artefact-*.txt)
ONE_FILE=${artefacts[0]}

# run_step NAME COMMAND… : one measurement; a failure is recorded, the run goes on.
run_step() {
    local name=$1
    shift
    log "$name"
    "$@" &
    LOADGEN_PID=$!
    local rc=0
    wait "$LOADGEN_PID" || rc=$?
    LOADGEN_PID=
    if ((rc != 0)); then
        echo "step '$name' exited with status $rc" >&2
        FAILED=1
    fi
}

# --- 2. signet-verifier in-process -------------------------------------------------------
# The floor first: aws-lc ECDSA verification alone on this machine.
run_step "aws-lc ECDSA verification alone" "$VERIFY_BENCH" ecdsa --json-out "$REPORTS/ecdsa.json"
OWN=(--trust-config "$TRUST" --identity "$IDENTITY" --issuer "$ISSUER" --dir "$FILES")
VEC=(--trusted-root "$VECTOR_ROOT" --identity "$VECTOR_IDENTITY" --issuer "$VECTOR_ISSUER"
    --bundle "$VECTOR_BUNDLE" --artifact "$VECTOR_ARTIFACT")
run_step "signet-verifier, $N bundles, 1 thread" "$VERIFY_BENCH" in-process "${OWN[@]}" \
    --threads 1 --passes "$PASSES" --label "rust, 1 thread" --json-out "$REPORTS/rust-1.json"
run_step "signet-verifier, $N bundles, 2 threads" "$VERIFY_BENCH" in-process "${OWN[@]}" \
    --threads 2 --passes "$PASSES" --label "rust, 2 threads" --json-out "$REPORTS/rust-2.json"
# The worst case: the memo off, so every bundle checks all five signatures, as if no two
# bundles shared a certificate or a checkpoint.
run_step "signet-verifier, $N bundles, 1 thread, memo off" "$VERIFY_BENCH" in-process \
    "${OWN[@]}" --threads 1 --passes "$PASSES" --memo-capacity 0 --label "rust, memo off" \
    --json-out "$REPORTS/rust-cold.json"
# One bundle repeated: memo off, or every repetition after the first would skip its chain.
run_step "signet-verifier, staging vector x $N, 1 thread" "$VERIFY_BENCH" in-process \
    "${VEC[@]}" --repeat "$N" --threads 1 --passes "$PASSES" --memo-capacity 0 \
    --label "rust, vector" --json-out "$REPORTS/rust-vector.json"

# --- 3. sigstore-python ------------------------------------------------------------------
PY_SUMMARY=()
if [[ "${BENCH_NO_PYTHON:-0}" != 1 ]]; then
    run_step "sigstore-python, $N bundles" "$PYTHON" "$ROOT/bench/sigstore_python_verify.py" \
        --trust-config "$TRUST" --identity "$IDENTITY" --issuer "$ISSUER" --dir "$FILES" \
        --passes "$PY_PASSES" --label "sigstore-python" --json-out "$REPORTS/python.json"
    run_step "sigstore-python, staging vector x $N" "$PYTHON" \
        "$ROOT/bench/sigstore_python_verify.py" --trusted-root "$VECTOR_ROOT" \
        --identity "$VECTOR_IDENTITY" --issuer "$VECTOR_ISSUER" --bundle "$VECTOR_BUNDLE" \
        --artifact "$VECTOR_ARTIFACT" --repeat "$N" --passes "$PY_PASSES" \
        --label "sigstore-python, vector" --json-out "$REPORTS/python-vector.json"
    PY_SUMMARY=(--python "$REPORTS/python.json" --python-vector "$REPORTS/python-vector.json")
fi

# --- 4. signet verify as a process -------------------------------------------------------
run_step "signet verify process x $RUNS" "$VERIFY_BENCH" process --runs "$RUNS" \
    --label "signet verify" --json-out "$REPORTS/process.json" -- \
    "$SIGNET" verify "$ONE_FILE" --bundle "$ONE_FILE.sigstore.json" \
    --certificate-identity "$IDENTITY" --certificate-oidc-issuer "$ISSUER" \
    --trust-config "$TRUST"
run_step "signet verify process x $RUNS, staging vector" "$VERIFY_BENCH" process \
    --runs "$RUNS" --label "signet verify, vector" --json-out "$REPORTS/process-vector.json" -- \
    "$SIGNET" verify "$VECTOR_ARTIFACT" --bundle "$VECTOR_BUNDLE" \
    --certificate-identity "$VECTOR_IDENTITY" --certificate-oidc-issuer "$VECTOR_ISSUER" \
    --trusted-root "$VECTOR_ROOT"
run_step "signet --version process x $RUNS" "$VERIFY_BENCH" process --runs "$RUNS" \
    --label "signet --version" --json-out "$REPORTS/process-floor.json" -- "$SIGNET" --version

# --- 5. Summary --------------------------------------------------------------------------
log "summary ($(nproc) CPUs; $(uname -srm))"
"$VERIFY_BENCH" summary --rust-1 "$REPORTS/rust-1.json" --rust-2 "$REPORTS/rust-2.json" \
    --rust-cold "$REPORTS/rust-cold.json" --rust-vector "$REPORTS/rust-vector.json" "${PY_SUMMARY[@]}" \
    --process "$REPORTS/process.json" --process-vector "$REPORTS/process-vector.json" \
    --process-floor "$REPORTS/process-floor.json" --ecdsa "$REPORTS/ecdsa.json" --out "$REPORTS/summary" || FAILED=1
echo "reports, summary.txt and logs: $BENCH_RESULTS_DIR" >&2
exit "$FAILED"
