//! `verify-bench`: the verification benchmark (issue 4, "Benchmark").
//!
//! * `in-process`: parses and fully verifies bundles with
//!   [`signet_verifier::verify::Verifier`] (built once per run) on 1..n threads, each
//!   bundle against its own artefact bytes, and reports bundles/s and per-bundle latency.
//! * `process`: runs a command (e.g. `signet verify …`) many times and reports its wall
//!   time.
//! * `ecdsa`: aws-lc's ECDSA P-256 and P-384 verification alone on this machine, the floor
//!   under any bundle verification (a Fulcio-certificate bundle needs five P-256
//!   verifications: the leaf's signature, its SCT, the SET, the checkpoint and the
//!   artefact's signature).
//! * `summary`: one table over the reports, measured against the targets
//!   (≥ 4,000 bundles/s per core, `signet verify` under 15 ms), with the Rust /
//!   sigstore-python ratio.
//!
//! `run-verify-bench.sh` drives all three; `sigstore_python_verify.py` writes
//! sigstore-python's report in the same JSON shape as `in-process`.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Stdio};
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, ensure, Context as _};
use clap::{Args, Parser, Subcommand};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use signet_verifier::bundle::Bundle;
use signet_verifier::identity::IdentityPolicy;
use signet_verifier::trusted_root::TrustedRoot;
use signet_verifier::verify::{Artifact, SignerPolicy, Verifier};

/// The per-core target, bundles per second.
const TARGET_PER_CORE: f64 = 4_000.0;
/// The target for `signet verify` as a whole process, milliseconds.
const TARGET_PROCESS_MS: f64 = 15.0;
/// Bundle files end in this; the artefact is the same path without it.
const BUNDLE_SUFFIX: &str = ".sigstore.json";
/// Highest latency the histograms track: 10 s, in nanoseconds.
const MAX_TRACKABLE_NS: u64 = 10_000_000_000;

#[derive(Parser, Debug)]
#[command(
    name = "verify-bench",
    about = "Benchmark of Sigstore bundle verification: in-process (signet-verifier) and as a process"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and verify bundles in this process, on --threads threads.
    InProcess(InProcessArgs),
    /// Run a command --runs times and report its wall time (after `--`).
    Process(ProcessArgs),
    /// Measure aws-lc ECDSA verification alone (P-256, P-384), one thread.
    Ecdsa(EcdsaArgs),
    /// Print the summary table over the reports of one run.
    Summary(SummaryArgs),
}

#[derive(Args, Debug)]
struct EcdsaArgs {
    /// Measured seconds per curve.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Also write the JSON report to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct InProcessArgs {
    /// ClientTrustConfig whose trusted root to verify against (`trust_config.json`).
    #[arg(
        long,
        conflicts_with = "trusted_root",
        required_unless_present = "trusted_root"
    )]
    trust_config: Option<PathBuf>,
    /// trusted_root.json to verify against.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// Expected certificate identity (SAN), exactly.
    #[arg(long)]
    identity: String,
    /// Expected OIDC issuer, exactly.
    #[arg(long)]
    issuer: String,
    /// Every `X.sigstore.json` in this directory, verified against artefact `X`.
    #[arg(long, conflicts_with_all = ["bundle", "artifact"], required_unless_present = "bundle")]
    dir: Option<PathBuf>,
    /// One bundle (with --artifact), verified --repeat times per pass.
    #[arg(long, requires = "artifact")]
    bundle: Option<PathBuf>,
    /// The artefact of --bundle.
    #[arg(long)]
    artifact: Option<PathBuf>,
    /// With --bundle: how many verifications make one pass.
    #[arg(long, default_value_t = 2_000)]
    repeat: usize,
    /// Verifying threads; the bundles are dealt round-robin among them.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Measured passes over all bundles.
    #[arg(long, default_value_t = 5)]
    passes: usize,
    /// Unmeasured passes before them (page faults, allocator, caches).
    #[arg(long, default_value_t = 1)]
    warmup_passes: usize,
    /// Facts the verifier's memo keeps (`Verifier::with_memo_capacity`): 0 makes every
    /// bundle do every signature check, as if no two shared a certificate or checkpoint.
    #[arg(long, default_value_t = signet_verifier::verify::DEFAULT_MEMO_CAPACITY)]
    memo_capacity: usize,
    /// Label carried into the report.
    #[arg(long)]
    label: Option<String>,
    /// Also write the JSON report to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ProcessArgs {
    /// Measured runs.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// Unmeasured runs before them (page cache).
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// Label carried into the report.
    #[arg(long)]
    label: Option<String>,
    /// Also write the JSON report to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

#[derive(Args, Debug)]
struct SummaryArgs {
    /// signet-verifier, the signed bundles, 1 thread.
    #[arg(long)]
    rust_1: PathBuf,
    /// signet-verifier, the signed bundles, 2 threads.
    #[arg(long)]
    rust_2: PathBuf,
    /// signet-verifier, the signed bundles, 1 thread, memo off (every signature checked).
    #[arg(long)]
    rust_cold: Option<PathBuf>,
    /// signet-verifier, the staging vector (P-384 chain), 1 thread.
    #[arg(long)]
    rust_vector: Option<PathBuf>,
    /// sigstore-python, the signed bundles.
    #[arg(long)]
    python: Option<PathBuf>,
    /// sigstore-python, the staging vector.
    #[arg(long)]
    python_vector: Option<PathBuf>,
    /// `signet verify` as a process, one signed bundle.
    #[arg(long)]
    process: PathBuf,
    /// `signet verify` as a process, the staging vector.
    #[arg(long)]
    process_vector: Option<PathBuf>,
    /// `signet --version` as a process (the floor of any process).
    #[arg(long)]
    process_floor: Option<PathBuf>,
    /// aws-lc ECDSA verification alone (`verify-bench ecdsa`).
    #[arg(long)]
    ecdsa: Option<PathBuf>,
    /// Also write the table and the verdicts (JSON) here: FILE.txt and FILE.json.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Latency percentiles in microseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct LatencyUs {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

impl LatencyUs {
    fn of_ns(h: &Histogram<u64>) -> Self {
        let us = |ns: u64| ns as f64 / 1_000.0;
        Self {
            p50: us(h.value_at_quantile(0.50)),
            p90: us(h.value_at_quantile(0.90)),
            p99: us(h.value_at_quantile(0.99)),
            max: us(h.max()),
            mean: h.mean() / 1_000.0,
        }
    }
}

/// One in-process run (also written by `sigstore_python_verify.py`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct InProcessReport {
    label: String,
    /// `signet-verifier` or `sigstore-python <version>`.
    implementation: String,
    threads: usize,
    distinct_bundles: usize,
    /// The verifier's memo capacity (signet-verifier only; 0 = off).
    #[serde(default)]
    memo_capacity: Option<usize>,
    /// Measured verifications (passes × bundles).
    verifications: u64,
    failures: u64,
    first_failure: Option<String>,
    /// Wall time of the measured passes.
    seconds: f64,
    per_s: f64,
    per_s_per_thread: f64,
    /// Parse + verify of one bundle.
    latency_us: LatencyUs,
    /// Mean of `Bundle::from_json` alone.
    parse_us_mean: f64,
    /// Mean of `Verifier::verify` alone.
    verify_us_mean: f64,
}

/// One `process` run.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ProcessReport {
    label: String,
    command: Vec<String>,
    runs: usize,
    failures: u64,
    first_failure: Option<String>,
    wall_ms: LatencyMs,
}

/// One `ecdsa` run: single-thread verifications per second.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct EcdsaReport {
    p256_per_s: f64,
    p256_us: f64,
    p384_per_s: f64,
    p384_us: f64,
}

/// Wall times in milliseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct LatencyMs {
    min: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("verify-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::InProcess(a) => in_process(&a),
        Command::Process(a) => process(&a),
        Command::Ecdsa(a) => ecdsa(&a),
        Command::Summary(a) => summary(&a),
    }
}

/// Verifications per second of one signature by a fresh key, for `seconds`.
fn ecdsa_rate(
    signing: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm,
    verifying: &'static aws_lc_rs::signature::EcdsaVerificationAlgorithm,
    seconds: f64,
) -> anyhow::Result<f64> {
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
    let pair = EcdsaKeyPair::generate(signing).context("ECDSA key generation")?;
    let message = b"signet verify-bench ecdsa baseline";
    let signature = pair
        .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
        .context("ECDSA signing")?;
    let key = UnparsedPublicKey::new(verifying, pair.public_key().as_ref().to_vec());
    let budget = Duration::try_from_secs_f64(seconds).context("--seconds")?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..64 {
            key.verify(message, signature.as_ref())
                .map_err(|_| anyhow::anyhow!("ECDSA baseline signature did not verify"))?;
        }
        n += 64;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn ecdsa(a: &EcdsaArgs) -> anyhow::Result<ExitCode> {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1,
        ECDSA_P384_SHA384_ASN1_SIGNING,
    };
    let p256 = ecdsa_rate(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &ECDSA_P256_SHA256_ASN1,
        a.seconds,
    )?;
    let p384 = ecdsa_rate(
        &ECDSA_P384_SHA384_ASN1_SIGNING,
        &ECDSA_P384_SHA384_ASN1,
        a.seconds,
    )?;
    let report = EcdsaReport {
        p256_per_s: p256,
        p256_us: 1e6 / p256,
        p384_per_s: p384,
        p384_us: 1e6 / p384,
    };
    println!(
        "[aws-lc ECDSA verify, 1 thread]\n  P-256 {:.0}/s ({:.1} µs)\n  P-384 {:.0}/s ({:.1} µs)",
        report.p256_per_s, report.p256_us, report.p384_per_s, report.p384_us
    );
    write_json(a.json_out.as_deref(), &report)?;
    Ok(ExitCode::SUCCESS)
}

/// A bundle's JSON and its artefact's bytes, read before timing.
struct Case {
    name: String,
    bundle_json: Vec<u8>,
    artifact: Vec<u8>,
}

fn load_cases(a: &InProcessArgs) -> anyhow::Result<Vec<Case>> {
    if let (Some(bundle), Some(artifact)) = (&a.bundle, &a.artifact) {
        ensure!(a.repeat > 0, "--repeat must be at least 1");
        let bundle_json = read(bundle)?;
        let artifact_bytes = read(artifact)?;
        return Ok((0..a.repeat)
            .map(|i| Case {
                name: format!("{}#{i}", bundle.display()),
                bundle_json: bundle_json.clone(),
                artifact: artifact_bytes.clone(),
            })
            .collect());
    }
    let Some(dir) = &a.dir else {
        bail!("give --dir, or --bundle with --artifact");
    };
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(BUNDLE_SUFFIX))
        .collect();
    bundles.sort();
    ensure!(
        !bundles.is_empty(),
        "no *{BUNDLE_SUFFIX} in {}",
        dir.display()
    );
    bundles
        .iter()
        .map(|b| {
            let s = b.to_string_lossy();
            let artifact = PathBuf::from(&s[..s.len() - BUNDLE_SUFFIX.len()]);
            Ok(Case {
                name: b.display().to_string(),
                bundle_json: read(b)?,
                artifact: read(&artifact)?,
            })
        })
        .collect()
}

fn read(p: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("reading {}", p.display()))
}

fn load_root(a: &InProcessArgs) -> anyhow::Result<TrustedRoot> {
    match (&a.trust_config, &a.trusted_root) {
        (Some(p), _) => TrustedRoot::from_client_trust_config_json(&read(p)?)
            .with_context(|| format!("trust config {}", p.display())),
        (None, Some(p)) => TrustedRoot::from_json(&read(p)?)
            .with_context(|| format!("trusted root {}", p.display())),
        (None, None) => bail!("give --trust-config or --trusted-root"),
    }
}

/// What one thread measured.
struct ThreadResult {
    total_ns: Histogram<u64>,
    parse_ns_sum: u128,
    verify_ns_sum: u128,
    verifications: u64,
    failures: u64,
    first_failure: Option<String>,
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_TRACKABLE_NS, 3)?)
}

/// Parses and verifies `cases` `passes` times; returns what it measured.
fn verify_shard(
    verifier: &Verifier,
    policy: &SignerPolicy,
    cases: &[&Case],
    passes: usize,
) -> anyhow::Result<ThreadResult> {
    let mut r = ThreadResult {
        total_ns: histogram()?,
        parse_ns_sum: 0,
        verify_ns_sum: 0,
        verifications: 0,
        failures: 0,
        first_failure: None,
    };
    for _ in 0..passes {
        for case in cases {
            let t0 = Instant::now();
            let outcome = Bundle::from_json(&case.bundle_json)
                .map_err(|e| format!("parse: {e}"))
                .map(|bundle| (Instant::now(), bundle))
                .and_then(|(t1, bundle)| {
                    verifier
                        .verify(
                            &bundle,
                            Artifact::Bytes(&case.artifact),
                            policy,
                            SystemTime::now(),
                        )
                        .map(|_| t1)
                        .map_err(|e| format!("verify: {e}"))
                });
            let t2 = Instant::now();
            r.verifications += 1;
            match outcome {
                Ok(t1) => {
                    r.parse_ns_sum += t1.duration_since(t0).as_nanos();
                    r.verify_ns_sum += t2.duration_since(t1).as_nanos();
                    r.total_ns
                        .saturating_record(nanos(t2.duration_since(t0)).max(1));
                }
                Err(e) => {
                    r.failures += 1;
                    r.first_failure
                        .get_or_insert_with(|| format!("{}: {e}", case.name));
                }
            }
        }
    }
    Ok(r)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn in_process(a: &InProcessArgs) -> anyhow::Result<ExitCode> {
    ensure!(a.threads > 0, "--threads must be at least 1");
    ensure!(a.passes > 0, "--passes must be at least 1");
    let verifier = Verifier::new(load_root(a)?)
        .context("preparing the trusted root")?
        .with_memo_capacity(a.memo_capacity);
    let policy = SignerPolicy::Identity(IdentityPolicy::exact(&a.identity, &a.issuer));
    let cases = load_cases(a)?;
    let shards: Vec<Vec<&Case>> = (0..a.threads)
        .map(|t| cases.iter().skip(t).step_by(a.threads).collect())
        .collect();

    let barrier = Barrier::new(a.threads + 1);
    let (results, seconds) = std::thread::scope(|s| -> anyhow::Result<_> {
        let handles: Vec<_> = shards
            .iter()
            .map(|shard| {
                let (verifier, policy, barrier) = (&verifier, &policy, &barrier);
                s.spawn(move || {
                    // The warm-up's failures are the measured passes' failures too.
                    let warm = verify_shard(verifier, policy, shard, a.warmup_passes);
                    barrier.wait();
                    let measured = verify_shard(verifier, policy, shard, a.passes);
                    warm.and(measured)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut results = Vec::with_capacity(handles.len());
        for h in handles {
            match h.join() {
                Ok(r) => results.push(r?),
                Err(_) => bail!("a verifying thread panicked"),
            }
        }
        Ok((results, start.elapsed().as_secs_f64()))
    })?;

    let mut total = histogram()?;
    let (mut parse_ns, mut verify_ns, mut verifications, mut failures) = (0u128, 0u128, 0, 0);
    let mut first_failure = None;
    for r in results {
        total.add(&r.total_ns)?;
        parse_ns += r.parse_ns_sum;
        verify_ns += r.verify_ns_sum;
        verifications += r.verifications;
        failures += r.failures;
        first_failure = first_failure.or(r.first_failure);
    }
    let ok = verifications - failures;
    let per_s = verifications as f64 / seconds;
    let mean_us = |ns: u128| {
        if ok == 0 {
            0.0
        } else {
            ns as f64 / ok as f64 / 1_000.0
        }
    };
    let report = InProcessReport {
        label: a.label.clone().unwrap_or_else(|| "in-process".into()),
        implementation: "signet-verifier".into(),
        threads: a.threads,
        distinct_bundles: if a.bundle.is_some() { 1 } else { cases.len() },
        memo_capacity: Some(a.memo_capacity),
        verifications,
        failures,
        first_failure,
        seconds,
        per_s,
        per_s_per_thread: per_s / a.threads as f64,
        latency_us: LatencyUs::of_ns(&total),
        parse_us_mean: mean_us(parse_ns),
        verify_us_mean: mean_us(verify_ns),
    };
    println!("{}", in_process_text(&report));
    write_json(a.json_out.as_deref(), &report)?;
    Ok(if report.failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn in_process_text(r: &InProcessReport) -> String {
    let l = &r.latency_us;
    let mut s = format!(
        "[{}] {}, {} thread(s), {} distinct bundle(s)\n  \
         verified      {} in {:.2} s, failures {}\n  \
         throughput    {:.0}/s ({:.0}/s per thread)\n  \
         per bundle    p50 {:.1} µs  p90 {:.1} µs  p99 {:.1} µs  max {:.1} µs  mean {:.1} µs \
         (parse {:.1} + verify {:.1})",
        r.label,
        r.implementation,
        r.threads,
        r.distinct_bundles,
        r.verifications,
        r.seconds,
        r.failures,
        r.per_s,
        r.per_s_per_thread,
        l.p50,
        l.p90,
        l.p99,
        l.max,
        l.mean,
        r.parse_us_mean,
        r.verify_us_mean,
    );
    if let Some(f) = &r.first_failure {
        s.push_str(&format!("\n  first failure {f}"));
    }
    s
}

fn process(a: &ProcessArgs) -> anyhow::Result<ExitCode> {
    ensure!(a.runs > 0, "--runs must be at least 1");
    let (program, args) = a
        .command
        .split_first()
        .context("no command given after --")?;
    let mut times = histogram()?;
    let mut sum = Duration::ZERO;
    let (mut failures, mut first_failure) = (0u64, None);
    for i in 0..a.warmup + a.runs {
        let start = Instant::now();
        let out = Process::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {program}"))?;
        let took = start.elapsed();
        if !out.status.success() {
            failures += 1;
            first_failure.get_or_insert_with(|| {
                format!(
                    "{}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )
            });
        }
        if i >= a.warmup {
            times.saturating_record(nanos(took).max(1));
            sum += took;
        }
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    let report = ProcessReport {
        label: a.label.clone().unwrap_or_else(|| "process".into()),
        command: a.command.clone(),
        runs: a.runs,
        failures,
        first_failure,
        wall_ms: LatencyMs {
            min: ms(times.min()),
            p50: ms(times.value_at_quantile(0.50)),
            p90: ms(times.value_at_quantile(0.90)),
            p99: ms(times.value_at_quantile(0.99)),
            max: ms(times.max()),
            mean: sum.as_secs_f64() * 1e3 / a.runs as f64,
        },
    };
    let w = &report.wall_ms;
    println!(
        "[{}] {} runs (+{} warm-up), failures {}\n  \
         wall time     mean {:.2} ms  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  min {:.2} ms  max {:.2} ms",
        report.label, a.runs, a.warmup, failures, w.mean, w.p50, w.p90, w.p99, w.min, w.max
    );
    if let Some(f) = &report.first_failure {
        println!("  first failure {f}");
    }
    write_json(a.json_out.as_deref(), &report)?;
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn write_json(path: Option<&Path>, value: &impl Serialize) -> anyhow::Result<()> {
    if let Some(p) = path {
        std::fs::write(p, format!("{}\n", serde_json::to_string_pretty(value)?))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

fn load<T: for<'de> Deserialize<'de>>(p: &Path) -> anyhow::Result<T> {
    serde_json::from_slice(&read(p)?).with_context(|| format!("parsing report {}", p.display()))
}

/// One row of the summary, also written as JSON.
#[derive(Debug, Serialize)]
struct Row {
    measurement: String,
    result: String,
    target: String,
    verdict: String,
}

fn row(measurement: &str, result: String, target: &str, verdict: Option<bool>) -> Row {
    Row {
        measurement: measurement.into(),
        result,
        target: target.into(),
        verdict: match verdict {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "",
        }
        .into(),
    }
}

/// "12,345".
fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn rate_result(r: &InProcessReport) -> String {
    format!(
        "{}/s ({}/s per core); p50 {:.0} µs, p99 {:.0} µs; {} ok of {}",
        thousands(r.per_s),
        thousands(r.per_s_per_thread),
        r.latency_us.p50,
        r.latency_us.p99,
        r.verifications - r.failures,
        r.verifications
    )
}

fn process_result(p: &ProcessReport) -> String {
    let w = &p.wall_ms;
    format!(
        "mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms; {} runs, {} failed",
        w.mean, w.p50, w.p99, p.runs, p.failures
    )
}

fn summary(a: &SummaryArgs) -> anyhow::Result<ExitCode> {
    let rust_1: InProcessReport = load(&a.rust_1)?;
    let rust_2: InProcessReport = load(&a.rust_2)?;
    let rust_vector: Option<InProcessReport> = a.rust_vector.as_deref().map(load).transpose()?;
    let rust_cold: Option<InProcessReport> = a.rust_cold.as_deref().map(load).transpose()?;
    let python: Option<InProcessReport> = a.python.as_deref().map(load).transpose()?;
    let python_vector: Option<InProcessReport> =
        a.python_vector.as_deref().map(load).transpose()?;
    let proc_: ProcessReport = load(&a.process)?;
    let proc_vector: Option<ProcessReport> = a.process_vector.as_deref().map(load).transpose()?;
    let proc_floor: Option<ProcessReport> = a.process_floor.as_deref().map(load).transpose()?;
    let ecdsa: Option<EcdsaReport> = a.ecdsa.as_deref().map(load).transpose()?;

    let per_core = format!("≥ {}/s per core", thousands(TARGET_PER_CORE));
    let mut rows = vec![
        row(
            &format!(
                "signet-verifier, {} signed bundles, 1 thread",
                rust_1.distinct_bundles
            ),
            rate_result(&rust_1),
            &per_core,
            Some(rust_1.per_s_per_thread >= TARGET_PER_CORE),
        ),
        row(
            &format!(
                "signet-verifier, {} signed bundles, 2 threads",
                rust_2.distinct_bundles
            ),
            rate_result(&rust_2),
            &per_core,
            Some(rust_2.per_s_per_thread >= TARGET_PER_CORE),
        ),
    ];
    if let Some(c) = &rust_cold {
        rows.push(row(
            &format!(
                "signet-verifier, {} signed bundles, 1 thread, memo off",
                c.distinct_bundles
            ),
            rate_result(c),
            &per_core,
            Some(c.per_s_per_thread >= TARGET_PER_CORE),
        ));
    }
    if let Some(e) = &ecdsa {
        rows.push(row(
            "aws-lc ECDSA P-256 verify alone, 1 thread",
            format!(
                "{}/s ({:.1} µs); 5 per bundle: at most {}/s",
                thousands(e.p256_per_s),
                e.p256_us,
                thousands(e.p256_per_s / 5.0)
            ),
            "(floor)",
            None,
        ));
        rows.push(row(
            "aws-lc ECDSA P-384 verify alone, 1 thread",
            format!("{}/s ({:.1} µs)", thousands(e.p384_per_s), e.p384_us),
            "(floor)",
            None,
        ));
    }
    if let Some(v) = &rust_vector {
        rows.push(row(
            "signet-verifier, staging vector (P-384 chain), 1 thread",
            rate_result(v),
            "(information)",
            None,
        ));
    }
    let ratio = |rust: &InProcessReport, py: &InProcessReport| {
        format!(
            "{:.1}× (per core: {}/s vs {}/s)",
            rust.per_s_per_thread / py.per_s_per_thread,
            thousands(rust.per_s_per_thread),
            thousands(py.per_s_per_thread)
        )
    };
    if let Some(p) = &python {
        rows.push(row(
            &format!(
                "{}, the same {} bundles, 1 process",
                p.implementation, p.distinct_bundles
            ),
            rate_result(p),
            "(reference)",
            None,
        ));
        rows.push(row(
            "ratio signet-verifier / sigstore-python",
            ratio(&rust_1, p),
            "(report)",
            None,
        ));
        if let Some(c) = &rust_cold {
            rows.push(row(
                "ratio with signet-verifier's memo off",
                ratio(c, p),
                "(report)",
                None,
            ));
        }
    }
    if let Some(p) = &python_vector {
        rows.push(row(
            &format!("{}, staging vector", p.implementation),
            rate_result(p),
            "(reference)",
            None,
        ));
        if let Some(v) = &rust_vector {
            rows.push(row(
                "ratio on the staging vector",
                ratio(v, p),
                "(report)",
                None,
            ));
        }
    }
    rows.push(row(
        "`signet verify` process, one signed bundle",
        process_result(&proc_),
        &format!("mean < {TARGET_PROCESS_MS:.0} ms"),
        Some(proc_.wall_ms.mean < TARGET_PROCESS_MS && proc_.failures == 0),
    ));
    if let Some(p) = &proc_vector {
        rows.push(row(
            "`signet verify` process, staging vector",
            process_result(p),
            "(information)",
            None,
        ));
    }
    if let Some(p) = &proc_floor {
        rows.push(row(
            "`signet --version` process (startup floor)",
            process_result(p),
            "(information)",
            None,
        ));
    }

    let widths = |f: fn(&Row) -> &str| rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (w0, w1, w2) = (
        widths(|r| &r.measurement).max(11),
        widths(|r| &r.result).max(6),
        widths(|r| &r.target).max(6),
    );
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let mut table = format!(
        "{}  {}  {}  verdict\n",
        pad("measurement", w0),
        pad("result", w1),
        pad("target", w2)
    );
    for r in &rows {
        table.push_str(
            format!(
                "{}  {}  {}  {}",
                pad(&r.measurement, w0),
                pad(&r.result, w1),
                pad(&r.target, w2),
                r.verdict
            )
            .trim_end(),
        );
        table.push('\n');
    }
    print!("{table}");

    let failures: u64 = [Some(&rust_1), Some(&rust_2), rust_vector.as_ref()]
        .into_iter()
        .chain([python.as_ref(), python_vector.as_ref()])
        .flatten()
        .map(|r| r.failures)
        .chain(
            [Some(&proc_), proc_vector.as_ref(), proc_floor.as_ref()]
                .into_iter()
                .flatten()
                .map(|p| p.failures),
        )
        .sum();
    if let Some(out) = &a.out {
        std::fs::write(out.with_extension("txt"), &table)?;
        write_json(
            Some(&out.with_extension("json")),
            &serde_json::json!({ "rows": rows, "failures": failures }),
        )?;
    }
    if failures > 0 {
        eprintln!("{failures} verification(s) failed: the run is an error, not a measurement");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
