#!/usr/bin/env bash
# Architecture invariant 1 (ARCHITECTURE.md): the pure crates never depend on an async
# runtime, HTTP, database or HSM crate, directly or transitively.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in signet-tlog-core signet-rekor signet-verifier signet-ca-core signet-ca-identity signet-audit; do
    tree=$(cargo tree -e normal -p "$crate" --prefix none --locked)
    for banned in tokio axum hyper sqlx reqwest cryptoki; do
        if grep -qE "^$banned v" <<<"$tree"; then
            echo "check-boundaries: $crate depends on $banned" >&2
            status=1
        fi
    done
done
[ $status = 0 ] && echo "check-boundaries: pure crates are free of I/O dependencies"
exit $status
