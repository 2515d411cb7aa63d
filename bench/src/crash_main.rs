//! `crash-test`: SIGKILL `signet serve` (and its PostgreSQL) under load, restart, and check
//! that nothing acknowledged was lost and every checkpoint handed out is consistent with
//! the new one (issue 6; see `bench/README.md`, "Crash safety").
//!
//! Exit status: 0 when every round and the final check passed, 1 when something was lost,
//! inconsistent, hung or did not restart (the failures and the seed are printed), 2 when
//! the harness itself could not run.

mod crash;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

use crash::plan::{Backend, PlanOptions};
use crash::{Config, Harness};

/// An inclusive millisecond range, `LO-HI` or a single `N`.
#[derive(Clone, Copy, Debug)]
struct MsRange(u64, u64);

impl std::str::FromStr for MsRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |t: &str| t.trim().parse::<u64>().map_err(|e| format!("{t:?}: {e}"));
        let (lo, hi) = match s.split_once('-') {
            Some((a, b)) => (parse(a)?, parse(b)?),
            None => (parse(s)?, parse(s)?),
        };
        if lo > hi {
            return Err(format!("{lo} > {hi}"));
        }
        Ok(Self(lo, hi))
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "crash-test",
    about = "Kill -9 signet serve (and its PostgreSQL) under load; check nothing acknowledged is lost"
)]
struct Cli {
    /// The `signet` binary (default: `signet` beside this program).
    #[arg(long)]
    signet: Option<PathBuf>,
    /// Storage of both logs.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// Rounds: each kills the server and/or the database once under load.
    #[arg(long, default_value_t = 50)]
    kills: u32,
    /// Seed of the schedule (default: random; printed, so a failure can be replayed).
    #[arg(long)]
    seed: Option<u64>,
    /// Concurrent appending clients.
    #[arg(long, default_value_t = 16)]
    appenders: usize,
    /// Concurrent issuing clients.
    #[arg(long, default_value_t = 4)]
    issuers: usize,
    /// Load before each kill, milliseconds (`LO-HI`, uniform).
    #[arg(long, default_value = "200-3000")]
    load_ms: MsRange,
    /// How long the database stays down, milliseconds (`LO-HI`).
    #[arg(long, default_value = "500-4000")]
    outage_ms: MsRange,
    /// Percentage of server kills followed by a second kill while it restarts.
    #[arg(long, default_value_t = 15)]
    restart_kill_percent: u32,
    /// The restart kill comes 0 to this many milliseconds after the spawn.
    #[arg(long, default_value_t = 400)]
    restart_kill_max_ms: u64,
    /// Entries and certificates of earlier rounds re-checked after each restart (besides
    /// all of the round's).
    #[arg(long, default_value_t = 500)]
    sample_old: usize,
    /// Pre-crash heads per log compared with the new head after each restart.
    #[arg(long, default_value_t = 256)]
    max_heads: usize,
    /// Requests in flight during the checks.
    #[arg(long, default_value_t = 8)]
    check_workers: usize,
    /// Timeout of every load request, seconds.
    #[arg(long, default_value_t = 40)]
    request_timeout: u64,
    /// Longest a (re)start may take, seconds.
    #[arg(long, default_value_t = 60)]
    ready_timeout: u64,
    /// Longest the server may take to append again once PostgreSQL is back, seconds.
    #[arg(long, default_value_t = 90)]
    recovery_timeout: u64,
    /// Directory of the PostgreSQL server binaries (default: newest
    /// /usr/lib/postgresql/*/bin, else PATH).
    #[arg(long)]
    pg_bin: Option<PathBuf>,
    /// Working directory (default: a new one under the system temp dir, removed after a
    /// passing run, kept after a failure).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the working directory even after a passing run.
    #[arg(long)]
    keep: bool,
    /// Write the JSON report here.
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// Tokio worker threads of the harness.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn default_signet() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating crash-test")?;
    let signet = exe.with_file_name("signet");
    anyhow::ensure!(
        signet.is_file(),
        "{} not found: build it (cargo build -p signet-cli) or pass --signet",
        signet.display()
    );
    Ok(signet)
}

fn work_dir(cli: &Cli, seed: u64) -> anyhow::Result<PathBuf> {
    let dir = match &cli.work_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!(
            "signet-crash-{}-{}-{seed}",
            std::process::id(),
            match cli.backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            }
        )),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn run(cli: &Cli) -> anyhow::Result<bool> {
    let seed = cli.seed.unwrap_or_else(rand::random);
    let signet = match &cli.signet {
        Some(s) => s.clone(),
        None => default_signet()?,
    };
    let work = work_dir(cli, seed)?;
    eprintln!(
        "crash-test: seed {seed} ({:?}, {} kills); replay with --seed {seed}; work dir {}",
        cli.backend,
        cli.kills,
        work.display()
    );
    let cfg = Config {
        signet,
        backend: cli.backend,
        seed,
        plan: PlanOptions {
            kills: cli.kills,
            backend: cli.backend,
            load_ms: (cli.load_ms.0, cli.load_ms.1),
            outage_ms: (cli.outage_ms.0, cli.outage_ms.1),
            restart_kill_percent: cli.restart_kill_percent,
            restart_kill_max_ms: cli.restart_kill_max_ms,
        },
        appenders: cli.appenders,
        issuers: cli.issuers,
        sample_old: cli.sample_old,
        max_heads: cli.max_heads,
        check_workers: cli.check_workers,
        request_timeout: Duration::from_secs(cli.request_timeout),
        ready_timeout: Duration::from_secs(cli.ready_timeout),
        recovery_timeout: Duration::from_secs(cli.recovery_timeout),
        pg_bin: cli.pg_bin.clone(),
        work_dir: work.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(2))
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        let harness = Harness::start(cfg).await?;
        harness.run(&mut |line| eprintln!("{line}")).await
    })?;
    if let Some(path) = &cli.json_out {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    summarize(&report, &work);
    if report.passed && !cli.keep && cli.work_dir.is_none() {
        remove_work_dir(&work);
    }
    Ok(report.passed)
}

fn summarize(r: &crash::report::RunReport, work: &Path) {
    let c = &r.checked;
    eprintln!(
        "crash-test {:?}: {} ({} rounds: {} server kills, {} restart kills, {} database kills) \
         in {:.0} s; acknowledged {} entries and {} certificates; checked {} entries, {} \
         certificates, {} + {} pre-crash heads ({} + {} consistency proofs); final log size \
         {}, CT size {}; seed {}",
        r.backend,
        if r.passed { "PASSED" } else { "FAILED" },
        r.kills.rounds,
        r.kills.server,
        r.kills.restart,
        r.kills.database,
        r.seconds,
        r.acked_entries,
        r.acked_certs,
        c.entries_checked,
        c.certs_checked,
        c.tlog_heads_checked,
        c.ct_heads_checked,
        c.tlog_proofs,
        c.ct_proofs,
        r.final_check.as_ref().map_or(0, |f| f.tlog_size),
        r.final_check.as_ref().map_or(0, |f| f.ct_size),
        r.seed,
    );
    if !r.passed {
        for f in &r.failures {
            eprintln!("  FAILURE: {f}");
        }
        eprintln!(
            "replay with --seed {}; server and PostgreSQL logs kept in {}",
            r.seed,
            work.display()
        );
    }
}

fn remove_work_dir(work: &Path) {
    if let Err(e) = std::fs::remove_dir_all(work) {
        eprintln!("crash-test: could not remove {}: {e}", work.display());
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("crash-test: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_ranges() {
        let r: MsRange = "200-3000".parse().unwrap();
        assert_eq!((r.0, r.1), (200, 3000));
        let r: MsRange = "500".parse().unwrap();
        assert_eq!((r.0, r.1), (500, 500));
        assert!("3000-200".parse::<MsRange>().is_err());
        assert!("a-b".parse::<MsRange>().is_err());
    }
}
