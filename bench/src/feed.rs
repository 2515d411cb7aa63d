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
