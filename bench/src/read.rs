//! Proof-serving workloads (PROTOCOL.md §4.4): inclusion proofs via
//! `GET /api/v1/log/entries?logIndex=N`, consistency proofs via
//! `GET /api/v1/log/proof?firstSize=A&lastSize=B`, at random valid parameters.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng as _};

use crate::drive::RunResult;
use crate::http::{check_consistency, check_inclusion, LogClient};
use crate::schedule::Window;
use crate::stats::{Outcome, Stats};

/// Which proofs to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum ReadKind {
    /// Entry + inclusion proof by log index.
    Inclusion,
    /// Consistency proof between two tree sizes.
    Consistency,
    /// Each request picks one of the two at random.
    Mixed,
}

impl ReadKind {
    /// Name used in reports.
    pub fn workload(self) -> &'static str {
        match self {
            Self::Inclusion => "read-inclusion",
            Self::Consistency => "read-consistency",
            Self::Mixed => "read-mixed",
        }
    }
}

/// Read-loop parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLoop {
    /// Which proofs.
    pub kind: ReadKind,
    /// Concurrent tasks, each sending back-to-back.
    pub concurrency: usize,
    /// Warm-up excluded from the stats.
    pub warmup: Duration,
    /// Measured duration.
    pub duration: Duration,
    /// Tree size the parameters are drawn within (must be ≥ 1).
    pub tree_size: u64,
}

/// A uniformly random existing leaf index, `0 ≤ i < tree_size` (`tree_size ≥ 1`).
pub fn pick_index(rng: &mut impl Rng, tree_size: u64) -> u64 {
    rng.gen_range(0..tree_size.max(1))
}

/// A random valid consistency pair `1 ≤ first ≤ last ≤ tree_size` (PROTOCOL.md §4.4:
/// firstSize ≥ 1, firstSize ≤ lastSize ≤ tree size).
pub fn pick_pair(rng: &mut impl Rng, tree_size: u64) -> (u64, u64) {
    let size = tree_size.max(1);
    let first = rng.gen_range(1..=size);
    let last = rng.gen_range(first..=size);
    (first, last)
}

/// Runs a closed read loop.
///
/// # Errors
/// An empty tree, or a worker task failure.
pub async fn run_read(client: Arc<LogClient>, cfg: ReadLoop) -> anyhow::Result<RunResult> {
    anyhow::ensure!(
        cfg.tree_size >= 1,
        "the log is empty: append entries before reading proofs"
    );
    let window = Window::new(Instant::now(), cfg.warmup, Some(cfg.duration));
    let handles: Vec<_> = (0..cfg.concurrency.max(1))
        .map(|_| {
            let client = Arc::clone(&client);
            tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::from_entropy();
                let mut url = String::with_capacity(128);
                let mut stats = Stats::new()?;
                let mut ok = 0u64;
                let mut last_done = None;
                loop {
                    let started = Instant::now();
                    if window.over(started) {
                        break;
                    }
                    let inclusion = match cfg.kind {
                        ReadKind::Inclusion => true,
                        ReadKind::Consistency => false,
                        ReadKind::Mixed => rng.gen_bool(0.5),
                    };
                    let outcome = if inclusion {
                        let index = pick_index(&mut rng, cfg.tree_size);
                        client.inclusion_url(&mut url, index);
                        client
                            .get_checked(&url, |b| check_inclusion(b, index))
                            .await
                    } else {
                        let (first, last) = pick_pair(&mut rng, cfg.tree_size);
                        client.consistency_url(&mut url, first, last);
                        client.get_checked(&url, check_consistency).await
                    };
                    let done = Instant::now();
                    ok += u64::from(outcome == Outcome::Ok);
                    if window.measured(started) {
                        stats.record(outcome, done - started);
                        last_done = Some(done);
                    }
                }
                anyhow::Ok((stats, ok, last_done))
            })
        })
        .collect();
    let mut stats = Stats::new()?;
    let mut last_done: Option<Instant> = None;
    let mut ok_total = 0u64;
    for h in handles {
        let (s, ok, done) = h.await??;
        stats.merge(&s)?;
        ok_total += ok;
        last_done = last_done.max(done);
    }
    Ok(RunResult {
        stats,
        measured: window.measured_span(last_done),
        ok_including_warmup: ok_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_stay_in_range_and_cover_it() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let size = 10;
        let mut seen_idx = [false; 10];
        let mut seen_first_one = false;
        let mut seen_full = false;
        for _ in 0..10_000 {
            let i = pick_index(&mut rng, size);
            assert!(i < size);
            seen_idx[i as usize] = true;
            let (a, b) = pick_pair(&mut rng, size);
            assert!(1 <= a && a <= b && b <= size, "({a},{b})");
            seen_first_one |= a == 1;
            seen_full |= b == size;
        }
        assert!(seen_idx.iter().all(|s| *s), "every index is drawn");
        assert!(seen_first_one && seen_full);
        assert_eq!(pick_pair(&mut rng, 1), (1, 1));
        assert_eq!(pick_index(&mut rng, 1), 0);
    }
}
