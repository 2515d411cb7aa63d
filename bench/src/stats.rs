//! Per-task counters and latency histograms, merged at the end of a run.
//!
//! Closed-loop and read workers each own one [`Stats`] (nothing locked on the hot path);
//! the open loop's thousands of senders share one behind a mutex.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest latency the histogram tracks: one hour, in microseconds.
const MAX_TRACKABLE_US: u64 = 3_600_000_000;

/// Why a request produced no HTTP response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client timeout elapsed.
    Timeout,
    /// The TCP connection could not be made.
    Connect,
    /// The response body could not be read to the end.
    Body,
    /// Anything else reported by the HTTP client.
    Other,
}

impl ErrorKind {
    /// Classifies a client error.
    pub fn of(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_connect() {
            Self::Connect
        } else if e.is_body() || e.is_decode() {
            Self::Body
        } else {
            Self::Other
        }
    }
}

/// What one request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The expected status and, where checked, a well-formed body.
    Ok,
    /// The expected status but a body that failed the workload's check.
    Invalid,
    /// Some other HTTP status.
    Status(u16),
    /// No HTTP response.
    Error(ErrorKind),
}

/// Failure to build a histogram (only on impossible bounds).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// hdrhistogram refused the bounds.
    #[error("histogram creation failed: {0}")]
    Histogram(#[from] hdrhistogram::CreationError),
    /// Histograms with different bounds cannot be merged.
    #[error("histogram merge failed: {0}")]
    Merge(#[from] hdrhistogram::AdditionError),
}

/// Counters for one worker (or, after [`Stats::merge`], for a whole run).
#[derive(Clone, Debug)]
pub struct Stats {
    /// Latency of every request that got an HTTP response, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Requests sent (or due to be sent, for [`Stats::not_sent`]) in the measured window.
    pub sent: u64,
    /// [`Outcome::Ok`] count.
    pub ok: u64,
    /// [`Outcome::Invalid`] count.
    pub invalid: u64,
    /// Other statuses, by code.
    pub statuses: BTreeMap<u16, u64>,
    /// Transport errors, by kind.
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Open loop only: sends that were scheduled in the window but never issued because
    /// the client's backlog was still not drained at the drain deadline.
    pub not_sent: u64,
}

impl Stats {
    /// Empty counters with a 1 µs .. 1 h histogram at 3 significant digits.
    ///
    /// # Errors
    /// [`StatsError::Histogram`] (not expected with these constant bounds).
    pub fn new() -> Result<Self, StatsError> {
        Ok(Self {
            latency_us: Histogram::new_with_bounds(1, MAX_TRACKABLE_US, 3)?,
            sent: 0,
            ok: 0,
            invalid: 0,
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
            not_sent: 0,
        })
    }

    /// Records one request and, if it got a response, its latency.
    pub fn record(&mut self, outcome: Outcome, latency: Duration) {
        self.sent += 1;
        let responded = match outcome {
            Outcome::Ok => {
                self.ok += 1;
                true
            }
            Outcome::Invalid => {
                self.invalid += 1;
                true
            }
            Outcome::Status(code) => {
                *self.statuses.entry(code).or_insert(0) += 1;
                true
            }
            Outcome::Error(kind) => {
                *self.errors.entry(kind).or_insert(0) += 1;
                false
            }
        };
        if responded {
            let us = u64::try_from(latency.as_micros())
                .unwrap_or(u64::MAX)
                .max(1);
            self.latency_us.saturating_record(us);
        }
    }

    /// Records a scheduled send that was dropped at the drain deadline.
    pub fn record_not_sent(&mut self) {
        self.sent += 1;
        self.not_sent += 1;
    }

    /// Adds `other` into `self`.
    ///
    /// # Errors
    /// [`StatsError::Merge`] if the histograms' bounds differ (not possible via `new`).
    pub fn merge(&mut self, other: &Self) -> Result<(), StatsError> {
        self.latency_us.add(&other.latency_us)?;
        self.sent += other.sent;
        self.ok += other.ok;
        self.invalid += other.invalid;
        self.not_sent += other.not_sent;
        for (k, v) in &other.statuses {
            *self.statuses.entry(*k).or_insert(0) += v;
        }
        for (k, v) in &other.errors {
            *self.errors.entry(*k).or_insert(0) += v;
        }
        Ok(())
    }

    /// Requests that did not end as [`Outcome::Ok`].
    pub fn failures(&self) -> u64 {
        self.sent - self.ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_and_merge_count_every_outcome() {
        let mut a = Stats::new().unwrap();
        for ms in 1..=100u64 {
            a.record(Outcome::Ok, Duration::from_millis(ms));
        }
        a.record(Outcome::Status(409), Duration::from_millis(5));
        a.record(Outcome::Error(ErrorKind::Timeout), Duration::from_secs(30));
        let mut b = Stats::new().unwrap();
        b.record(Outcome::Status(409), Duration::from_millis(1));
        b.record(Outcome::Status(500), Duration::from_millis(1));
        b.record(Outcome::Invalid, Duration::from_millis(1));
        b.record_not_sent();
        a.merge(&b).unwrap();

        assert_eq!(a.sent, 106);
        assert_eq!(a.ok, 100);
        assert_eq!(a.failures(), 6);
        assert_eq!(a.invalid, 1);
        assert_eq!(a.not_sent, 1);
        assert_eq!(a.statuses.get(&409), Some(&2));
        assert_eq!(a.statuses.get(&500), Some(&1));
        assert_eq!(a.errors.get(&ErrorKind::Timeout), Some(&1));
        // The timed-out request has no latency sample; the not-sent one neither.
        assert_eq!(a.latency_us.len(), 104);
        let p50 = a.latency_us.value_at_quantile(0.5);
        assert!((47_000..=53_000).contains(&p50), "p50 {p50}");
        assert!(a.latency_us.max() >= 99_900 && a.latency_us.max() <= 100_100);
    }

    #[test]
    fn sub_microsecond_and_huge_latencies_are_clamped() {
        let mut s = Stats::new().unwrap();
        s.record(Outcome::Ok, Duration::from_nanos(10));
        s.record(Outcome::Ok, Duration::from_secs(10 * 3600));
        assert_eq!(s.latency_us.min(), 1);
        assert!(s.latency_us.max() >= MAX_TRACKABLE_US - MAX_TRACKABLE_US / 1000);
    }
}
