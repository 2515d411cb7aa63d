//! Load shapes: the soak's open-loop streams (fixed rates, latency from the scheduled
//! time, no coordinated omission), and the closed-loop calibration mix that measures the
//! maximum of the same mix.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::distributions::{Distribution as _, WeightedIndex};
use tokio::sync::{mpsc, watch, Mutex};

use signet_bench::drive::{run_closed, ClosedLoop, RunResult, Workload};
use signet_bench::schedule::{OpenSchedule, Window};
use signet_bench::stats::Outcome;

use super::ops::Ctx;
use super::record::{Phase, Stream};

/// Why the load stops early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Keep going.
    Running,
    /// SIGINT or SIGTERM.
    Interrupted,
    /// The server process is gone.
    ServerExited,
}

/// The soak's timing, shared by its streams.
#[derive(Clone, Copy, Debug)]
pub struct SoakTiming {
    /// When the soak started (the schedule's origin).
    pub start: Instant,
    /// Warm-up (its requests are recorded under [`Phase::Warmup`]).
    pub warmup: Duration,
    /// Whole soak, warm-up included.
    pub duration: Duration,
    /// Sending tasks per stream: the most requests of one stream in flight.
    pub max_in_flight: usize,
    /// A request dequeued later than this after its scheduled time is dropped (counted as
    /// not sent) instead of being sent into a backlog.
    pub max_lag: Duration,
}

/// Runs one stream at `rate` per second for the soak, until its end or a stop.
///
/// # Errors
/// A bad rate or a failed sending task.
pub async fn run_stream(
    ctx: Arc<Ctx>,
    stream: Stream,
    rate: f64,
    timing: SoakTiming,
    mut stop: watch::Receiver<Stop>,
) -> anyhow::Result<()> {
    let schedule = OpenSchedule::new(rate)?;
    let measured = timing.duration.saturating_sub(timing.warmup);
    let window = Window::new(timing.start, timing.warmup, Some(measured));
    let (tx, rx) = mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(Mutex::new(rx));
    let senders: Vec<_> = (0..timing.max_in_flight.max(1))
        .map(|_| {
            let (ctx, rx, stop) = (Arc::clone(&ctx), Arc::clone(&rx), stop.clone());
            tokio::spawn(async move {
                loop {
                    let Some(due) = rx.lock().await.recv().await else {
                        break;
                    };
                    if *stop.borrow() != Stop::Running {
                        continue;
                    }
                    let phase = if window.measured(due) {
                        Phase::Measure
                    } else {
                        Phase::Warmup
                    };
                    if due.elapsed() > timing.max_lag {
                        ctx.rec.record_not_sent(phase, stream.drop_op());
                        continue;
                    }
                    ctx.run(stream, phase, due).await;
                }
            })
        })
        .collect();
    for i in 0u64.. {
        let due = timing.start + schedule.offset(i);
        if window.over(due) {
            break;
        }
        if due > Instant::now() {
            tokio::select! {
                () = tokio::time::sleep_until(due.into()) => {}
                changed = stop.changed() => {
                    if changed.is_err() {
                        // No one can stop us any more: just keep the schedule.
                        tokio::time::sleep_until(due.into()).await;
                    }
                }
            }
        }
        if *stop.borrow() != Stop::Running || tx.send(due).is_err() {
            break;
        }
    }
    drop(tx);
    for s in senders {
        s.await?;
    }
    Ok(())
}

/// One request of a stream picked at random by weight, per send (closed loop).
struct Mix {
    ctx: Arc<Ctx>,
    weights: WeightedIndex<f64>,
    phase: Phase,
    stop: watch::Receiver<Stop>,
}

impl Workload for Mix {
    async fn send(&self) -> Option<Outcome> {
        if *self.stop.borrow() != Stop::Running {
            return None;
        }
        let stream = Stream::ALL[self.weights.sample(&mut rand::thread_rng())];
        Some(self.ctx.run(stream, self.phase, Instant::now()).await)
    }
}

/// A closed loop of `concurrency` tasks sending the mix `weights` (sign, append, read):
/// for `warmup + duration`, or, with `count`, until that many successes.
///
/// # Errors
/// Bad weights, or a failed task.
pub async fn closed_mix(
    ctx: Arc<Ctx>,
    weights: [f64; 3],
    phase: Phase,
    cfg: ClosedLoop,
    stop: watch::Receiver<Stop>,
) -> anyhow::Result<RunResult> {
    let work = Arc::new(Mix {
        ctx,
        weights: WeightedIndex::new(weights)?,
        phase,
        stop,
    });
    run_closed(work, cfg, Arc::new(AtomicU64::new(0))).await
}
