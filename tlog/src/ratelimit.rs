//! Keyed rate limits (GCRA, `governor`): per signing identity in the log and the CA, per
//! client address at the HTTP edge. A refused request learns how long to wait, which the
//! HTTP layer sends as `429 Too Many Requests` with `Retry-After` (RFC 9110 §10.2.3).
//!
//! Memory stays bounded under key churn: every [`RETAIN_EVERY`] checks, keys whose bucket
//! is full again (idle for a whole period) are dropped, so the table holds only keys
//! active within the last period.

use std::{
    fmt,
    hash::Hash,
    num::NonZeroU32,
    str::FromStr,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};

/// Checks between two sweeps of idle keys.
pub const RETAIN_EVERY: u64 = 4096;

/// A rate: `count` requests per `period`, with bursts of up to `count`. Written
/// `<count>/<s|m|h>` (e.g. `20/s`, `600/m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per period (and the burst size).
    pub count: NonZeroU32,
    /// The period.
    pub period: Duration,
}

/// A rate that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid rate {text:?}: expected <count>/<s|m|h> with count ≥ 1, e.g. 20/s or 600/m")]
pub struct RateParseError {
    /// The text given.
    pub text: String,
}

impl FromStr for Rate {
    type Err = RateParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || RateParseError {
            text: text.to_owned(),
        };
        let (count, unit) = text.split_once('/').ok_or_else(err)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| err())?;
        let period = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(err()),
        };
        Ok(Rate { count, period })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period.as_secs() {
            1 => "s",
            60 => "m",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// A refused request: how long until the key may try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds for the `Retry-After` header, rounded up and at least 1.
    #[must_use]
    pub fn header_secs(self) -> u64 {
        let secs = self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// One rate limit, applied separately to every key.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    rate: Rate,
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> fmt::Debug for KeyedLimit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimit")
            .field("rate", &self.rate)
            .field("keys", &self.limiter.len())
            .finish()
    }
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// A limit of `rate` per key.
    #[must_use]
    pub fn new(rate: Rate) -> Self {
        // GCRA: one cell every period/count, bursts of count. `with_period` rejects only a
        // zero interval, which a non-zero count over ≥ 1 s cannot produce; fall back to
        // per-second just in case rather than panic.
        let interval = rate.period / rate.count.get();
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(rate.count))
            .allow_burst(rate.count);
        Self {
            rate,
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    /// The configured rate.
    #[must_use]
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Takes one request for `key`, or says how long to wait.
    ///
    /// # Errors
    /// [`RetryAfter`] when `key` has used its rate.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            RetryAfter(not_until.wait_time_from(governor::clock::DefaultClock::default().now()))
        })
    }

    /// Keys currently tracked (for tests and metrics).
    #[must_use]
    pub fn tracked_keys(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let r: Rate = "20/s".parse().unwrap();
        assert_eq!(r.count.get(), 20);
        assert_eq!(r.period, Duration::from_secs(1));
        assert_eq!(r.to_string(), "20/s");
        assert_eq!(
            "600/m".parse::<Rate>().unwrap().period,
            Duration::from_secs(60)
        );
        assert_eq!("1/h".parse::<Rate>().unwrap().to_string(), "1/h");
        for bad in ["", "0/s", "-1/s", "10", "10/d", "x/s", "10/"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn a_key_gets_its_burst_then_waits_and_other_keys_are_independent() {
        let limit = KeyedLimit::new("3/m".parse().unwrap());
        for _ in 0..3 {
            limit.check(&"alice").unwrap();
        }
        let wait = limit.check(&"alice").unwrap_err();
        // One cell every 20 s.
        assert!(wait.0 > Duration::from_secs(15) && wait.0 <= Duration::from_secs(20));
        assert!((16..=20).contains(&wait.header_secs()));
        limit.check(&"bob").unwrap();
    }

    #[test]
    fn retry_after_rounds_up_to_at_least_one_second() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).header_secs(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1500)).header_secs(), 2);
        assert_eq!(RetryAfter(Duration::from_secs(3)).header_secs(), 3);
        assert_eq!(RetryAfter(Duration::ZERO).header_secs(), 1);
    }

    #[test]
    fn idle_keys_are_swept() {
        let limit = KeyedLimit::new("1000/s".parse().unwrap());
        for i in 0..RETAIN_EVERY - 1 {
            limit.check(&i).unwrap();
        }
        assert_eq!(limit.tracked_keys() as u64, RETAIN_EVERY - 1);
        std::thread::sleep(Duration::from_millis(100));
        limit.check(&u64::MAX).unwrap();
        assert!(
            limit.tracked_keys() <= 1,
            "{} keys kept",
            limit.tracked_keys()
        );
    }
}
