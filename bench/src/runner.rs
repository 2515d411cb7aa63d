//! What every load-generator binary does around a run: parse durations, sample CPU over
//! the measured window, print progress, write the report.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::drive::RunResult;
use crate::procstat::cpu_seconds;
use crate::report::Report;

/// `s` seconds as a [`Duration`], or an error naming the flag `what`.
///
/// # Errors
/// Negative, NaN or too large.
pub fn secs(s: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s).with_context(|| format!("invalid {what}: {s}"))
}

/// Options every load generator takes (flattened into each CLI; global to subcommands).
#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    /// Server base URL; loopback hosts only (127.0.0.0/8, [::1], localhost).
    #[arg(long, global = true, env = "SIGNET_BENCH_URL")]
    pub url: Option<String>,
    /// Tokio worker threads for the client.
    #[arg(long, global = true, default_value_t = 1)]
    pub threads: usize,
    /// Per-request timeout, seconds.
    #[arg(long, global = true, default_value_t = 30.0)]
    pub request_timeout: f64,
    /// Print one JSON object instead of the text report.
    #[arg(long, global = true)]
    pub json: bool,
    /// Also write the JSON report to this file.
    #[arg(long, global = true)]
    pub json_out: Option<std::path::PathBuf>,
    /// Label carried into the report.
    #[arg(long, global = true)]
    pub label: Option<String>,
    /// PID of the server, to report its CPU use over the measured window (Linux /proc).
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Clock ticks per second for /proc CPU times (`getconf CLK_TCK`).
    #[arg(long, global = true, default_value_t = 100)]
    pub clk_tck: u64,
}

impl CommonArgs {
    /// The CPU probe these options describe.
    pub fn probe(&self) -> CpuProbe {
        CpuProbe {
            server_pid: self.server_pid,
            clk_tck: self.clk_tck,
        }
    }
}

/// Whose CPU to sample (Linux `/proc`).
#[derive(Clone, Copy, Debug)]
pub struct CpuProbe {
    /// The server's PID, if known.
    pub server_pid: Option<u32>,
    /// Clock ticks per second (`getconf CLK_TCK`).
    pub clk_tck: u64,
}

/// Server and client CPU use over the measured window, in cores.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUse {
    /// The server process.
    pub server: Option<f64>,
    /// This process.
    pub client: Option<f64>,
}

/// Runs `run`, sampling CPU times once `warmup` has passed and again at the end.
///
/// # Errors
/// Whatever `run` returns.
pub async fn measure_cpu(
    probe: CpuProbe,
    warmup: Duration,
    run: impl std::future::Future<Output = anyhow::Result<RunResult>>,
) -> anyhow::Result<(RunResult, CpuUse)> {
    let (pid, tck) = (probe.server_pid, probe.clk_tck);
    let sample = move || {
        (
            pid.and_then(|p| cpu_seconds(Some(p), tck)),
            cpu_seconds(None, tck),
            Instant::now(),
        )
    };
    let first = tokio::spawn(async move {
        tokio::time::sleep(warmup).await;
        sample()
    });
    let result = run.await?;
    let end = sample();
    let cpu = if first.is_finished() {
        let (s0, c0, t0) = first.await?;
        let wall = end.2.saturating_duration_since(t0).as_secs_f64();
        let cores = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if wall > 0.0 => Some((b - a) / wall),
            _ => None,
        };
        CpuUse {
            server: cores(s0, end.0),
            client: cores(c0, end.1),
        }
    } else {
        first.abort();
        CpuUse::default()
    };
    Ok((result, cpu))
}

/// Prints `ok` progress to stderr every 10 s until aborted, prefixed with `name`.
pub fn spawn_progress(name: &'static str, ok: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.tick().await;
        let mut last = 0;
        loop {
            tick.tick().await;
            let now = ok.load(Ordering::Relaxed);
            eprintln!(
                "{name}: {:>5.0} s  ok {now}  ({:.0}/s over the last 10 s)",
                start.elapsed().as_secs_f64(),
                (now - last) as f64 / 10.0
            );
            last = now;
        }
    })
}

/// Prints `report` (text, or one JSON object with `json`), also writes it to `json_out`;
/// exit code 0 if at least one request succeeded, 2 if none did.
///
/// # Errors
/// Writing `json_out`.
pub fn emit(report: &Report, json: bool, json_out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let text = serde_json::to_string(report)?;
    if let Some(path) = json_out {
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        println!("{text}");
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.ok > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
