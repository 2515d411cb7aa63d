#!/usr/bin/env python3
"""sigstore-python's half of the verification benchmark (bench/run-verify-bench.sh).

Verifies the same bundles as `verify-bench in-process`, in this one Python process, with
sigstore-python's public API: `Verifier(trusted_root=...)` built once, then for each
bundle `Bundle.from_json` and `Verifier.verify_artifact(artefact bytes, bundle,
Identity(identity=..., issuer=...))`. Imports, the trust root and reading the files are
not timed; each bundle's parse + verify is. Prints a report and writes the same JSON
shape as `verify-bench in-process --json-out` (threads = 1: the GIL serialises
verification in one process).

Any failed verification is counted, the first one is shown, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

BUNDLE_SUFFIX = ".sigstore.json"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = p.add_mutually_exclusive_group(required=True)
    root.add_argument("--trust-config", type=Path, help="ClientTrustConfig (trust_config.json)")
    root.add_argument("--trusted-root", type=Path, help="trusted_root.json")
    p.add_argument("--identity", required=True, help="expected certificate identity, exactly")
    p.add_argument("--issuer", required=True, help="expected OIDC issuer, exactly")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dir", type=Path, help="every X.sigstore.json here, against artefact X")
    src.add_argument("--bundle", type=Path, help="one bundle (with --artifact), --repeat times")
    p.add_argument("--artifact", type=Path, help="the artefact of --bundle")
    p.add_argument("--repeat", type=int, default=500, help="with --bundle: verifications per pass")
    p.add_argument("--passes", type=int, default=1, help="measured passes over all bundles")
    p.add_argument("--warmup", type=int, default=20, help="unmeasured verifications first")
    p.add_argument("--label", default="sigstore-python")
    p.add_argument("--json-out", type=Path)
    a = p.parse_args()
    if a.bundle is not None and a.artifact is None:
        p.error("--bundle needs --artifact")
    if a.passes < 1 or a.repeat < 1 or a.warmup < 0:
        p.error("--passes and --repeat must be at least 1, --warmup at least 0")
    return a


def load_cases(a: argparse.Namespace) -> list[tuple[str, bytes, bytes]]:
    if a.bundle is not None:
        bundle, artifact = a.bundle.read_bytes(), a.artifact.read_bytes()
        return [(f"{a.bundle}#{i}", bundle, artifact) for i in range(a.repeat)]
    cases = []
    for b in sorted(a.dir.iterdir()):
        if b.name.endswith(BUNDLE_SUFFIX):
            artefact = b.with_name(b.name[: -len(BUNDLE_SUFFIX)])
            cases.append((str(b), b.read_bytes(), artefact.read_bytes()))
    if not cases:
        sys.exit(f"no *{BUNDLE_SUFFIX} in {a.dir}")
    return cases


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile (as hdrhistogram's value_at_quantile)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def main() -> int:
    a = parse_args()
    import sigstore
    from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
    from sigstore.verify import Verifier
    from sigstore.verify.policy import Identity

    if a.trust_config is not None:
        root = ClientTrustConfig.from_json(a.trust_config.read_text()).trusted_root
    else:
        root = TrustedRoot.from_file(str(a.trusted_root))
    verifier = Verifier(trusted_root=root)
    policy = Identity(identity=a.identity, issuer=a.issuer)
    cases = load_cases(a)
    clock = time.perf_counter_ns

    failures = 0
    first_failure = None

    def verify_one(name: str, bundle_json: bytes, artefact: bytes) -> tuple[int, int] | None:
        nonlocal failures, first_failure
        t0 = clock()
        try:
            bundle = Bundle.from_json(bundle_json)
            t1 = clock()
            verifier.verify_artifact(artefact, bundle, policy)
        except Exception as e:  # noqa: BLE001 - every failure is counted and shown
            failures += 1
            if first_failure is None:
                first_failure = f"{name}: {type(e).__name__}: {e}"
            return None
        t2 = clock()
        return t1 - t0, t2 - t1

    for i in range(a.warmup):
        verify_one(*cases[i % len(cases)])
    warm_failures, failures = failures, 0

    parse_ns, verify_ns, total_ns = [], [], []
    start = clock()
    for _ in range(a.passes):
        for case in cases:
            r = verify_one(*case)
            if r is not None:
                parse_ns.append(r[0])
                verify_ns.append(r[1])
                total_ns.append(r[0] + r[1])
    seconds = (clock() - start) / 1e9
    failures += warm_failures

    verifications = a.passes * len(cases)
    total_us = sorted(t / 1e3 for t in total_ns)
    per_s = verifications / seconds
    report = {
        "label": a.label,
        "implementation": f"sigstore-python {sigstore.__version__}",
        "threads": 1,
        "distinct_bundles": 1 if a.bundle is not None else len(cases),
        "verifications": verifications,
        "failures": failures,
        "first_failure": first_failure,
        "seconds": seconds,
        "per_s": per_s,
        "per_s_per_thread": per_s,
        "latency_us": {
            "p50": quantile(total_us, 0.50),
            "p90": quantile(total_us, 0.90),
            "p99": quantile(total_us, 0.99),
            "max": total_us[-1] if total_us else 0.0,
            "mean": statistics.fmean(total_us) if total_us else 0.0,
        },
        "parse_us_mean": statistics.fmean(parse_ns) / 1e3 if parse_ns else 0.0,
        "verify_us_mean": statistics.fmean(verify_ns) / 1e3 if verify_ns else 0.0,
    }
    lat = report["latency_us"]
    print(
        f"[{a.label}] {report['implementation']}, 1 thread, "
        f"{report['distinct_bundles']} distinct bundle(s)\n"
        f"  verified      {verifications} in {seconds:.2f} s, failures {failures}\n"
        f"  throughput    {per_s:.0f}/s\n"
        f"  per bundle    p50 {lat['p50']:.1f} µs  p90 {lat['p90']:.1f} µs  "
        f"p99 {lat['p99']:.1f} µs  max {lat['max']:.1f} µs  mean {lat['mean']:.1f} µs "
        f"(parse {report['parse_us_mean']:.1f} + verify {report['verify_us_mean']:.1f})"
    )
    if first_failure is not None:
        print(f"  first failure {first_failure}")
    if a.json_out is not None:
        a.json_out.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
