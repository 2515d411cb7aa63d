//! Timing: the warm-up/measurement window and the open-loop send schedule.

use std::time::{Duration, Instant};

/// Bad open-loop parameters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The rate must be a finite number above zero.
    #[error("rate must be finite and > 0, got {rate}")]
    Rate {
        /// The rejected rate.
        rate: f64,
    },
}

/// `[start, measure_from)` is warm-up; `[measure_from, end)` is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// When the run started.
    pub start: Instant,
    /// End of warm-up.
    pub measure_from: Instant,
    /// No new request starts (closed loop) or is scheduled (open loop) at or after this;
    /// `None` = no time limit (closed loop with a request count).
    pub end: Option<Instant>,
}

impl Window {
    /// A window starting at `start`.
    pub fn new(start: Instant, warmup: Duration, duration: Option<Duration>) -> Self {
        let measure_from = start + warmup;
        Self {
            start,
            measure_from,
            end: duration.map(|d| measure_from + d),
        }
    }

    /// True if a request started (or scheduled) at `t` belongs to the measurement.
    pub fn measured(&self, t: Instant) -> bool {
        t >= self.measure_from && self.end.is_none_or(|e| t < e)
    }

    /// True if no request may start at `t`.
    pub fn over(&self, t: Instant) -> bool {
        self.end.is_some_and(|e| t >= e)
    }

    /// Measured wall time given the last measured completion: from the end of warm-up
    /// to the later of the window end and that completion.
    pub fn measured_span(&self, last_done: Option<Instant>) -> Duration {
        let until = match (self.end, last_done) {
            (Some(e), Some(d)) => e.max(d),
            (Some(e), None) => e,
            (None, Some(d)) => d,
            (None, None) => self.measure_from,
        };
        until.saturating_duration_since(self.measure_from)
    }
}

/// Fixed-interval send times for an open-loop run: send `i` is due at `i / rate`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenSchedule {
    rate: f64,
}

impl OpenSchedule {
    /// A schedule of `rate` sends per second.
    ///
    /// # Errors
    /// [`ScheduleError::Rate`] unless `rate` is finite and positive.
    pub fn new(rate: f64) -> Result<Self, ScheduleError> {
        if rate.is_finite() && rate > 0.0 {
            Ok(Self { rate })
        } else {
            Err(ScheduleError::Rate { rate })
        }
    }

    /// Offset of send `i` from the start of the run. Computed from `i` rather than
    /// accumulated, so rounding never drifts.
    pub fn offset(&self, i: u64) -> Duration {
        Duration::from_secs_f64(i as f64 / self.rate)
    }

    /// How many sends fall strictly before `d`.
    pub fn sends_before(&self, d: Duration) -> u64 {
        (d.as_secs_f64() * self.rate).ceil() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_schedule_spacing() {
        let s = OpenSchedule::new(2000.0).unwrap();
        assert_eq!(s.offset(0), Duration::ZERO);
        assert_eq!(s.offset(1), Duration::from_micros(500));
        assert_eq!(s.offset(2000), Duration::from_secs(1));
        assert_eq!(s.offset(120_000), Duration::from_secs(60));
        assert_eq!(s.sends_before(Duration::from_secs(60)), 120_000);
        // Every counted send is before d, and the next one is not.
        let s = OpenSchedule::new(7.0).unwrap();
        let d = Duration::from_millis(1500);
        let n = s.sends_before(d);
        assert_eq!(n, 11);
        assert!(s.offset(n - 1) < d && s.offset(n) >= d);
        for i in 0..100 {
            assert!(s.offset(i) < s.offset(i + 1));
        }
    }

    #[test]
    fn bad_rates() {
        for r in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(OpenSchedule::new(r).is_err(), "{r}");
        }
    }

    #[test]
    fn window_bounds() {
        let t0 = Instant::now();
        let w = Window::new(t0, Duration::from_secs(2), Some(Duration::from_secs(10)));
        assert!(!w.measured(t0));
        assert!(!w.measured(t0 + Duration::from_millis(1999)));
        assert!(w.measured(t0 + Duration::from_secs(2)));
        assert!(w.measured(t0 + Duration::from_millis(11_999)));
        assert!(!w.measured(t0 + Duration::from_secs(12)));
        assert!(w.over(t0 + Duration::from_secs(12)));
        assert!(!w.over(t0 + Duration::from_secs(11)));
        assert_eq!(w.measured_span(None), Duration::from_secs(10));
        assert_eq!(
            w.measured_span(Some(t0 + Duration::from_secs(13))),
            Duration::from_secs(11)
        );
        assert_eq!(
            w.measured_span(Some(t0 + Duration::from_secs(5))),
            Duration::from_secs(10)
        );
        let open = Window::new(t0, Duration::ZERO, None);
        assert!(!open.over(t0 + Duration::from_secs(1_000_000)));
        assert!(open.measured(t0 + Duration::from_secs(1_000_000)));
        assert_eq!(
            open.measured_span(Some(t0 + Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }
}
