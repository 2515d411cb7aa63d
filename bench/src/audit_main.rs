//! `audit-bench`: the auditor replay benchmark (issue 5, "Benchmark").
//!
//! * `generate`: a fully valid synthetic Signet log on disk
//!   ([`signet_bench::synth_log::generate`]), bundle by bundle, on 2 threads.
//! * `run`: the checkpoint verified ([`signet_verifier::audit::Auditor::checkpoint`]),
//!   then two replays streamed from disk through `signet_audit::process::process_bundle`
//!   and `signet_audit::tree::TreeReplay` ([`signet_bench::synth_log::replay`]): root
//!   recomputation (`EntryChecks::HashOnly`: leaves/s) and full re-verification
//!   (`EntryChecks::Verify`: entries/s), with the peak RSS after each; a table against
//!   the targets (≥ 2,000,000 leaves/s; ≥ 10,000 entries/s on 2 cores). Exits non-zero if
//!   anything fails to verify.
//! * `summary`: the runs of one benchmark side by side, and whether memory stayed flat
//!   while the log grew.
//!
//! `run-audit-bench.sh` drives all three.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context as _};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

use signet_audit::process::EntryChecks;
use signet_bench::procstat;
use signet_bench::synth_log::generate::{GenerateOptions, Generator, Progress};
use signet_bench::synth_log::replay::{self, ReplayOptions, ReplayOutcome};
use signet_bench::synth_log::{self, disk_bytes};
use signet_verifier::audit::Auditor;

/// Root recomputation target, leaves per second.
const TARGET_LEAVES_PER_S: f64 = 2_000_000.0;
/// Full re-verification target, entries per second (on 2 cores).
const TARGET_ENTRIES_PER_S: f64 = 10_000.0;
/// P-256 verifications per entry when every entry has its own certificate: the SET, the
/// certificate's signature by the CA, its embedded SCT, the artefact signature.
const VERIFIES_PER_ENTRY: f64 = 4.0;
/// Memory is "bounded" if the peak RSS of the larger log is at most this factor of the
/// smaller log's (plus [`RSS_SLACK_KB`]).
const RSS_FACTOR: f64 = 1.25;
/// Allowance for allocator noise in the memory comparison, kB.
const RSS_SLACK_KB: f64 = 8_192.0;

#[derive(Parser, Debug)]
#[command(
    name = "audit-bench",
    about = "Benchmark of the auditor replay (signet-audit) over a generated Signet log on disk"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a fully valid log into --out.
    Generate(GenerateArgs),
    /// Verify the checkpoint, then replay the log: root recomputation, full re-verification.
    Run(RunArgs),
    /// Compare the reports of several runs (throughput, memory against log size).
    Summary(SummaryArgs),
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// Entries in the log.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Directory to create (must not exist, or be empty).
    #[arg(long)]
    out: PathBuf,
    /// Entries signed with each certificate (1..=256; 1 is the worst case to re-verify).
    #[arg(long, default_value_t = 1)]
    signatures_per_certificate: u32,
    /// Generating threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Phases {
    /// Root recomputation, then full re-verification.
    All,
    /// Root recomputation only.
    Hash,
    /// Full re-verification only.
    Verify,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The generated log.
    #[arg(long)]
    dir: PathBuf,
    /// Threads reading bundles and running process_bundle.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Bundles in flight at most (memory bound: ~0.5 MB each).
    #[arg(long, default_value_t = 16)]
    window: u64,
    /// Which phases to run.
    #[arg(long, value_enum, default_value_t = Phases::All)]
    phases: Phases,
    /// Skip the untimed read of every file before the phases (page cache warm-up).
    #[arg(long)]
    no_warm: bool,
    /// Seconds spent measuring one P-256 verification (the floor), 0 to skip.
    #[arg(long, default_value_t = 1.0)]
    ecdsa_seconds: f64,
    /// Seconds spent measuring leaf hashing alone (the floor), 0 to skip.
    #[arg(long, default_value_t = 1.0)]
    hash_seconds: f64,
    /// Clock ticks per second for /proc CPU times (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100)]
    clk_tck: u64,
    /// Label carried into the report.
    #[arg(long)]
    label: Option<String>,
    /// Also write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct SummaryArgs {
    /// Reports of `run --json`, smallest log first.
    #[arg(long = "report", required = true)]
    reports: Vec<PathBuf>,
    /// Also write the table (FILE.txt) and verdicts (FILE.json) here.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// One phase of a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PhaseReport {
    /// Wall time, seconds.
    seconds: f64,
    /// Leaves (hash only) or verified entries (verify) per second.
    per_s: f64,
    /// Leaves folded into the tree.
    entries: u64,
    /// Entries re-verified.
    records: u64,
    /// Bytes read from the log's files.
    bytes_read: u64,
    /// CPU time of the process during the phase.
    cpu_seconds: f64,
    /// `cpu_seconds / seconds`.
    cpu_cores: f64,
    /// Failures found (must be 0).
    failure_count: u64,
    /// The first failures, one line each.
    failures: Vec<String>,
    /// VmHWM after the phase, kB.
    vm_hwm_kb: u64,
    /// VmRSS after the phase, kB.
    vm_rss_kb: u64,
    /// The target this phase is measured against (per second).
    target_per_s: f64,
    /// Whether it was met.
    met: bool,
}

/// One `run`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RunReport {
    label: String,
    /// Unix seconds at the start of the run.
    started_at: u64,
    cpus: usize,
    entries: u64,
    signatures_per_certificate: u32,
    threads: usize,
    window: u64,
    /// Bytes of the log directory on disk.
    log_bytes: u64,
    checkpoint_origin: String,
    checkpoint_root: String,
    /// VmHWM before the first phase (after the warm-up read), kB.
    vm_hwm_kb_start: u64,
    hash_only: Option<PhaseReport>,
    verify: Option<PhaseReport>,
    /// One aws-lc P-256 verification on one thread, µs (0 if not measured).
    ecdsa_p256_verify_us: f64,
    /// `signet_tlog_core::hash::leaf_hash` (sha2) over this log's entries alone, one
    /// thread: leaves per second and bytes per second (0 if not measured).
    leaf_hash_per_s: f64,
    leaf_hash_bytes_per_s: f64,
    /// aws-lc SHA-256 over the same `0x00 ‖ entry` bytes, one thread, bytes per second.
    aws_lc_sha256_bytes_per_s: f64,
}

/// Leaf hashing alone over the entries of bundle 0, one thread, for `seconds`: (leaves/s,
/// bytes/s with `leaf_hash`, bytes/s with aws-lc's SHA-256).
fn hash_floor(dir: &Path, size: u64, seconds: f64) -> anyhow::Result<(f64, f64, f64)> {
    let (width, paths) = synth_log::bundle_paths(0, size);
    let bytes = std::fs::read(dir.join(&paths.entries))
        .with_context(|| format!("reading {}", paths.entries))?;
    let entries = signet_audit::bundle::split_entry_bundle(&bytes, 0, width)?;
    let per_pass: usize = entries.iter().map(|e| e.len() + 1).sum();
    let budget = Duration::try_from_secs_f64(seconds / 2.0).context("--hash-seconds")?;
    let mut sink = 0u8;
    let rate = |hash: &mut dyn FnMut(&[u8]) -> u8, sink: &mut u8| {
        let start = Instant::now();
        let mut passes = 0u64;
        while start.elapsed() < budget {
            for e in &entries {
                *sink ^= hash(e);
            }
            passes += 1;
        }
        passes as f64 / start.elapsed().as_secs_f64()
    };
    let sha2_passes = rate(
        &mut |e| signet_tlog_core::hash::leaf_hash(e).as_bytes()[0],
        &mut sink,
    );
    let aws_passes = rate(
        &mut |e| {
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            ctx.update(&[0]);
            ctx.update(e);
            ctx.finish().as_ref()[0]
        },
        &mut sink,
    );
    // Keep the hashes observable so that nothing is optimised away.
    std::hint::black_box(sink);
    Ok((
        sha2_passes * entries.len() as f64,
        sha2_passes * per_pass as f64,
        aws_passes * per_pass as f64,
    ))
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("audit-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Generate(a) => generate(&a),
        Command::Run(a) => run_phases(&a),
        Command::Summary(a) => summary(&a),
    }
}

fn generate(a: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let generator = Generator::new(GenerateOptions {
        entries: a.entries,
        signatures_per_certificate: a.signatures_per_certificate,
        threads: a.threads,
    })?;
    eprintln!(
        "generating {} entries ({} per certificate) into {} on {} threads",
        thousands(a.entries as f64),
        a.signatures_per_certificate,
        a.out.display(),
        a.threads
    );
    let mut last = Instant::now();
    let mut show = |p: Progress| {
        if last.elapsed() < Duration::from_secs(2) && p.done < p.total {
            return;
        }
        last = Instant::now();
        let rate = p.done as f64 / p.elapsed.as_secs_f64().max(1e-9);
        let eta = (p.total - p.done) as f64 / rate.max(1e-9);
        eprintln!(
            "  {:>12} / {} entries  {:>7.0}/s  elapsed {:>5.0} s  ETA {:>5.0} s",
            thousands(p.done as f64),
            thousands(p.total as f64),
            rate,
            p.elapsed.as_secs_f64(),
            eta
        );
    };
    let params = generator.write(&a.out, &mut show)?;
    eprintln!(
        "generated {} entries in {:.1} s ({:.0}/s); {} on disk",
        thousands(params.entries as f64),
        params.generation_seconds,
        params.entries as f64 / params.generation_seconds.max(1e-9),
        bytes_text(disk_bytes(&a.out)?)
    );
    Ok(ExitCode::SUCCESS)
}

/// (VmHWM, VmRSS) of this process in kB (`proc(5)`); zeros where unreadable.
fn vm_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// One aws-lc P-256 verification on this thread, µs, measured for `seconds`.
fn ecdsa_p256_us(seconds: f64) -> anyhow::Result<f64> {
    use aws_lc_rs::signature::{
        EcdsaKeyPair, KeyPair as _, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1,
        ECDSA_P256_SHA256_ASN1_SIGNING,
    };
    let pair =
        EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).context("ECDSA key generation")?;
    let message = b"signet audit-bench ecdsa floor";
    let signature = pair
        .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
        .context("ECDSA signing")?;
    let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, pair.public_key().as_ref());
    let budget = Duration::try_from_secs_f64(seconds).context("--ecdsa-seconds")?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..32 {
            key.verify(message, signature.as_ref())
                .map_err(|_| anyhow::anyhow!("ECDSA floor signature did not verify"))?;
        }
        n += 32;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / n as f64)
}

fn phase(
    dir: &Path,
    auditor: &Auditor,
    checkpoint: &signet_verifier::audit::VerifiedCheckpoint,
    options: &ReplayOptions,
    clk_tck: u64,
) -> anyhow::Result<PhaseReport> {
    let cpu0 = procstat::cpu_seconds(None, clk_tck).unwrap_or(0.0);
    let outcome: ReplayOutcome = replay::replay(dir, auditor, checkpoint, options)?;
    let cpu = procstat::cpu_seconds(None, clk_tck).unwrap_or(0.0) - cpu0;
    let seconds = outcome.elapsed.as_secs_f64().max(1e-9);
    let (per_s, target) = match options.checks {
        EntryChecks::HashOnly => (outcome.entries as f64 / seconds, TARGET_LEAVES_PER_S),
        _ => (outcome.records as f64 / seconds, TARGET_ENTRIES_PER_S),
    };
    // Every entry must be accounted for: all leaves folded, all entries re-verified.
    let mut failures: Vec<String> = outcome
        .failures
        .iter()
        .take(10)
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f.log.as_str(),
                f.index.map_or_else(|| "-".to_owned(), |i| i.to_string()),
                f.check,
                f.message
            )
        })
        .collect();
    let mut failure_count = outcome.failure_count;
    if outcome.entries != outcome.size {
        failure_count += 1;
        failures.push(format!(
            "folded {} leaves, the checkpoint has {}",
            outcome.entries, outcome.size
        ));
    }
    if options.checks == EntryChecks::Verify && outcome.records != outcome.size {
        failure_count += 1;
        failures.push(format!(
            "re-verified {} entries, the checkpoint has {}",
            outcome.records, outcome.size
        ));
    }
    let (vm_hwm_kb, vm_rss_kb) = vm_kb();
    Ok(PhaseReport {
        seconds,
        per_s,
        entries: outcome.entries,
        records: outcome.records,
        bytes_read: outcome.bytes_read,
        cpu_seconds: cpu,
        cpu_cores: cpu / seconds,
        failure_count,
        failures,
        vm_hwm_kb,
        vm_rss_kb,
        target_per_s: target,
        met: failure_count == 0 && per_s >= target,
    })
}

fn run_phases(a: &RunArgs) -> anyhow::Result<ExitCode> {
    ensure!(a.threads > 0, "--threads must be at least 1");
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let opened = replay::open(&a.dir)?;
    let auditor = Auditor::new(Arc::clone(&opened.verifier));
    let checkpoint = replay::verify_checkpoint(&auditor, &opened.note)?;
    ensure!(
        checkpoint.checkpoint.size == opened.params.entries,
        "the checkpoint's size {} is not params.json's {}",
        checkpoint.checkpoint.size,
        opened.params.entries
    );
    let log_bytes = disk_bytes(&a.dir)?;
    eprintln!(
        "log {}: {} entries, {} per certificate, {} on disk; checkpoint verified ({:?}, root {})",
        a.dir.display(),
        thousands(checkpoint.checkpoint.size as f64),
        opened.params.signatures_per_certificate,
        bytes_text(log_bytes),
        checkpoint.checkpoint.origin,
        checkpoint.checkpoint.root.to_hex()
    );
    let ecdsa_us = if a.ecdsa_seconds > 0.0 {
        ecdsa_p256_us(a.ecdsa_seconds)?
    } else {
        0.0
    };
    let (leaf_hash_per_s, leaf_hash_bytes_per_s, aws_lc_sha256_bytes_per_s) =
        if a.hash_seconds > 0.0 {
            hash_floor(&a.dir, checkpoint.checkpoint.size, a.hash_seconds)?
        } else {
            (0.0, 0.0, 0.0)
        };
    if !a.no_warm {
        let t = Instant::now();
        let bytes = replay::warm(&a.dir, checkpoint.checkpoint.size)?;
        eprintln!(
            "warm-up: read {} in {:.2} s (untimed)",
            bytes_text(bytes),
            t.elapsed().as_secs_f64()
        );
    }
    let (vm_hwm_kb_start, _) = vm_kb();
    let options = |checks| ReplayOptions {
        threads: a.threads,
        checks,
        window: a.window,
    };
    let hash_only = if a.phases == Phases::Verify {
        None
    } else {
        eprintln!("root recomputation (hash only), {} threads", a.threads);
        Some(phase(
            &a.dir,
            &auditor,
            &checkpoint,
            &options(EntryChecks::HashOnly),
            a.clk_tck,
        )?)
    };
    let verify = if a.phases == Phases::Hash {
        None
    } else {
        eprintln!("full re-verification, {} threads", a.threads);
        Some(phase(
            &a.dir,
            &auditor,
            &checkpoint,
            &options(EntryChecks::Verify),
            a.clk_tck,
        )?)
    };
    let report = RunReport {
        label: a.label.clone().unwrap_or_else(|| {
            format!(
                "{} entries, K={}",
                checkpoint.checkpoint.size, opened.params.signatures_per_certificate
            )
        }),
        started_at,
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        entries: checkpoint.checkpoint.size,
        signatures_per_certificate: opened.params.signatures_per_certificate,
        threads: a.threads,
        window: a.window,
        log_bytes,
        checkpoint_origin: checkpoint.checkpoint.origin.clone(),
        checkpoint_root: checkpoint.checkpoint.root.to_hex(),
        vm_hwm_kb_start,
        hash_only,
        verify,
        ecdsa_p256_verify_us: ecdsa_us,
        leaf_hash_per_s,
        leaf_hash_bytes_per_s,
        aws_lc_sha256_bytes_per_s,
    };
    print!("{}", table(&run_rows(&report)));
    if let Some(p) = &a.json {
        write_json(p, &report)?;
    }
    let failures: u64 = [&report.hash_only, &report.verify]
        .into_iter()
        .flatten()
        .map(|p| p.failure_count)
        .sum();
    for p in [&report.hash_only, &report.verify].into_iter().flatten() {
        for f in &p.failures {
            eprintln!("FAILURE {f}");
        }
    }
    if failures > 0 {
        eprintln!("{failures} failure(s): the log did not verify, this run is an error, not a measurement");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One row of a table.
#[derive(Debug, Serialize)]
struct Row {
    measurement: String,
    result: String,
    target: String,
    verdict: String,
}

fn row(measurement: String, result: String, target: &str, verdict: Option<bool>) -> Row {
    Row {
        measurement,
        result,
        target: target.to_owned(),
        verdict: match verdict {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "",
        }
        .to_owned(),
    }
}

fn run_rows(r: &RunReport) -> Vec<Row> {
    let n = thousands(r.entries as f64);
    let mut rows = Vec::new();
    let phase_result = |p: &PhaseReport, unit: &str| {
        format!(
            "{}/s {unit}; {:.2} s; {} read ({:.2} GB/s); {:.2} cores busy; {} failures",
            thousands(p.per_s),
            p.seconds,
            bytes_text(p.bytes_read),
            p.bytes_read as f64 / p.seconds / 1e9,
            p.cpu_cores,
            p.failure_count
        )
    };
    if let Some(p) = &r.hash_only {
        rows.push(row(
            format!("root recomputation, {n} entries, {} threads", r.threads),
            phase_result(p, "leaves"),
            "≥ 2,000,000 leaves/s",
            Some(p.met),
        ));
    }
    if let Some(p) = &r.verify {
        rows.push(row(
            format!(
                "full re-verification, {n} entries (K={}), {} threads",
                r.signatures_per_certificate, r.threads
            ),
            phase_result(p, "entries"),
            "≥ 10,000 entries/s on 2 cores",
            Some(p.met),
        ));
    }
    rows.push(row(
        "peak RSS (VmHWM) before the phases".to_owned(),
        kb_text(r.vm_hwm_kb_start),
        "",
        None,
    ));
    for (name, p) in [
        ("after root recomputation", &r.hash_only),
        ("after re-verification", &r.verify),
    ] {
        if let Some(p) = p {
            rows.push(row(
                format!("peak RSS (VmHWM) {name}"),
                format!(
                    "{} (RSS now {})",
                    kb_text(p.vm_hwm_kb),
                    kb_text(p.vm_rss_kb)
                ),
                "bounded",
                None,
            ));
        }
    }
    rows.push(row(
        "log on disk".to_owned(),
        format!(
            "{} ({} B/entry)",
            bytes_text(r.log_bytes),
            r.log_bytes / r.entries.max(1)
        ),
        "",
        None,
    ));
    if r.leaf_hash_per_s > 0.0 {
        rows.push(row(
            "leaf hashing alone (leaf_hash, sha2), 1 thread".to_owned(),
            format!(
                "{}/s ({:.2} GB/s): at most {}/s on {} threads",
                thousands(r.leaf_hash_per_s),
                r.leaf_hash_bytes_per_s / 1e9,
                thousands(r.leaf_hash_per_s * r.threads as f64),
                r.threads
            ),
            "(floor)",
            None,
        ));
        rows.push(row(
            "SHA-256 by aws-lc, same bytes, 1 thread".to_owned(),
            format!(
                "{:.2} GB/s ({}/s leaves)",
                r.aws_lc_sha256_bytes_per_s / 1e9,
                thousands(
                    r.leaf_hash_per_s * r.aws_lc_sha256_bytes_per_s
                        / r.leaf_hash_bytes_per_s.max(1.0)
                )
            ),
            "(information)",
            None,
        ));
    }
    if r.ecdsa_p256_verify_us > 0.0 {
        let per_entry = if r.signatures_per_certificate == 1 {
            VERIFIES_PER_ENTRY
        } else {
            2.0 + 2.0 / f64::from(r.signatures_per_certificate)
        };
        let bound = 1e6 / (r.ecdsa_p256_verify_us * per_entry) * r.threads as f64;
        rows.push(row(
            "aws-lc P-256 verify alone, 1 thread".to_owned(),
            format!(
                "{:.1} µs; {per_entry:.2} per entry{}: at most {}/s on {} threads",
                r.ecdsa_p256_verify_us,
                if r.signatures_per_certificate == 1 {
                    ""
                } else {
                    " if the chain and SCT are checked once per certificate"
                },
                thousands(bound),
                r.threads
            ),
            "(floor)",
            None,
        ));
    }
    rows
}

fn table(rows: &[Row]) -> String {
    let width = |f: fn(&Row) -> &str, min: usize| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(min)
    };
    let (w0, w1, w2) = (
        width(|r| &r.measurement, 11),
        width(|r| &r.result, 6),
        width(|r| &r.target, 6),
    );
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let mut out = format!(
        "{}  {}  {}  verdict\n",
        pad("measurement", w0),
        pad("result", w1),
        pad("target", w2)
    );
    for r in rows {
        out.push_str(
            format!(
                "{}  {}  {}  {}",
                pad(&r.measurement, w0),
                pad(&r.result, w1),
                pad(&r.target, w2),
                r.verdict
            )
            .trim_end(),
        );
        out.push('\n');
    }
    out
}

fn summary(a: &SummaryArgs) -> anyhow::Result<ExitCode> {
    let reports: Vec<RunReport> = a
        .reports
        .iter()
        .map(|p| {
            serde_json::from_slice(&std::fs::read(p).with_context(|| format!("{}", p.display()))?)
                .with_context(|| format!("parsing {}", p.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let Some(largest) = reports.iter().max_by_key(|r| r.entries) else {
        bail!("no report");
    };
    let mut rows = run_rows(largest);
    for r in &reports {
        let hwm = [&r.hash_only, &r.verify]
            .into_iter()
            .flatten()
            .map(|p| p.vm_hwm_kb)
            .max()
            .unwrap_or(0);
        rows.push(row(
            format!("memory, {} entries", thousands(r.entries as f64)),
            format!(
                "peak RSS {} with a {} log ({:.2} % of it)",
                kb_text(hwm),
                bytes_text(r.log_bytes),
                hwm as f64 * 1024.0 * 100.0 / r.log_bytes.max(1) as f64
            ),
            "",
            None,
        ));
    }
    let smallest = reports.iter().min_by_key(|r| r.entries);
    let peak = |r: &RunReport| {
        [&r.hash_only, &r.verify]
            .into_iter()
            .flatten()
            .map(|p| p.vm_hwm_kb)
            .max()
            .unwrap_or(0) as f64
    };
    let mut bounded = None;
    if let Some(small) = smallest.filter(|s| s.entries < largest.entries) {
        let ok = peak(largest) <= peak(small) * RSS_FACTOR + RSS_SLACK_KB;
        bounded = Some(ok);
        rows.push(row(
            format!(
                "memory bounded ({}× the entries)",
                largest.entries / small.entries.max(1)
            ),
            format!(
                "peak RSS {} → {} while the log grew {} → {}",
                kb_text(peak(small) as u64),
                kb_text(peak(largest) as u64),
                bytes_text(small.log_bytes),
                bytes_text(largest.log_bytes)
            ),
            "≤ 1.25× + 8 MiB",
            Some(ok),
        ));
    }
    let text = table(&rows);
    print!("{text}");
    let failures: u64 = reports
        .iter()
        .flat_map(|r| [&r.hash_only, &r.verify])
        .flatten()
        .map(|p| p.failure_count)
        .sum();
    if let Some(out) = &a.out {
        std::fs::write(out.with_extension("txt"), &text)
            .with_context(|| format!("writing {}", out.display()))?;
        write_json(
            &out.with_extension("json"),
            &serde_json::json!({ "rows": rows, "failures": failures, "memoryBounded": bounded }),
        )?;
    }
    if failures > 0 {
        eprintln!("{failures} failure(s) in the runs: not a measurement");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn write_json(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    std::fs::write(path, format!("{}\n", serde_json::to_string_pretty(value)?))
        .with_context(|| format!("writing {}", path.display()))
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

fn bytes_text(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} kB", b / 1e3)
    }
}

fn kb_text(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}
