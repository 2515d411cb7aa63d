//! The orchestration of one soak: wait for the server, make keys and tokens, seed the
//! log, calibrate the mix's maximum (closed loop), run the streams at a fraction of it
//! (open loop), sample the server every window throughout, then judge.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::watch;

use signet_bench::drive::ClosedLoop;
use signet_bench::entries::KeyPool;
use signet_bench::http::LogClient;
use signet_bench::issue::mint_identities;
use signet_bench::procstat::cpu_seconds;
use signet_bench::runner::{measure_cpu, CpuProbe};
use signet_bench::target::Target;

use super::duration;
use super::load::{closed_mix, run_stream, SoakTiming, Stop};
use super::ops::{soak_client, CertKeys, Ctx};
use super::procfs;
use super::record::{Phase, Stream};
use super::series::{
    evidence, phase_reports, Calibration, Config, Rates, Sample, SoakRecord, StreamWindow,
};
use super::verdict::{judge, Bounds, Completion, Verdict};

/// Development-issuer tokens live this long (the issuer allows at most an hour)...
const TOKEN_LIFETIME: Duration = Duration::from_secs(40 * 60);
/// ...and are replaced this often, so a soak of any length always has valid ones.
const TOKEN_REFRESH: Duration = Duration::from_secs(15 * 60);
/// Entries and signings made before any measurement, so that reads have targets.
const SEED_APPENDS: u64 = 300;
/// Signings of the seed.
const SEED_SIGNS: u64 = 4;

/// `soak` options.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Server base URL; loopback hosts only (127.0.0.0/8, [::1], localhost).
    #[arg(long, env = "SIGNET_BENCH_URL")]
    pub url: Option<String>,
    /// PID of the `signet serve` process to sample (Linux /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Soak length, warm-up included: `30m`, `1h`, `600` (seconds).
    #[arg(long, value_parser = duration::parse, default_value = "30m")]
    pub duration: Duration,
    /// Warm-up at the start of the soak, left out of the flatness verdict
    /// [default: 20 % of --duration].
    #[arg(long, value_parser = duration::parse)]
    pub warmup: Option<Duration>,
    /// Sampling window.
    #[arg(long, value_parser = duration::parse, default_value = "10s")]
    pub sample_every: Duration,
    /// Fixed rates `SIGN,APPEND,READ` per second instead of a calibration.
    #[arg(long, value_parser = parse_rates)]
    pub rates: Option<Rates>,
    /// Measured length of the calibration (closed loop over the mix).
    #[arg(long, value_parser = duration::parse, default_value = "30s")]
    pub calibrate: Duration,
    /// Calibration warm-up.
    #[arg(long, value_parser = duration::parse, default_value = "5s")]
    pub calibrate_warmup: Duration,
    /// Calibration closed-loop tasks.
    #[arg(long, default_value_t = 64)]
    pub calibrate_concurrency: usize,
    /// Calibrate, print the maximum and the rates a soak would use, and stop.
    #[arg(long)]
    pub calibrate_only: bool,
    /// The soak runs at this fraction of the calibrated maximum.
    #[arg(long, default_value_t = 0.5)]
    pub load_fraction: f64,
    /// Mix weights `SIGN:APPEND:READ`: the calibration picks each request's stream with
    /// these weights, and the soak's rates keep the same proportions.
    #[arg(long, value_parser = parse_mix, default_value = "1:3:8")]
    pub mix: [f64; 3],
    /// Per stream: sending tasks, i.e. the most requests in flight.
    #[arg(long, default_value_t = 128)]
    pub max_in_flight: usize,
    /// A scheduled request still unsent this long after its time is dropped (`not sent`).
    #[arg(long, value_parser = duration::parse, default_value = "10s")]
    pub max_lag: Duration,
    /// Tokio worker threads of the load generator.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Per-request timeout.
    #[arg(long, value_parser = duration::parse, default_value = "30s")]
    pub request_timeout: Duration,
    /// Pooled connections idle this long are closed by the load generator. Keep it below
    /// the server's idle close (`signet serve --header-read-timeout-secs`, 10 s), or a
    /// request racing the server's close fails.
    #[arg(long, value_parser = duration::parse, default_value = "5s")]
    pub pool_idle_timeout: Duration,
    /// The server's data directory, to follow its size on disk.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Write `samples.csv`, `soak.json` and `summary.txt` here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Clock ticks per second for /proc CPU times (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100)]
    pub clk_tck: u64,
    /// Wait this long for the server to answer.
    #[arg(long, value_parser = duration::parse, default_value = "60s")]
    pub wait_ready: Duration,
    /// P-256 keys (certificate requests) made before the run, used round-robin.
    #[arg(long, default_value_t = 64)]
    pub cert_keys: usize,
    /// Development-issuer identities (tokens).
    #[arg(long, default_value_t = 8)]
    pub identities: usize,
    /// What the verdict tolerates.
    #[command(flatten)]
    pub bounds: Bounds,
}

fn parse_numbers<const N: usize>(text: &str, sep: char, what: &str) -> Result<[f64; N], String> {
    let parts: Vec<&str> = text.split(sep).collect();
    let mut out = [0.0; N];
    if parts.len() != N {
        return Err(format!("{what}: expected {N} numbers separated by '{sep}'"));
    }
    for (o, p) in out.iter_mut().zip(parts) {
        *o = p
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{what}: {p:?} is not a non-negative number"))?;
    }
    if out.iter().all(|v| *v == 0.0) {
        return Err(format!("{what}: all zero"));
    }
    Ok(out)
}

/// `SIGN,APPEND,READ` per second.
///
/// # Errors
/// Not three non-negative numbers, or all zero.
pub fn parse_rates(text: &str) -> Result<Rates, String> {
    let [sign, append, read] = parse_numbers::<3>(text, ',', "--rates")?;
    Ok(Rates { sign, append, read })
}

/// `SIGN:APPEND:READ` weights.
///
/// # Errors
/// Not three non-negative numbers, or all zero.
pub fn parse_mix(text: &str) -> Result<[f64; 3], String> {
    parse_numbers::<3>(text, ':', "--mix")
}

/// The server and the load generator, sampled once per window.
struct Sampler {
    pid: u32,
    clk_tck: u64,
    data_dir: Option<PathBuf>,
    ctx: Arc<Ctx>,
    started: Instant,
    last: Instant,
    cpu: (Option<f64>, Option<f64>),
    rates: Option<Rates>,
    samples: Vec<Sample>,
}

impl Sampler {
    fn new(pid: u32, args: &RunArgs, ctx: Arc<Ctx>) -> Self {
        let now = Instant::now();
        Self {
            pid,
            clk_tck: args.clk_tck,
            data_dir: args.data_dir.clone(),
            ctx,
            started: now,
            last: now,
            cpu: (
                cpu_seconds(Some(pid), args.clk_tck),
                cpu_seconds(None, args.clk_tck),
            ),
            rates: None,
            samples: Vec::new(),
        }
    }

    /// Takes one sample closing the current window; `false` if the server is gone.
    async fn sample(&mut self, phase: Phase, soak_start: Option<Instant>) -> anyhow::Result<bool> {
        let now = Instant::now();
        let window_s = now.saturating_duration_since(self.last).as_secs_f64();
        let (Some(st), Some(fds)) = (procfs::status(Some(self.pid)), procfs::fds(Some(self.pid)))
        else {
            return Ok(false);
        };
        let client_fds = procfs::fds(None).unwrap_or_default();
        let cpu = (
            cpu_seconds(Some(self.pid), self.clk_tck),
            cpu_seconds(None, self.clk_tck),
        );
        let cores = |a: Option<f64>, b: Option<f64>| match (a, b) {
            // Clock ticks are 10 ms: shorter windows say nothing.
            (Some(a), Some(b)) if window_s >= 1.0 => Some((b - a) / window_s),
            _ => None,
        };
        let (server_cpu, client_cpu) = (cores(self.cpu.0, cpu.0), cores(self.cpu.1, cpu.1));
        self.cpu = cpu;
        let stats = self.ctx.rec.take_window()?;
        let soak = matches!(phase, Phase::Warmup | Phase::Measure);
        let streams = Stream::ALL
            .iter()
            .map(|&s| {
                let target = self.rates.filter(|_| soak).map(|r| r.get(s));
                StreamWindow::new(s, &stats, window_s, target)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (tree_size, ct_tree_size) = self.ctx.tree_sizes().await;
        let data_dir_bytes = self.data_dir.as_deref().map(procfs::dir_bytes);
        let sample = Sample {
            t_s: now.duration_since(self.started).as_secs_f64(),
            soak_t_s: soak_start.map(|s| now.saturating_duration_since(s).as_secs_f64()),
            phase,
            window_s,
            rss_kib: st.rss_kib,
            hwm_kib: st.hwm_kib,
            rss_anon_kib: st.rss_anon_kib,
            rss_file_kib: st.rss_file_kib,
            rss_shmem_kib: st.rss_shmem_kib,
            threads: st.threads,
            fds: fds.total,
            fd_sockets: fds.sockets,
            client_sockets: client_fds.sockets,
            server_cpu_cores: server_cpu,
            client_cpu_cores: client_cpu,
            client_rss_kib: procfs::status(None).map(|s| s.rss_kib),
            tree_size,
            ct_tree_size,
            data_dir_bytes,
            streams,
        };
        eprintln!("{}", super::output::progress_line(&sample));
        self.samples.push(sample);
        self.last = now;
        Ok(true)
    }

    /// Samples every `every` until `task` ends (then once more), labelling each window
    /// with `phase_of(window start)`. If the server disappears, `stop` is told.
    async fn while_running<T>(
        &mut self,
        task: tokio::task::JoinHandle<T>,
        every: Duration,
        soak_start: Option<Instant>,
        phase_of: impl Fn(Instant) -> Phase,
        stop: &watch::Sender<Stop>,
    ) -> anyhow::Result<T> {
        tokio::pin!(task);
        let mut tick = tokio::time::interval_at((Instant::now() + every).into(), every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                out = &mut task => {
                    let out = out.context("a load task panicked")?;
                    if !self.sample(phase_of(self.last), soak_start).await? {
                        stop_once(stop, Stop::ServerExited);
                    }
                    return Ok(out);
                }
                _ = tick.tick() => {
                    if !self.sample(phase_of(self.last), soak_start).await? {
                        stop_once(stop, Stop::ServerExited);
                    }
                }
            }
        }
    }
}

async fn wait_ready(client: &LogClient, pid: u32, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    let paths = ["/api/v1/log", "/api/v2/configuration"];
    for path in paths {
        let url = client.target().join(path);
        loop {
            anyhow::ensure!(
                procfs::status(Some(pid)).is_some(),
                "no process {pid} to sample (--server-pid)"
            );
            match client.http().get(&url).send().await {
                Ok(r) if r.status().is_success() => break,
                _ if Instant::now() >= deadline => anyhow::bail!(
                    "{url} did not answer 200 within {limit:?} (the soak needs the log and the \
                     CA: `signet serve --insecure-dev-issuer` on a data dir with `signet ca init`)"
                ),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
    Ok(())
}

/// Keeps the development-issuer tokens fresh for the whole run.
fn spawn_token_refresh(
    ctx: Arc<Ctx>,
    token_url: String,
    identities: usize,
    failures: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = TOKEN_REFRESH;
        loop {
            tokio::time::sleep(wait).await;
            match mint_identities(
                &ctx.client,
                &token_url,
                identities,
                TOKEN_LIFETIME.as_secs(),
            )
            .await
            {
                Ok(ids) => {
                    ctx.certs
                        .set_tokens(ids.into_iter().map(|i| i.token).collect());
                    wait = TOKEN_REFRESH;
                }
                Err(e) => {
                    failures.fetch_add(1, Ordering::Relaxed);
                    ctx.rec.note(format!("token refresh: {e:#}"));
                    wait = Duration::from_secs(30);
                }
            }
        }
    })
}

fn spawn_signal_watch(stop: Arc<watch::Sender<Stop>>) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                },
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        eprintln!("soak: interrupted: stopping the load and writing what was measured");
        stop_once(&stop, Stop::Interrupted);
    });
}

/// Records the first reason to stop (a later one does not replace it).
fn stop_once(stop: &watch::Sender<Stop>, why: Stop) {
    stop.send_if_modified(|s| {
        let first = *s == Stop::Running;
        if first {
            *s = why;
        }
        first
    });
}

/// What [`run`] ends with.
#[derive(Debug)]
pub enum Outcome {
    /// A soak was run (possibly cut short): its record.
    Soak(Box<SoakRecord>),
    /// `--calibrate-only`: the calibration and the rates a soak would use.
    Calibrated(Calibration, Rates),
}

/// Runs the soak described by `args`.
///
/// # Errors
/// Bad arguments, a server that does not answer, a failed seed (with the server's
/// answer), or an I/O error. A run that is merely not flat is not an error: see the
/// record's verdict.
pub async fn run(args: &RunArgs) -> anyhow::Result<Outcome> {
    let url = args
        .url
        .as_deref()
        .context("--url (or SIGNET_BENCH_URL) is required")?;
    let pid = args.server_pid.context("--server-pid is required")?;
    let warmup = args.warmup.unwrap_or(args.duration / 5);
    anyhow::ensure!(
        warmup < args.duration,
        "the warm-up ({warmup:?}) must be shorter than --duration ({:?})",
        args.duration
    );
    anyhow::ensure!(
        args.load_fraction > 0.0 && args.load_fraction.is_finite(),
        "--load-fraction must be > 0"
    );
    anyhow::ensure!(!args.sample_every.is_zero(), "--sample-every must be > 0");
    let client = Arc::new(LogClient::new(Target::parse(url)?, args.request_timeout)?);
    wait_ready(&client, pid, args.wait_ready).await?;

    let stop = Arc::new(watch::channel(Stop::Running).0);
    spawn_signal_watch(Arc::clone(&stop));

    let t0 = Instant::now();
    let cert_keys = args.cert_keys;
    let (certs, pool) = tokio::task::spawn_blocking(move || {
        Ok::<_, anyhow::Error>((CertKeys::generate(cert_keys)?, KeyPool::generate(16)?))
    })
    .await??;
    let http = soak_client(args.request_timeout, args.pool_idle_timeout)?;
    let ctx = Arc::new(Ctx::new(Arc::clone(&client), http, certs, pool)?);
    let token_url = client.target().join("/dev-issuer/token");
    let ids = mint_identities(
        &client,
        &token_url,
        args.identities.max(1),
        TOKEN_LIFETIME.as_secs(),
    )
    .await?;
    ctx.certs
        .set_tokens(ids.into_iter().map(|i| i.token).collect());
    let refresh_failures = Arc::new(AtomicU64::new(0));
    let refresh = spawn_token_refresh(
        Arc::clone(&ctx),
        token_url,
        args.identities.max(1),
        Arc::clone(&refresh_failures),
    );
    eprintln!(
        "soak: {} certificate keys, {} tokens ready in {:.1} s",
        args.cert_keys,
        args.identities.max(1),
        t0.elapsed().as_secs_f64()
    );

    let mut sampler = Sampler::new(pid, args, Arc::clone(&ctx));
    if !sampler.sample(Phase::Seed, None).await? {
        anyhow::bail!("the server (pid {pid}) is gone");
    }

    // Seed: a few signings and some appends, sequentially checked, so reads have targets
    // and a misconfigured server fails here with its own message.
    let seed_started = Instant::now();
    for (weights, count) in [
        ([1.0, 0.0, 0.0], SEED_SIGNS),
        ([0.0, 1.0, 0.0], SEED_APPENDS),
    ] {
        let cfg = ClosedLoop {
            concurrency: 4,
            warmup: Duration::ZERO,
            duration: None,
            count: Some(count),
        };
        let r = closed_mix(
            Arc::clone(&ctx),
            weights,
            Phase::Seed,
            cfg,
            stop.subscribe(),
        )
        .await?;
        if r.stats.failures() > 0 || r.ok_including_warmup < count {
            let (notes, _) = ctx.rec.notes();
            anyhow::bail!(
                "seeding the log failed ({} of {count} ok): {}",
                r.ok_including_warmup,
                notes.first().map_or("interrupted", String::as_str)
            );
        }
    }
    let seed_s = seed_started.elapsed().as_secs_f64();
    sampler.sample(Phase::Seed, None).await?;

    let mut calibration = None;
    let mut calibrate_s = 0.0;
    let (rates, rates_from) = match args.rates {
        Some(r) => (r, "--rates".to_owned()),
        None => {
            let started = Instant::now();
            let cfg = ClosedLoop {
                concurrency: args.calibrate_concurrency.max(1),
                warmup: args.calibrate_warmup,
                duration: Some(args.calibrate),
                count: None,
            };
            eprintln!(
                "soak: calibrating: closed loop, {} tasks, mix {}:{}:{} (sign:append:read), {:?} after {:?}",
                cfg.concurrency, args.mix[0], args.mix[1], args.mix[2], args.calibrate, args.calibrate_warmup
            );
            let probe = CpuProbe {
                server_pid: Some(pid),
                clk_tck: args.clk_tck,
            };
            let run = closed_mix(
                Arc::clone(&ctx),
                args.mix,
                Phase::Calibrate,
                cfg,
                stop.subscribe(),
            );
            let task = tokio::spawn(measure_cpu(probe, args.calibrate_warmup, run));
            let (result, cpu) = sampler
                .while_running(task, args.sample_every, None, |_| Phase::Calibrate, &stop)
                .await??;
            calibrate_s = started.elapsed().as_secs_f64();
            let measured_s = result.measured.as_secs_f64();
            let h = &result.stats.latency_us;
            let cal = Calibration {
                concurrency: cfg.concurrency,
                warmup_s: args.calibrate_warmup.as_secs_f64(),
                measured_s,
                ops_per_s: if measured_s > 0.0 {
                    result.stats.ok as f64 / measured_s
                } else {
                    0.0
                },
                failed: result.stats.failures(),
                p50_us: (!h.is_empty()).then(|| h.value_at_quantile(0.5)),
                p99_us: (!h.is_empty()).then(|| h.value_at_quantile(0.99)),
                server_cpu_cores: cpu.server,
                client_cpu_cores: cpu.client,
            };
            let sum: f64 = args.mix.iter().sum();
            let share = |i: usize| args.load_fraction * cal.ops_per_s * args.mix[i] / sum;
            let rates = Rates {
                sign: share(0),
                append: share(1),
                read: share(2),
            };
            eprintln!(
                "soak: mix maximum {:.1} ops/s ({} failed); soak rates at {:.0} %: sign {:.1}/s, append {:.1}/s, read {:.1}/s",
                cal.ops_per_s,
                cal.failed,
                100.0 * args.load_fraction,
                rates.sign,
                rates.append,
                rates.read
            );
            let from = format!(
                "{:.0} % of the calibrated mix maximum ({:.1} ops/s)",
                100.0 * args.load_fraction,
                cal.ops_per_s
            );
            calibration = Some(cal);
            (rates, from)
        }
    };
    if args.calibrate_only {
        refresh.abort();
        let cal = calibration.context("--calibrate-only with --rates: nothing to calibrate")?;
        return Ok(Outcome::Calibrated(cal, rates));
    }
    anyhow::ensure!(
        rates.total() > 0.0,
        "all rates are zero: nothing to soak with"
    );

    // The soak.
    let timing = SoakTiming {
        start: Instant::now(),
        warmup,
        duration: args.duration,
        max_in_flight: args.max_in_flight,
        max_lag: args.max_lag,
    };
    sampler.rates = Some(rates);
    sampler.last = timing.start;
    let already_stopped = *stop.borrow() != Stop::Running;
    let soak_task = {
        let ctx = Arc::clone(&ctx);
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            if already_stopped {
                return Ok(());
            }
            let streams: Vec<_> = Stream::ALL
                .iter()
                .filter(|&&s| rates.get(s) > 0.0)
                .map(|&s| {
                    tokio::spawn(run_stream(
                        Arc::clone(&ctx),
                        s,
                        rates.get(s),
                        timing,
                        stop.subscribe(),
                    ))
                })
                .collect();
            for s in streams {
                s.await??;
            }
            Ok::<_, anyhow::Error>(())
        })
    };
    eprintln!(
        "soak: {:?} (warm-up {:?}) at sign {:.1}/s, append {:.1}/s, read {:.1}/s",
        args.duration, warmup, rates.sign, rates.append, rates.read
    );
    let measure_from = timing.start + warmup;
    sampler
        .while_running(
            soak_task,
            args.sample_every,
            Some(timing.start),
            |window_start| {
                if window_start < measure_from {
                    Phase::Warmup
                } else {
                    Phase::Measure
                }
            },
            &stop,
        )
        .await??;
    let soak_elapsed_s = timing.start.elapsed().as_secs_f64();
    refresh.abort();

    let completion = match *stop.borrow() {
        Stop::Running => Completion::Completed,
        Stop::Interrupted => Completion::Interrupted {
            at_s: soak_elapsed_s,
        },
        Stop::ServerExited => Completion::ServerExited {
            at_s: soak_elapsed_s,
        },
    };
    let warmup_s = warmup.as_secs_f64();
    let phases = ctx
        .rec
        .phases()
        .into_iter()
        .map(|(phase, stats)| {
            let secs = match phase {
                Phase::Seed => seed_s,
                Phase::Calibrate => calibrate_s,
                Phase::Warmup => warmup_s.min(soak_elapsed_s),
                Phase::Measure => (soak_elapsed_s - warmup_s).max(0.0),
            };
            (phase, phase_reports(&stats, secs, phase))
        })
        .collect();
    let (failure_notes, failure_notes_total) = ctx.rec.notes();
    let mut record = SoakRecord {
        config: Config {
            url: url.to_owned(),
            server_pid: pid,
            duration_s: args.duration.as_secs_f64(),
            warmup_s,
            sample_every_s: args.sample_every.as_secs_f64(),
            mix: args.mix,
            load_fraction: args.load_fraction,
            threads: args.threads,
            max_in_flight: args.max_in_flight,
            max_lag_s: args.max_lag.as_secs_f64(),
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            data_dir: args.data_dir.as_ref().map(|d| d.display().to_string()),
        },
        calibration,
        rates,
        rates_from,
        samples: std::mem::take(&mut sampler.samples),
        phases,
        failure_notes,
        failure_notes_total,
        token_refresh_failures: refresh_failures.load(Ordering::Relaxed),
        completion,
        soak_elapsed_s,
        bounds: args.bounds,
        verdict: Verdict {
            pass: false,
            checks: Vec::new(),
        },
    };
    record.verdict = judge(&evidence(&record, warmup_s), &args.bounds);
    Ok(Outcome::Soak(Box::new(record)))
}
