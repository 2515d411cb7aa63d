//! Driving a [`Workload`] (one kind of request, e.g. an append or a certificate
//! issuance) in a closed or an open loop.
//!
//! * Closed loop: `concurrency` tasks each send back-to-back; latency is request start
//!   to response end.
//! * Open loop: sends are *scheduled* every `1/rate` seconds and handed to a pool of
//!   `max_in_flight` tasks; latency runs from the scheduled time, so a slow server (or
//!   a saturated client) shows up as latency rather than as silently fewer sends
//!   (no coordinated omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Mutex};

use crate::schedule::{OpenSchedule, Window};
use crate::stats::{Outcome, Stats};

/// One kind of request a run sends over and over.
pub trait Workload: Send + Sync + 'static {
    /// Sends one request and classifies its answer; `None` when the workload has nothing
    /// more to send (e.g. its queue of pre-signed entries ran dry and was shut down).
    fn send(&self) -> impl std::future::Future<Output = Option<Outcome>> + Send;
}

/// Closed-loop parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosedLoop {
    /// Concurrent tasks.
    pub concurrency: usize,
    /// Warm-up excluded from the stats.
    pub warmup: Duration,
    /// Measured duration; `None` = until `count` successes.
    pub duration: Option<Duration>,
    /// Stop after this many 201s (warm-up included); `None` = until `duration` ends.
    pub count: Option<u64>,
}

/// Open-loop parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenLoop {
    /// Sends per second.
    pub rate: f64,
    /// Warm-up excluded from the stats.
    pub warmup: Duration,
    /// Measured duration.
    pub duration: Duration,
    /// Sending tasks (the most requests in flight at once).
    pub max_in_flight: usize,
    /// Sends still queued this long after the window ends are dropped as "not sent".
    pub drain_timeout: Duration,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// Stats of the measured window.
    pub stats: Stats,
    /// Measured wall time (see [`Window::measured_span`]).
    pub measured: Duration,
    /// Successes including warm-up.
    pub ok_including_warmup: u64,
}

struct WorkerResult {
    /// `None` for open-loop senders, which record into a shared `Stats`.
    stats: Option<Stats>,
    last_done: Option<Instant>,
}

async fn join_workers(
    handles: Vec<tokio::task::JoinHandle<anyhow::Result<WorkerResult>>>,
    window: &Window,
    ok_total: &AtomicU64,
) -> anyhow::Result<RunResult> {
    let mut stats = Stats::new()?;
    let mut last_done: Option<Instant> = None;
    for h in handles {
        let w = h.await??;
        if let Some(s) = &w.stats {
            stats.merge(s)?;
        }
        last_done = last_done.max(w.last_done);
    }
    Ok(RunResult {
        stats,
        measured: window.measured_span(last_done),
        ok_including_warmup: ok_total.load(Ordering::Relaxed),
    })
}

/// Runs a closed loop. `cfg.duration` or `cfg.count` must bound it. `ok_total` counts
/// successes as they arrive (warm-up included), for progress display.
///
/// # Errors
/// If neither bound is given, or a worker task fails.
pub async fn run_closed<W: Workload>(
    work: Arc<W>,
    cfg: ClosedLoop,
    ok_total: Arc<AtomicU64>,
) -> anyhow::Result<RunResult> {
    anyhow::ensure!(
        cfg.duration.is_some() || cfg.count.is_some(),
        "a closed loop needs a duration or a count"
    );
    let window = Window::new(Instant::now(), cfg.warmup, cfg.duration);
    // Slots claimed against `count`; a failed request gives its slot back.
    let claimed = Arc::new(AtomicU64::new(0));
    let handles = (0..cfg.concurrency.max(1))
        .map(|_| {
            let work = Arc::clone(&work);
            let (ok_total, claimed) = (Arc::clone(&ok_total), Arc::clone(&claimed));
            tokio::spawn(async move {
                let mut stats = Stats::new()?;
                let mut last_done = None;
                loop {
                    if window.over(Instant::now()) {
                        break;
                    }
                    if let Some(n) = cfg.count {
                        // Claim a slot only while fewer than `n` are claimed, so a
                        // refused claim leaves the counter untouched.
                        let claim =
                            claimed.fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                                (c < n).then_some(c + 1)
                            });
                        if claim.is_err() {
                            break;
                        }
                    }
                    let started = Instant::now();
                    let Some(outcome) = work.send().await else {
                        break;
                    };
                    let done = Instant::now();
                    if outcome == Outcome::Ok {
                        ok_total.fetch_add(1, Ordering::Relaxed);
                    } else if cfg.count.is_some() {
                        claimed.fetch_sub(1, Ordering::AcqRel);
                    }
                    if window.measured(started) {
                        stats.record(outcome, done - started);
                        last_done = Some(done);
                    }
                }
                Ok(WorkerResult {
                    stats: Some(stats),
                    last_done,
                })
            })
        })
        .collect();
    join_workers(handles, &window, &ok_total).await
}

/// Runs an open loop at `cfg.rate` for `cfg.warmup + cfg.duration`. `ok_total` counts
/// successes as they arrive (warm-up included), for progress display.
///
/// # Errors
/// A bad rate, or a worker task failure.
pub async fn run_open<W: Workload>(
    work: Arc<W>,
    cfg: OpenLoop,
    ok_total: Arc<AtomicU64>,
) -> anyhow::Result<RunResult> {
    let schedule = OpenSchedule::new(cfg.rate)?;
    let window = Window::new(Instant::now(), cfg.warmup, Some(cfg.duration));
    let total = schedule.sends_before(cfg.warmup + cfg.duration);
    let deadline = window.measure_from + cfg.duration + cfg.drain_timeout;
    let (tx, rx) = mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(Mutex::new(rx));
    // One shared `Stats` (a histogram is ~190 KB; thousands of senders each owning one
    // would cost hundreds of MB). The lock is held only to record one sample.
    let shared = Arc::new(std::sync::Mutex::new(Stats::new()?));
    let handles = (0..cfg.max_in_flight.max(1))
        .map(|_| {
            let work = Arc::clone(&work);
            let (ok_total, rx) = (Arc::clone(&ok_total), Arc::clone(&rx));
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut last_done = None;
                loop {
                    let Some(scheduled) = rx.lock().await.recv().await else {
                        break;
                    };
                    let outcome = if Instant::now() < deadline {
                        work.send().await
                    } else {
                        None
                    };
                    let Some(outcome) = outcome else {
                        if window.measured(scheduled) {
                            lock(&shared).record_not_sent();
                        }
                        continue;
                    };
                    let done = Instant::now();
                    if outcome == Outcome::Ok {
                        ok_total.fetch_add(1, Ordering::Relaxed);
                    }
                    if window.measured(scheduled) {
                        // From the scheduled time, not the actual send (see module doc).
                        let latency = done.saturating_duration_since(scheduled);
                        lock(&shared).record(outcome, latency);
                        last_done = Some(done);
                    }
                }
                Ok(WorkerResult {
                    stats: None,
                    last_done,
                })
            })
        })
        .collect();
    for i in 0..total {
        let due = window.start + schedule.offset(i);
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        if tx.send(due).is_err() {
            break;
        }
    }
    drop(tx);
    let mut result = join_workers(handles, &window, &ok_total).await?;
    result.stats.merge(&lock(&shared))?;
    Ok(result)
}

fn lock(stats: &std::sync::Mutex<Stats>) -> std::sync::MutexGuard<'_, Stats> {
    // A panicking sender cannot leave `Stats` half-updated in a way that matters here.
    stats
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
