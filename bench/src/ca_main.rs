//! `ca-loadgen`: drives the CA of `signet serve` (`POST /api/v2/signingCert`, PROTOCOL.md
//! §2) on loopback, with tokens from its `--insecure-dev-issuer`.

use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use signet_bench::drive::{run_closed, run_open, ClosedLoop, OpenLoop, RunResult};
use signet_bench::http::LogClient;
use signet_bench::issue::{ct_tree_size, mint_identities, request_bodies, Issue, RequestForm};
use signet_bench::report::{Report, RunInfo};
use signet_bench::runner::{emit, measure_cpu, secs, spawn_progress, CommonArgs, CpuUse};
use signet_bench::target::Target;

#[derive(Parser, Debug)]
#[command(
    name = "ca-loadgen",
    about = "Load generator for the Signet CA (Fulcio v2 signingCert, loopback only)"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Request certificates (closed loop, or open loop with --rate).
    Issue(IssueArgs),
    /// Poll `GET /api/v2/configuration` until it answers.
    WaitReady {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
    },
}

#[derive(Args, Debug)]
struct IssueArgs {
    /// Closed loop: tasks sending back-to-back (default 64 unless --rate is given).
    #[arg(long, conflicts_with = "rate")]
    concurrency: Option<usize>,
    /// Open loop: scheduled requests per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Measured seconds.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Warm-up seconds, excluded from the stats.
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    /// Request form.
    #[arg(long, value_enum, default_value = "csr")]
    form: RequestForm,
    /// Distinct keys (request bodies), made before the run.
    #[arg(long, default_value_t = 256)]
    keys: usize,
    /// Distinct identities (tokens), minted before the run.
    #[arg(long, default_value_t = 16)]
    identities: usize,
    /// Token endpoint of the development issuer [default: <url>/dev-issuer/token].
    #[arg(long)]
    token_url: Option<String>,
    /// Open loop: sending tasks, i.e. the most requests in flight.
    #[arg(long, default_value_t = 4096)]
    max_in_flight: usize,
    /// Open loop: sends still queued this many seconds after the window are dropped.
    #[arg(long, default_value_t = 10.0)]
    drain_timeout: f64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ca-loadgen: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let url = cli
        .common
        .url
        .as_deref()
        .context("--url (or SIGNET_BENCH_URL) is required")?;
    let target = Target::parse(url)?;
    let client = Arc::new(LogClient::new(
        target,
        secs(cli.common.request_timeout, "--request-timeout")?,
    )?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.common.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match &cli.command {
            Command::WaitReady { timeout } => wait_ready(&client, *timeout).await,
            Command::Issue(a) => {
                let report = issue(cli, a, client).await?;
                emit(&report, cli.common.json, cli.common.json_out.as_deref())
            }
        }
    })
}

async fn wait_ready(client: &LogClient, timeout: f64) -> anyhow::Result<ExitCode> {
    let deadline = Instant::now() + secs(timeout, "--timeout")?;
    let url = client.target().join("/api/v2/configuration");
    loop {
        let answer = client.http().get(&url).send().await;
        match answer {
            Ok(r) if r.status().is_success() => return Ok(ExitCode::SUCCESS),
            _ if Instant::now() >= deadline => {
                anyhow::bail!("{url} not ready after {timeout} s")
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn issue(cli: &Cli, a: &IssueArgs, client: Arc<LogClient>) -> anyhow::Result<Report> {
    let warmup = secs(a.warmup, "--warmup")?;
    let duration = secs(a.duration, "--duration")?;
    let token_url = a
        .token_url
        .clone()
        .unwrap_or_else(|| client.target().join("/dev-issuer/token"));
    let origin = reqwest::Url::parse(&token_url)
        .context("--token-url")?
        .origin()
        .ascii_serialization();
    Target::parse(&origin).context("--token-url")?;
    // Tokens must outlive the run (the dev issuer caps lifetimes at one hour).
    let lifetime = (warmup + duration + Duration::from_secs(120)).as_secs();
    anyhow::ensure!(
        lifetime <= 3600,
        "warm-up + duration must stay under 58 minutes (token lifetime)"
    );
    let t0 = Instant::now();
    let identities = mint_identities(&client, &token_url, a.identities.max(1), lifetime).await?;
    let form = a.form;
    let keys = a.keys.max(1);
    let bodies =
        tokio::task::spawn_blocking(move || request_bodies(&identities, keys, form)).await??;
    eprintln!(
        "ca-loadgen: {} identities, {keys} {form:?} requests ready in {:.1} s; running",
        a.identities.max(1),
        t0.elapsed().as_secs_f64()
    );
    let ct_before = ct_tree_size(&client).await?;
    let work = Arc::new(Issue::new(Arc::clone(&client), bodies)?);
    let ok = Arc::new(AtomicU64::new(0));
    let progress = spawn_progress("ca-loadgen", Arc::clone(&ok));
    let probe = cli.common.probe();
    let (info, (result, cpu)): (RunInfo, (RunResult, CpuUse)) = match a.rate {
        Some(rate) => {
            let cfg = OpenLoop {
                rate,
                warmup,
                duration,
                max_in_flight: a.max_in_flight,
                drain_timeout: secs(a.drain_timeout, "--drain-timeout")?,
            };
            let info = RunInfo {
                label: cli.common.label.clone(),
                workload: format!("issue-{form:?}-open").to_lowercase(),
                concurrency: None,
                offered_rate_per_s: Some(rate),
                warmup_s: a.warmup,
            };
            let run = run_open(Arc::clone(&work), cfg, ok);
            (info, measure_cpu(probe, warmup, run).await?)
        }
        None => {
            let concurrency = a.concurrency.unwrap_or(64);
            let cfg = ClosedLoop {
                concurrency,
                warmup,
                duration: Some(duration),
                count: None,
            };
            let info = RunInfo {
                label: cli.common.label.clone(),
                workload: format!("issue-{form:?}-closed").to_lowercase(),
                concurrency: Some(concurrency as u64),
                offered_rate_per_s: None,
                warmup_s: a.warmup,
            };
            let run = run_closed(Arc::clone(&work), cfg, ok);
            (info, measure_cpu(probe, warmup, run).await?)
        }
    };
    progress.abort();
    let mut report = Report::new(
        info,
        &result.stats,
        result.measured.as_secs_f64(),
        200,
        result.ok_including_warmup,
    );
    report.tree_size_before = Some(ct_before);
    report.tree_size_after = ct_tree_size(&client).await.ok();
    report.server_cpu_cores = cpu.server;
    report.client_cpu_cores = cpu.client;
    Ok(report)
}
