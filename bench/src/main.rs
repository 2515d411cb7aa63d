//! `log-loadgen`: drives the Signet log's Rekor v1 API (PROTOCOL.md §4) on loopback.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use signet_bench::append::Append;
use signet_bench::drive::{run_closed, run_open, ClosedLoop, OpenLoop, RunResult};
use signet_bench::entries::KeyPool;
use signet_bench::feed::{Demand, EntryFeed, FeedConfig, FeedPlan};
use signet_bench::http::LogClient;
use signet_bench::read::{run_read, ReadKind, ReadLoop};
use signet_bench::report::{summary_table, Report, RunInfo};
use signet_bench::runner::{emit, measure_cpu, secs, spawn_progress, CommonArgs, CpuUse};
use signet_bench::schedule::OpenSchedule;
use signet_bench::target::Target;

#[derive(Parser, Debug)]
#[command(
    name = "log-loadgen",
    about = "Load generator for the Signet transparency log (Rekor v1 API, loopback only)"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Append unique hashedrekord entries (closed loop, or open loop with --rate).
    Append(AppendArgs),
    /// Fetch inclusion and/or consistency proofs at random valid parameters.
    Read(ReadArgs),
    /// Poll `GET /api/v1/log` until it answers; print the tree size.
    WaitReady {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
    },
    /// Print the current tree size.
    TreeSize,
    /// Print a free TCP port on 127.0.0.1.
    FreePort,
    /// Print a table over saved JSON reports.
    Summary {
        /// Report files written with --json-out.
        files: Vec<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct AppendArgs {
    /// Closed loop: tasks sending back-to-back (default 256 unless --rate is given).
    #[arg(long, conflicts_with = "rate")]
    concurrency: Option<usize>,
    /// Open loop: scheduled sends per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Measured seconds (default 60, or unbounded with --count).
    #[arg(long)]
    duration: Option<f64>,
    /// Warm-up seconds, excluded from the stats.
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    /// Closed loop: stop after this many 201s (warm-up included).
    #[arg(long, conflicts_with = "rate")]
    count: Option<u64>,
    /// Entries to sign before timing starts (default: enough for the run).
    #[arg(long)]
    prefill: Option<u64>,
    /// Entry-signing threads (default: all cores; they are idle during the run unless
    /// the prefill runs out).
    #[arg(long)]
    gen_threads: Option<usize>,
    /// Signing keys in the pool.
    #[arg(long, default_value_t = 64)]
    keys: usize,
    /// Open loop: sending tasks, i.e. the most requests in flight.
    #[arg(long, default_value_t = 4096)]
    max_in_flight: usize,
    /// Open loop: sends still queued this many seconds after the window are dropped.
    #[arg(long, default_value_t = 10.0)]
    drain_timeout: f64,
}

#[derive(Args, Debug)]
struct ReadArgs {
    /// Which proofs.
    #[arg(long, value_enum, default_value = "mixed")]
    kind: ReadKind,
    /// Tasks sending back-to-back.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Warm-up seconds.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("log-loadgen: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::FreePort => {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            println!("{}", l.local_addr()?.port());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Summary { files } => {
            let reports = files
                .iter()
                .map(|f| {
                    let text = std::fs::read_to_string(f)
                        .with_context(|| format!("reading {}", f.display()))?;
                    serde_json::from_str::<Report>(&text)
                        .with_context(|| format!("parsing {}", f.display()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            print!("{}", summary_table(&reports));
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
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
    runtime.block_on(async_main(&cli, client))
}

async fn async_main(cli: &Cli, client: Arc<LogClient>) -> anyhow::Result<ExitCode> {
    let report = match &cli.command {
        Command::WaitReady { timeout } => {
            let deadline = Instant::now() + secs(*timeout, "--timeout")?;
            loop {
                match client.tree_size().await {
                    Ok(size) => {
                        println!("{size}");
                        return Ok(ExitCode::SUCCESS);
                    }
                    Err(e) if Instant::now() >= deadline => {
                        return Err(e.context(format!(
                            "{} not ready after {timeout} s",
                            client.target().base()
                        )))
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }
        Command::TreeSize => {
            println!("{}", client.tree_size().await?);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Append(a) => append(cli, a, client).await?,
        Command::Read(r) => read(cli, r, client).await?,
        Command::FreePort | Command::Summary { .. } => return Ok(ExitCode::SUCCESS),
    };
    emit(&report, cli.common.json, cli.common.json_out.as_deref())
}

async fn append(cli: &Cli, a: &AppendArgs, client: Arc<LogClient>) -> anyhow::Result<Report> {
    let warmup = secs(a.warmup, "--warmup")?;
    let duration = match (a.duration, a.count) {
        (Some(d), _) => Some(secs(d, "--duration")?),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(60)),
    };
    let concurrency = a.concurrency.unwrap_or(256);
    let demand = match (a.rate, a.count) {
        (Some(rate), _) => Demand::Exact(
            OpenSchedule::new(rate)?.sends_before(warmup + duration.unwrap_or_default()),
        ),
        (None, Some(count)) => Demand::Count(count + concurrency as u64),
        (None, None) => Demand::Timed(warmup + duration.unwrap_or_default()),
    };
    let plan = FeedPlan::for_demand(demand, a.prefill);
    let (prefill, low_water) = (plan.prefill, plan.low_water);
    let gen_threads = a.gen_threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
    });
    let tree_size_before = client.tree_size().await?;

    eprintln!(
        "log-loadgen: generating {} keys, signing {prefill} entries on {gen_threads} threads",
        a.keys
    );
    let t0 = Instant::now();
    let pool = Arc::new(KeyPool::generate(a.keys)?);
    let high = usize::try_from(prefill).context("--prefill too large")?;
    let feed = Arc::new(EntryFeed::start(
        pool,
        FeedConfig {
            high_water: high,
            low_water: usize::try_from(low_water).unwrap_or(high),
            threads: gen_threads,
        },
    ));
    feed.wait_queued(prefill, |q| eprintln!("log-loadgen:   {q} signed"))
        .await;
    anyhow::ensure!(!feed.failed(), "entry generation failed");
    let signed_before = feed.generated();
    eprintln!(
        "log-loadgen: {signed_before} entries ready in {:.1} s; running",
        t0.elapsed().as_secs_f64()
    );

    let work = Arc::new(Append {
        client: Arc::clone(&client),
        feed: Arc::clone(&feed),
    });
    let ok = Arc::new(AtomicU64::new(0));
    let progress = spawn_progress("log-loadgen", Arc::clone(&ok));
    let (info, (result, cpu)): (RunInfo, (RunResult, CpuUse)) = match a.rate {
        Some(rate) => {
            let cfg = OpenLoop {
                rate,
                warmup,
                duration: duration.unwrap_or_default(),
                max_in_flight: a.max_in_flight,
                drain_timeout: secs(a.drain_timeout, "--drain-timeout")?,
            };
            let info = RunInfo {
                label: cli.common.label.clone(),
                workload: "append-open".into(),
                concurrency: None,
                offered_rate_per_s: Some(rate),
                warmup_s: a.warmup,
            };
            let run = run_open(Arc::clone(&work), cfg, ok);
            (info, measure_cpu(cli.common.probe(), warmup, run).await?)
        }
        None => {
            let cfg = ClosedLoop {
                concurrency,
                warmup,
                duration,
                count: a.count,
            };
            let info = RunInfo {
                label: cli.common.label.clone(),
                workload: "append-closed".into(),
                concurrency: Some(concurrency as u64),
                offered_rate_per_s: None,
                warmup_s: a.warmup,
            };
            let run = run_closed(Arc::clone(&work), cfg, ok);
            (info, measure_cpu(cli.common.probe(), warmup, run).await?)
        }
    };
    progress.abort();
    drop(work);
    let signed_during = feed.generated() - signed_before;
    if let Ok(feed) = Arc::try_unwrap(feed) {
        feed.shutdown();
    }
    let mut report = Report::new(
        info,
        &result.stats,
        result.measured.as_secs_f64(),
        201,
        result.ok_including_warmup,
    );
    report.tree_size_before = Some(tree_size_before);
    report.tree_size_after = client.tree_size().await.ok();
    report.entries_signed_during_run = Some(signed_during);
    report.server_cpu_cores = cpu.server;
    report.client_cpu_cores = cpu.client;
    Ok(report)
}

async fn read(cli: &Cli, r: &ReadArgs, client: Arc<LogClient>) -> anyhow::Result<Report> {
    let tree_size = client.tree_size().await?;
    let cfg = ReadLoop {
        kind: r.kind,
        concurrency: r.concurrency,
        warmup: secs(r.warmup, "--warmup")?,
        duration: secs(r.duration, "--duration")?,
        tree_size,
    };
    let (result, cpu) = measure_cpu(cli.common.probe(), cfg.warmup, run_read(client, cfg)).await?;
    let info = RunInfo {
        label: cli.common.label.clone(),
        workload: r.kind.workload().into(),
        concurrency: Some(r.concurrency as u64),
        offered_rate_per_s: None,
        warmup_s: r.warmup,
    };
    let mut report = Report::new(
        info,
        &result.stats,
        result.measured.as_secs_f64(),
        200,
        result.ok_including_warmup,
    );
    report.tree_size_before = Some(tree_size);
    report.tree_size_after = Some(tree_size);
    report.server_cpu_cores = cpu.server;
    report.client_cpu_cores = cpu.client;
    Ok(report)
}
