#!/usr/bin/env bash
# Benchmark of the auditor replay (issue 5; see bench/README.md, "Audit replay").
#
#   1. generates — or reuses, from the cache — two fully valid synthetic Signet logs
#      (`audit-bench generate`, on BENCH_AUDIT_GEN_THREADS threads, not timed): one of
#      BENCH_AUDIT_ENTRIES entries and one of BENCH_AUDIT_SMALL entries, with
#      BENCH_AUDIT_K signatures per certificate (1: every entry its own certificate, the
#      worst case). Entries, certificates, SCTs, SETs, checkpoint and trusted root are made
#      with the real building blocks (signet-ca-core, signet-rekor, signet-tlog-core);
#   2. replays each (`audit-bench run`), streaming bundles from disk through the engine
#      of `signet audit replay` (signet_audit::process::process_bundle on
#      BENCH_AUDIT_THREADS threads, folded in order by signet_audit::tree::TreeReplay): the
#      checkpoint verified, then root recomputation (hash only) and full re-verification,
#      with the peak RSS after each; the files are read once before timing (page cache);
#   3. `audit-bench summary`: the targets (≥ 2,000,000 leaves/s; ≥ 10,000 entries/s on
#      2 cores) and whether peak memory stayed flat while the log grew.
# Every entry must verify: a failure makes the run exit non-zero.
#
# Environment (defaults in brackets):
#   BENCH_AUDIT_ENTRIES      entries of the large log [1000000]
#   BENCH_AUDIT_SMALL        entries of the small log, for the memory comparison
#                            [BENCH_AUDIT_ENTRIES / 10]
#   BENCH_AUDIT_K            signatures per certificate, 1..256 [1]
#   BENCH_AUDIT_THREADS      replay threads [2]
#   BENCH_AUDIT_WINDOW       bundles in flight during a replay [16]
#   BENCH_AUDIT_GEN_THREADS  generating threads [2]
#   BENCH_AUDIT_CACHE        where generated logs are kept and reused
#                            [<cargo target dir>/audit-bench/logs]; ~1.9 GB per
#                            million entries
#   BENCH_RESULTS_DIR        where the reports and the summary are copied
#                            [<cargo target dir>/audit-bench/<date-time>]
#   BENCH_KEEP=1             keep the temp dir
#   BENCH_NO_BUILD=1         skip `cargo build`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENTRIES=${BENCH_AUDIT_ENTRIES:-1000000}
SMALL=${BENCH_AUDIT_SMALL:-$((ENTRIES / 10))}
K=${BENCH_AUDIT_K:-1}
THREADS=${BENCH_AUDIT_THREADS:-2}
WINDOW=${BENCH_AUDIT_WINDOW:-16}
GEN_THREADS=${BENCH_AUDIT_GEN_THREADS:-2}
# Must match LAYOUT_VERSION in bench/src/synth_log/mod.rs.
LAYOUT_VERSION=1

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cd "$ROOT"
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    log "building audit-bench (release)"
    cargo build --release -p signet-bench --bin audit-bench
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)}
AUDIT_BENCH=$TARGET_DIR/release/audit-bench
[[ -x "$AUDIT_BENCH" ]] || { echo "missing binary $AUDIT_BENCH" >&2; exit 1; }
CACHE=${BENCH_AUDIT_CACHE:-$TARGET_DIR/audit-bench/logs}
export BENCH_RESULTS_DIR=${BENCH_RESULTS_DIR:-$TARGET_DIR/audit-bench/$(date +%Y%m%d-%H%M%S)}
((SMALL > 0 && SMALL < ENTRIES)) || { echo "BENCH_AUDIT_SMALL must be in 1..ENTRIES-1" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/signet-audit-bench.XXXXXX")
REPORTS=$WORK/reports
mkdir -p "$REPORTS" "$CACHE"
SERVER_PID=
LOADGEN_PID=
FAILED=0

trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ensure_log N : prints the directory of a complete generated log of N entries (K per
# certificate), generating it first unless the cache already holds one.
ensure_log() {
    local n=$1
    local dir=$CACHE/n$n-k$K-v$LAYOUT_VERSION
    if [[ -f "$dir/params.json" ]] && grep -q "\"version\": $LAYOUT_VERSION," "$dir/params.json"; then
        log "reusing the generated log $dir" >&2
    else
        rm -rf "$dir"
        log "generating $n entries, $K per certificate, into $dir" >&2
        "$AUDIT_BENCH" generate --entries "$n" --signatures-per-certificate "$K" \
            --threads "$GEN_THREADS" --out "$dir" >&2 || { rm -rf "$dir"; return 1; }
    fi
    echo "$dir"
}

# replay NAME DIR : one measured run; a failure is recorded, the benchmark goes on.
replay() {
    local name=$1 dir=$2
    log "replay: $name ($THREADS threads; load average $(cut -d' ' -f1-3 /proc/loadavg))"
    local rc=0
    "$AUDIT_BENCH" run --dir "$dir" --threads "$THREADS" --window "$WINDOW" \
        --clk-tck "$(getconf CLK_TCK)" --label "$name" --json "$REPORTS/$name.json" &
    LOADGEN_PID=$!
    wait "$LOADGEN_PID" || rc=$?
    LOADGEN_PID=
    if ((rc != 0)); then
        echo "replay '$name' exited with status $rc" >&2
        FAILED=1
    fi
}

SMALL_DIR=$(ensure_log "$SMALL")
LARGE_DIR=$(ensure_log "$ENTRIES")
replay "small-n$SMALL-k$K" "$SMALL_DIR"
replay "large-n$ENTRIES-k$K" "$LARGE_DIR"

log "summary ($(nproc) CPUs; $(uname -srm); $(date -u +%Y-%m-%dT%H:%MZ))"
if [[ -f "$REPORTS/small-n$SMALL-k$K.json" && -f "$REPORTS/large-n$ENTRIES-k$K.json" ]]; then
    "$AUDIT_BENCH" summary --report "$REPORTS/small-n$SMALL-k$K.json" \
        --report "$REPORTS/large-n$ENTRIES-k$K.json" --out "$REPORTS/summary" || FAILED=1
else
    FAILED=1
fi
echo "reports and summary: $BENCH_RESULTS_DIR; logs kept in $CACHE" >&2
exit "$FAILED"
