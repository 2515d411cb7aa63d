# Shell functions shared by run-log-bench.sh and run-ca-bench.sh (sourced, not run).
#
# The sourcing script sets: WORK (temp dir), REPORTS, LOADGEN (the load generator
# binary), URL, CLIENT_THREADS, SERVER_PID, SERVER_LOG, LOADGEN_PID (empty), FAILED=0,
# PHASE_FILES=(), and calls `trap bench_cleanup EXIT` plus the INT/TERM traps.

log() { printf '\n=== %s\n' "$*" >&2; }

# Stops the server (TERM, then KILL after 10 s).
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}

# EXIT trap: stops the load generator and the server, keeps results if asked
# (BENCH_RESULTS_DIR, BENCH_KEEP=1), removes the temp dir.
bench_cleanup() {
    local rc=$?
    if [[ -n "$LOADGEN_PID" ]]; then
        kill -TERM "$LOADGEN_PID" 2>/dev/null || true
        wait "$LOADGEN_PID" 2>/dev/null || true
    fi
    stop_server
    if [[ -n "${BENCH_RESULTS_DIR:-}" ]]; then
        mkdir -p "$BENCH_RESULTS_DIR"
        cp -r "$REPORTS"/. "$BENCH_RESULTS_DIR"/ 2>/dev/null || true
        cp "$WORK"/*.log "$BENCH_RESULTS_DIR"/ 2>/dev/null || true
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        echo "kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}

server_alive() {
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "signet serve (pid $SERVER_PID) is not running; last server log lines:" >&2
        tail -n 40 "$SERVER_LOG" >&2 || true
        return 1
    fi
}

# run_phase FILE-STEM LABEL ARGS… : one load-generator run, recorded for the summary.
run_phase() {
    local stem=$1 label=$2
    shift 2
    log "$label"
    PHASE_FILES+=("$REPORTS/$stem.json")
    local rc=0
    # In the background + `wait`, so that INT/TERM traps run at once, not after the phase.
    "$LOADGEN" --url "$URL" --threads "$CLIENT_THREADS" --label "$label" \
        --server-pid "$SERVER_PID" --clk-tck "$(getconf CLK_TCK)" \
        --json-out "$REPORTS/$stem.json" "$@" &
    LOADGEN_PID=$!
    wait "$LOADGEN_PID" || rc=$?
    LOADGEN_PID=
    server_alive || exit 1
    if ((rc != 0)); then
        echo "phase '$label' exited with status $rc" >&2
        FAILED=1
    fi
}

# The SoftHSM2 PKCS#11 module: SIGNET_PKCS11_MODULE, else the Debian/Ubuntu paths.
softhsm_module() {
    if [[ -n "${SIGNET_PKCS11_MODULE:-}" ]]; then
        echo "$SIGNET_PKCS11_MODULE"
        return
    fi
    local m
    for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
        /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so; do
        [[ -e "$m" ]] && { echo "$m"; return; }
    done
    echo "no SoftHSM2 module found: apt-get install softhsm2, or set SIGNET_PKCS11_MODULE" >&2
    return 1
}

# init_ca KEYSTORE DATA-DIR : the key ceremony for one key store (software or softhsm;
# the SoftHSM2 token lives in $WORK/tokens and the PIN goes to SIGNET_HSM_PIN).
init_ca() {
    local ks=$1 data=$2
    case "$ks" in
    software)
        "$SIGNET" ca init --data-dir "$data" --insecure-software-keys-for-development
        ;;
    softhsm)
        local module
        module=$(softhsm_module)
        mkdir -p "$WORK/tokens"
        printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
            "$WORK/tokens" >"$WORK/softhsm2.conf"
        export SOFTHSM2_CONF=$WORK/softhsm2.conf
        export SIGNET_HSM_PIN=bench-user-pin
        softhsm2-util --init-token --free --label signet-bench \
            --pin "$SIGNET_HSM_PIN" --so-pin bench-so-pin >/dev/null
        "$SIGNET" ca init --data-dir "$data" --pkcs11-module "$module" --token-label signet-bench
        ;;
    *)
        echo "unknown key store '$ks' (software, softhsm)" >&2
        return 1
        ;;
    esac
}
