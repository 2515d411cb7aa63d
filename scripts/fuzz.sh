#!/usr/bin/env bash
# Fuzzing (issue 6, "Hostile input"): the cargo-fuzz targets in fuzz/, one per parser that
# takes outside input (fuzz/README.md lists them and what each covers).
#
#   scripts/fuzz.sh smoke [SECONDS_PER_TARGET]   default 15: the CI run
#   scripts/fuzz.sh long  [SECONDS_PER_TARGET]   default 600: the longer run (fuzz/README.md)
#
# Steps: installs cargo-fuzz (`cargo install cargo-fuzz --locked`) if missing; builds the
# seed corpora fuzz/corpus/<target>/seed-* from the public vectors ($SIGNET_VECTORS, else
# ../shared/vectors beside the repository) with fuzz/seeds.py; builds every target once;
# runs each for SECONDS_PER_TARGET with per-input limits (-timeout=10 s, -rss_limit_mb=2048,
# -malloc_limit_mb=512). Any crash, panic, leak, timeout or out-of-memory fails the run (after
# the other targets have run); the input is kept in fuzz/artifacts/<target>/ and each
# target's libFuzzer output in fuzz/artifacts/logs/.
#
# Environment: FUZZ_TARGETS="a b" runs only those targets. cargo-fuzz passes nightly-only
# flags (-Z, sanitizer and coverage options) to cargo and rustc; RUSTC_BOOTSTRAP=1 lets
# the stable toolchain accept them, so no nightly toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

MODE=${1:-}
case "$MODE" in
    smoke) SECONDS_PER_TARGET=${2:-15} ;;
    long) SECONDS_PER_TARGET=${2:-600} ;;
    *)
        echo "usage: scripts/fuzz.sh smoke|long [SECONDS_PER_TARGET]" >&2
        exit 2
        ;;
esac
case "$SECONDS_PER_TARGET" in
    '' | *[!0-9]*)
        echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number of seconds" >&2
        exit 2
        ;;
esac

VECTORS=${SIGNET_VECTORS:-$REPO/../shared/vectors}
if [ ! -d "$VECTORS" ]; then
    echo "fuzz.sh: public vectors not found at $VECTORS (set SIGNET_VECTORS)" >&2
    exit 1
fi
export SIGNET_VECTORS
SIGNET_VECTORS=$(cd "$VECTORS" && pwd)
export RUSTC_BOOTSTRAP=1

START=$(date +%s)
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

cd fuzz
TARGETS=${FUZZ_TARGETS:-$(cargo fuzz list)}
python3 seeds.py "$SIGNET_VECTORS" corpus

# One build for all targets; `cargo fuzz run` below reuses it (same flags). Release with
# debug assertions and overflow checks (cargo-fuzz's default) and AddressSanitizer, whose
# allocator enforces -malloc_limit_mb on every allocation. 16 codegen units: the build
# is most of a smoke run's time on 2 cores, and the targets lose little speed.
BUILD_FLAGS=(--debug-assertions --codegen-units 16)
# The smoke build is optimised less (opt-level 1, as OSS-Fuzz builds with ASan): it takes
# about a third less time, and 15 s of fuzzing does not need the last bit of speed.
if [ "$MODE" = smoke ]; then
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=${CARGO_PROFILE_RELEASE_OPT_LEVEL:-1}
fi
echo "fuzz.sh: building $(echo "$TARGETS" | wc -w) targets"
cargo fuzz build "${BUILD_FLAGS[@]}"
BUILT=$(date +%s)

LIBFUZZER_FLAGS=(
    -max_total_time="$SECONDS_PER_TARGET"
    -timeout=10
    -rss_limit_mb=2048
    -malloc_limit_mb=512
    -print_final_stats=1
)
mkdir -p artifacts/logs
FAILED=()
SUMMARY=()
for target in $TARGETS; do
    log="artifacts/logs/$MODE-$target.log"
    mkdir -p "artifacts/$target"
    echo "fuzz.sh: $target for ${SECONDS_PER_TARGET}s"
    status=0
    cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "corpus/$target" -- \
        "${LIBFUZZER_FLAGS[@]}" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corpus=$(find "corpus/$target" -type f | wc -l)
    if [ "$status" -ne 0 ]; then
        FAILED+=("$target")
        SUMMARY+=("$(printf '%-20s FAILED (exit %s) execs=%s; see fuzz/%s' "$target" "$status" "${execs:-?}" "$log")")
        grep -E '^(==[0-9]+==|SUMMARY|thread .* panicked|artifact_prefix|Test unit written)' "$log" | head -n 20 >&2 || true
    else
        SUMMARY+=("$(printf '%-20s ok  execs=%-9s cov=%-6s corpus=%s' "$target" "${execs:-?}" "${cov:-?}" "$corpus")")
    fi
done
END=$(date +%s)

echo
echo "fuzz.sh $MODE: build $((BUILT - START))s, fuzzing $((END - BUILT))s, total $((END - START))s"
printf '  %s\n' "${SUMMARY[@]}"
if [ "${#FAILED[@]}" -ne 0 ]; then
    echo "fuzz.sh: FAILED: ${FAILED[*]} (inputs in fuzz/artifacts/<target>/; reproduce with" \
        "RUSTC_BOOTSTRAP=1 cargo fuzz run ${BUILD_FLAGS[*]} <target> <input>)" >&2
    exit 1
fi
echo "fuzz.sh: ${MODE}: no crash, leak, timeout or out-of-memory in $(echo "$TARGETS" | wc -w) targets"
