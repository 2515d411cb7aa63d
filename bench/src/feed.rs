//! A queue of pre-signed entries, filled by background OS threads.
//!
//! Before timing starts the queue is filled to its high-water mark using every
//! generator thread. The generators then sleep, and only resume when the queue falls
//! below the low-water mark, so a run whose prefill covers its demand does no signing
//! at all while it is being measured. [`EntryFeed::generated`] lets the caller report
//! how many entries were signed during the measured window.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::{RngCore as _, SeedableRng as _};
use tokio::sync::mpsc;

use crate::entries::{KeyPool, ARTEFACT_LEN};

/// How much to keep queued and how many threads sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedConfig {
    /// Queue target: generation stops when this many entries are queued.
    pub high_water: usize,
    /// Generation resumes when fewer than this many entries are queued.
    pub low_water: usize,
    /// Generator threads.
    pub threads: usize,
}

/// Closed loop with a duration: entries to pre-sign per second of run. An estimate of
/// the fastest append rate expected on the benchmark machine; if the server is faster,
/// the feed refills during the run and the report's `entries_signed_during_run` says so.
pub const TIMED_PREFILL_PER_SECOND: u64 = 15_000;
/// Bounds of the timed prefill (≈ 600 bytes per queued entry).
pub const TIMED_PREFILL_RANGE: (u64, u64) = (50_000, 2_000_000);
/// Prefill cap in count mode: the run is not a latency measurement, so signing may
/// overlap it.
pub const COUNT_PREFILL_CAP: u64 = 200_000;

/// How many entries a run will consume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Demand {
    /// Exactly this many (open loop: one entry per scheduled send).
    Exact(u64),
    /// About this many (closed loop with a count: the count plus retries).
    Count(u64),
    /// Unknown: a closed loop running for this long.
    Timed(Duration),
}

/// Prefill and low-water mark for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedPlan {
    /// Entries to sign before timing starts (the high-water mark).
    pub prefill: u64,
    /// Refill threshold during the run.
    pub low_water: u64,
}

impl FeedPlan {
    /// Sizes the queue so that a run's measured window does no signing when the
    /// prefill covers it: the low-water mark sits below what the run leaves over.
    /// `prefill` overrides the computed size.
    pub fn for_demand(demand: Demand, prefill: Option<u64>) -> Self {
        match demand {
            Demand::Exact(n) => {
                let p = prefill.unwrap_or(n);
                // Covered: never refill. Otherwise refill early enough to keep up.
                let low = if p >= n { 0 } else { (p / 2).min(4096) };
                Self {
                    prefill: p,
                    low_water: low,
                }
            }
            Demand::Count(n) => {
                let p = prefill.unwrap_or(n.min(COUNT_PREFILL_CAP));
                Self {
                    prefill: p,
                    low_water: p / 2,
                }
            }
            Demand::Timed(d) => {
                let (lo, hi) = TIMED_PREFILL_RANGE;
                let est = (d.as_secs_f64() * TIMED_PREFILL_PER_SECOND as f64) as u64;
                let p = prefill.unwrap_or(est.clamp(lo, hi));
                Self {
                    prefill: p,
                    low_water: (p / 2).min(4096),
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    generated: AtomicU64,
    taken: AtomicU64,
    refilling: AtomicBool,
    stop: AtomicBool,
    failed: AtomicBool,
}

/// The consumer side: async tasks call [`EntryFeed::next`].
#[derive(Debug)]
pub struct EntryFeed {
    rx: tokio::sync::Mutex<mpsc::Receiver<Vec<u8>>>,
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl EntryFeed {
    /// Starts `cfg.threads` generator threads signing with `pool`.
    pub fn start(pool: Arc<KeyPool>, cfg: FeedConfig) -> Self {
        let high = cfg.high_water.max(1);
        let low = cfg.low_water.min(high);
        let threads = cfg.threads.max(1);
        let (tx, rx) = mpsc::channel(high + threads);
        let shared = Arc::new(Shared::default());
        shared.refilling.store(true, Ordering::SeqCst);
        let handles = (0..threads)
            .map(|t| {
                let tx = tx.clone();
                let shared = Arc::clone(&shared);
                let pool = Arc::clone(&pool);
                std::thread::Builder::new()
                    .name(format!("entry-gen-{t}"))
                    .spawn(move || produce(&pool, &tx, &shared, high, low, t))
            })
            .filter_map(Result::ok)
            .collect();
        Self {
            rx: tokio::sync::Mutex::new(rx),
            shared,
            threads: Mutex::new(handles),
        }
    }

    /// The next entry body; `None` once the generators have stopped or failed and the
    /// queue is empty.
    pub async fn next(&self) -> Option<Vec<u8>> {
        let item = self.rx.lock().await.recv().await;
        if item.is_some() {
            self.shared.taken.fetch_add(1, Ordering::Relaxed);
        }
        item
    }

    /// Entries signed so far.
    pub fn generated(&self) -> u64 {
        self.shared.generated.load(Ordering::Relaxed)
    }

    /// Entries currently queued.
    pub fn queued(&self) -> u64 {
        self.generated()
            .saturating_sub(self.shared.taken.load(Ordering::Relaxed))
    }

    /// True if a generator thread hit a signing error and stopped.
    pub fn failed(&self) -> bool {
        self.shared.failed.load(Ordering::Relaxed)
    }

    /// Waits until `target` entries are queued (or the generators failed).
    pub async fn wait_queued(&self, target: u64, mut progress: impl FnMut(u64)) {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        let mut last_report = std::time::Instant::now();
        loop {
            tick.tick().await;
            let q = self.queued();
            if q >= target || self.failed() {
                return;
            }
            if last_report.elapsed() >= Duration::from_secs(2) {
                progress(q);
                last_report = std::time::Instant::now();
            }
        }
    }

    /// Stops the generators and joins them.
    pub fn shutdown(self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Dropping the receiver wakes any generator blocked on a full queue.
        drop(self.rx);
        let handles = match self.threads.into_inner() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        for h in handles {
            let _ = h.join();
        }
    }
}

fn produce(
    pool: &KeyPool,
    tx: &mpsc::Sender<Vec<u8>>,
    shared: &Shared,
    high: usize,
    low: usize,
    thread_index: usize,
) {
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut artefact = [0u8; ARTEFACT_LEN];
    let mut key_index = thread_index;
    while !shared.stop.load(Ordering::Relaxed) {
        let queued = tx.max_capacity() - tx.capacity();
        if shared.refilling.load(Ordering::Relaxed) {
            if queued >= high {
                shared.refilling.store(false, Ordering::Relaxed);
                continue;
            }
        } else if queued < low {
            shared.refilling.store(true, Ordering::Relaxed);
        } else {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        rng.fill_bytes(&mut artefact);
        key_index = key_index.wrapping_add(1);
        let Ok(entry) = pool.entry(key_index, &artefact) else {
            shared.failed.store(true, Ordering::SeqCst);
            return;
        };
        if tx.blocking_send(entry).is_err() {
            return;
        }
        shared.generated.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn plans() {
        let exact = FeedPlan::for_demand(Demand::Exact(12_000), None);
        assert_eq!(
            exact,
            FeedPlan {
                prefill: 12_000,
                low_water: 0
            }
        );
        let short = FeedPlan::for_demand(Demand::Exact(12_000), Some(1000));
        assert_eq!(
            short,
            FeedPlan {
                prefill: 1000,
                low_water: 500
            }
        );
        let count = FeedPlan::for_demand(Demand::Count(1_000_256), None);
        assert_eq!(count.prefill, COUNT_PREFILL_CAP);
        assert_eq!(count.low_water, COUNT_PREFILL_CAP / 2);
        let small = FeedPlan::for_demand(Demand::Count(300), None);
        assert_eq!(small.prefill, 300);
        let timed = FeedPlan::for_demand(Demand::Timed(Duration::from_secs(65)), None);
        assert_eq!(timed.prefill, 65 * TIMED_PREFILL_PER_SECOND);
        assert!(timed.low_water <= 4096);
        let tiny = FeedPlan::for_demand(Demand::Timed(Duration::from_secs(1)), None);
        assert_eq!(tiny.prefill, TIMED_PREFILL_RANGE.0);
        let huge = FeedPlan::for_demand(Demand::Timed(Duration::from_secs(100_000)), None);
        assert_eq!(huge.prefill, TIMED_PREFILL_RANGE.1);
        let forced = FeedPlan::for_demand(Demand::Timed(Duration::from_secs(60)), Some(7));
        assert_eq!(forced.prefill, 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn fills_to_high_water_then_pauses_and_yields_unique_entries() {
        let pool = Arc::new(KeyPool::generate(4).unwrap());
        let feed = EntryFeed::start(
            pool,
            FeedConfig {
                high_water: 200,
                low_water: 50,
                threads: 2,
            },
        );
        feed.wait_queued(200, |_| {}).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let g = feed.generated();
        assert!((200..=202).contains(&g), "stops near high water, got {g}");

        // Taking 100 leaves 100 >= low water: no generation.
        let mut seen = HashSet::new();
        for _ in 0..100 {
            assert!(seen.insert(feed.next().await.unwrap()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(feed.generated(), g, "paused above low water");

        // Draining below low water resumes generation up to high water again.
        for _ in 0..60 {
            assert!(seen.insert(feed.next().await.unwrap()));
        }
        feed.wait_queued(200, |_| {}).await;
        assert!(feed.generated() >= g + 150);
        for _ in 0..150 {
            assert!(
                seen.insert(feed.next().await.unwrap()),
                "entries are unique"
            );
        }
        assert!(!feed.failed());
        feed.shutdown();
    }
}
