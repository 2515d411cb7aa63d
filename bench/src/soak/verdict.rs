//! The verdict over a soak's time series: pure functions, no I/O.
//!
//! A resource is *flat* when, over the samples after the warm-up, both
//!
//! * the median of the last comparison window exceeds the median of the first by no more
//!   than the allowance, and
//! * the least-squares slope, projected over the judged span, stays within the same
//!   allowance
//!
//! (the first catches a late jump, the second a steady creep hidden by noise at the ends).
//! The allowance is `percent × first + MiB` for the resident set, a fixed count for file
//! descriptors. Besides flatness the run must be complete, free of failed requests, and
//! each stream must have achieved its target rate.

use serde::{Deserialize, Serialize};

/// What the verdict tolerates.
#[derive(clap::Args, Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// RSS growth allowed after the warm-up: this percentage of the post-warm-up RSS...
    #[arg(long, default_value_t = 10.0)]
    pub rss_growth_percent: f64,
    /// ...plus this many MiB.
    #[arg(long, default_value_t = 8.0)]
    pub rss_growth_mib: f64,
    /// Growth allowed in the server's non-socket file descriptors (files, pipes, epoll).
    #[arg(long, default_value_t = 8)]
    pub fd_tolerance: u64,
    /// Growth allowed in the server's sockets not matched by the load generator's
    /// connections (the listener, its own JWKS fetches, connections being torn down).
    #[arg(long, default_value_t = 16)]
    pub socket_tolerance: u64,
    /// Length of the first and last windows whose medians are compared (`60s`, `2m`).
    #[arg(long = "compare-window", value_parser = seconds, default_value = "60s")]
    pub compare_window_s: f64,
    /// Each stream must achieve at least this fraction of its target rate.
    #[arg(long, default_value_t = 0.95)]
    pub min_rate_fraction: f64,
}

/// A `--compare-window` duration in seconds.
fn seconds(text: &str) -> Result<f64, String> {
    super::duration::parse(text).map(|d| d.as_secs_f64())
}

/// One sample of a resource: seconds since the soak started, value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Seconds since the soak started.
    pub t_s: f64,
    /// The resource (KiB, or a count).
    pub value: f64,
}

/// How a series moved between the end of the warm-up and the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Growth {
    /// Samples judged.
    pub samples: usize,
    /// Seconds from the first judged sample to the last.
    pub span_s: f64,
    /// Median of the first comparison window.
    pub first: f64,
    /// Median of the last comparison window.
    pub last: f64,
    /// `last − first`.
    pub growth: f64,
    /// Least-squares slope, per hour.
    pub slope_per_hour: f64,
    /// The slope over the judged span.
    pub projected: f64,
    /// The allowance both are compared with.
    pub allowed: f64,
    /// Lowest and highest value judged.
    pub min: f64,
    /// Highest value judged.
    pub max: f64,
}

impl Growth {
    /// True if neither the end-to-end growth nor the projected slope exceeds the allowance.
    pub fn flat(&self) -> bool {
        self.growth <= self.allowed && self.projected <= self.allowed
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Least-squares slope of `value` over `t_s` (per second); 0 for fewer than two distinct
/// times.
pub fn slope(points: &[Point]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mt = points.iter().map(|p| p.t_s).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.value).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for p in points {
        num += (p.t_s - mt) * (p.value - mv);
        den += (p.t_s - mt) * (p.t_s - mt);
    }
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// The growth of `points` (sorted by time) with comparison windows of `window_s` (at
/// most a third of the span each), and the allowance `allowed(first)`; `None` with fewer
/// than three samples.
pub fn growth(points: &[Point], window_s: f64, allowed: impl Fn(f64) -> f64) -> Option<Growth> {
    if points.len() < 3 {
        return None;
    }
    let (t0, t1) = (points[0].t_s, points[points.len() - 1].t_s);
    // The two windows never overlap: at most a third of the span each.
    let window_s = window_s.min((t1 - t0) / 3.0);
    let pick = |keep: &dyn Fn(f64) -> bool| -> Vec<f64> {
        points
            .iter()
            .filter(|p| keep(p.t_s))
            .map(|p| p.value)
            .collect()
    };
    let first = median(pick(&|t| t <= t0 + window_s));
    let last = median(pick(&|t| t >= t1 - window_s));
    let per_s = slope(points);
    let span_s = t1 - t0;
    let values = points.iter().map(|p| p.value);
    Some(Growth {
        samples: points.len(),
        span_s,
        first,
        last,
        growth: last - first,
        slope_per_hour: per_s * 3600.0,
        projected: per_s * span_s,
        allowed: allowed(first),
        min: values.clone().fold(f64::INFINITY, f64::min),
        max: values.fold(f64::NEG_INFINITY, f64::max),
    })
}

/// Failed requests over the whole run, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// 5xx answers.
    pub status_5xx: u64,
    /// Any other unexpected status (4xx, 3xx, a 200 where 201 was due...).
    pub status_other: u64,
    /// The expected status with a body that failed its check.
    pub invalid: u64,
    /// No answer: connect, timeout, body, other transport errors.
    pub transport: u64,
}

impl Failures {
    /// Every failed request.
    pub fn total(&self) -> u64 {
        self.status_5xx + self.status_other + self.invalid + self.transport
    }
}

/// A stream's target and what it achieved over the judged part of the soak.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateEvidence {
    /// Stream name.
    pub stream: String,
    /// Scheduled requests per second.
    pub target_per_s: f64,
    /// Successful requests per second.
    pub achieved_per_s: f64,
}

/// How the run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "ended")]
pub enum Completion {
    /// It ran for the whole duration.
    Completed,
    /// SIGINT/SIGTERM stopped it.
    Interrupted {
        /// Seconds of soak done.
        at_s: f64,
    },
    /// The server process disappeared.
    ServerExited {
        /// Seconds of soak done.
        at_s: f64,
    },
}

/// Everything the verdict looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// The server's VmRSS after the warm-up, KiB.
    pub rss_kib: Vec<Point>,
    /// The server's non-socket fds after the warm-up.
    pub other_fds: Vec<Point>,
    /// The server's sockets minus the load generator's, after the warm-up.
    pub unmatched_sockets: Vec<Point>,
    /// Failed requests, all phases.
    pub failures: Failures,
    /// Per-stream rates.
    pub rates: Vec<RateEvidence>,
    /// How the run ended.
    pub completion: Completion,
}

/// One named check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Short name (`rss`, `fds`, `sockets`, `errors`, `rate.sign`, ...).
    pub name: String,
    /// Passed?
    pub pass: bool,
    /// One line for people.
    pub detail: String,
    /// The numbers behind a flatness check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<Growth>,
}

/// All checks; the run passes only if every one does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Every check passed.
    pub pass: bool,
    /// The checks, in a fixed order.
    pub checks: Vec<Check>,
}

const KIB_PER_MIB: f64 = 1024.0;

fn flat_check(
    name: &str,
    points: &[Point],
    window_s: f64,
    allowed: impl Fn(f64) -> f64,
    show: impl Fn(f64) -> String,
) -> Check {
    match growth(points, window_s, allowed) {
        None => Check {
            name: name.to_owned(),
            pass: false,
            detail: format!(
                "only {} samples after the warm-up: at least 3 needed",
                points.len()
            ),
            growth: None,
        },
        Some(g) => Check {
            name: name.to_owned(),
            pass: g.flat(),
            detail: format!(
                "{} -> {} (growth {}, slope {}/h = {} over {:.0} s; allowed {}; range {}..{})",
                show(g.first),
                show(g.last),
                show(g.growth),
                show(g.slope_per_hour),
                show(g.projected),
                g.span_s,
                show(g.allowed),
                show(g.min),
                show(g.max),
            ),
            growth: Some(g),
        },
    }
}

/// Judges `evidence` against `bounds`.
pub fn judge(evidence: &Evidence, bounds: &Bounds) -> Verdict {
    let mut checks = Vec::new();
    let (done, detail) = match evidence.completion {
        Completion::Completed => (true, "ran for the whole duration".to_owned()),
        Completion::Interrupted { at_s } => (false, format!("interrupted after {at_s:.0} s")),
        Completion::ServerExited { at_s } => (
            false,
            format!("the server process exited after {at_s:.0} s"),
        ),
    };
    checks.push(Check {
        name: "completed".to_owned(),
        pass: done,
        detail,
        growth: None,
    });
    let mib = |kib: f64| format!("{:.1} MiB", kib / KIB_PER_MIB);
    let (pct, extra) = (bounds.rss_growth_percent, bounds.rss_growth_mib);
    checks.push(flat_check(
        "rss",
        &evidence.rss_kib,
        bounds.compare_window_s,
        |first| first * pct / 100.0 + extra * KIB_PER_MIB,
        mib,
    ));
    let count = |v: f64| format!("{v:.1}");
    let fd_tol = bounds.fd_tolerance as f64;
    checks.push(flat_check(
        "fds",
        &evidence.other_fds,
        bounds.compare_window_s,
        |_| fd_tol,
        count,
    ));
    let sock_tol = bounds.socket_tolerance as f64;
    checks.push(flat_check(
        "sockets",
        &evidence.unmatched_sockets,
        bounds.compare_window_s,
        |_| sock_tol,
        count,
    ));
    let f = &evidence.failures;
    checks.push(Check {
        name: "errors".to_owned(),
        pass: f.total() == 0,
        detail: format!(
            "{} failed requests: 5xx {}, other status {}, invalid body {}, transport {}",
            f.total(),
            f.status_5xx,
            f.status_other,
            f.invalid,
            f.transport
        ),
        growth: None,
    });
    for r in &evidence.rates {
        let floor = bounds.min_rate_fraction * r.target_per_s;
        checks.push(Check {
            name: format!("rate.{}", r.stream),
            pass: r.achieved_per_s >= floor,
            detail: format!(
                "{:.1}/s of {:.1}/s target ({:.1} %; at least {:.0} % needed)",
                r.achieved_per_s,
                r.target_per_s,
                if r.target_per_s > 0.0 {
                    100.0 * r.achieved_per_s / r.target_per_s
                } else {
                    0.0
                },
                100.0 * bounds.min_rate_fraction
            ),
            growth: None,
        });
    }
    Verdict {
        pass: checks.iter().all(|c| c.pass),
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> Bounds {
        Bounds {
            rss_growth_percent: 10.0,
            rss_growth_mib: 8.0,
            fd_tolerance: 8,
            socket_tolerance: 16,
            compare_window_s: 60.0,
            min_rate_fraction: 0.95,
        }
    }

    /// One sample every 10 s for `minutes`, value `f(t)`.
    fn series(minutes: u32, f: impl Fn(f64) -> f64) -> Vec<Point> {
        (0..=minutes * 6)
            .map(|i| {
                let t_s = f64::from(i) * 10.0;
                Point { t_s, value: f(t_s) }
            })
            .collect()
    }

    fn evidence(rss: Vec<Point>) -> Evidence {
        Evidence {
            other_fds: series(24, |_| 20.0),
            unmatched_sockets: series(24, |t| 3.0 + (t / 10.0) % 2.0),
            rss_kib: rss,
            failures: Failures::default(),
            rates: vec![RateEvidence {
                stream: "sign".to_owned(),
                target_per_s: 100.0,
                achieved_per_s: 99.9,
            }],
            completion: Completion::Completed,
        }
    }

    fn check<'a>(v: &'a Verdict, name: &str) -> &'a Check {
        v.checks.iter().find(|c| c.name == name).unwrap()
    }

    const BASE: f64 = 200.0 * 1024.0; // 200 MiB in KiB

    #[test]
    fn a_flat_noisy_series_passes() {
        // ±3 MiB of saw-tooth noise around 200 MiB.
        let rss = series(24, |t| BASE + ((t / 10.0) % 7.0 - 3.0) * 1024.0);
        let v = judge(&evidence(rss), &bounds());
        assert!(v.pass, "{v:#?}");
        let g = check(&v, "rss").growth.clone().unwrap();
        assert_eq!(g.samples, 24 * 6 + 1);
        assert!(g.slope_per_hour.abs() < 2.0 * 1024.0, "{g:?}");
    }

    #[test]
    fn a_steady_leak_fails_on_both_measures() {
        // +1 MiB per minute: 24 MiB over 24 minutes against 200 × 10 % + 8 = 28 MiB ...
        let slow = series(24, |t| BASE + t / 60.0 * 1024.0);
        assert!(judge(&evidence(slow), &bounds()).pass);
        // ... but +2 MiB per minute (48 MiB) is a leak.
        let leak = series(24, |t| BASE + t / 60.0 * 2048.0);
        let v = judge(&evidence(leak), &bounds());
        assert!(!v.pass);
        let g = check(&v, "rss").growth.clone().unwrap();
        assert!(!check(&v, "rss").pass);
        assert!((g.slope_per_hour - 120.0 * 1024.0).abs() < 1.0, "{g:?}");
        assert!((g.growth - 46.0 * 1024.0).abs() < 1.0, "{g:?}");
        assert!(g.projected > g.allowed && g.growth > g.allowed);
        assert!(check(&v, "fds").pass && check(&v, "errors").pass);
    }

    #[test]
    fn a_late_jump_fails_the_end_comparison_even_with_a_small_slope() {
        // Flat, then +40 MiB for the last 90 s.
        let rss = series(24, |t| {
            if t > 1350.0 {
                BASE + 40.0 * 1024.0
            } else {
                BASE
            }
        });
        let v = judge(&evidence(rss), &bounds());
        let g = check(&v, "rss").growth.clone().unwrap();
        assert!(g.growth > g.allowed, "{g:?}");
        assert!(
            g.projected < g.allowed,
            "the fit alone would miss it: {g:?}"
        );
        assert!(!v.pass);
    }

    #[test]
    fn a_single_spike_in_the_middle_is_not_growth() {
        let rss = series(24, |t| if t == 700.0 { BASE * 3.0 } else { BASE });
        assert!(judge(&evidence(rss), &bounds()).pass);
    }

    #[test]
    fn fd_and_socket_leaks_fail() {
        let flat = series(24, |_| BASE);
        let mut e = evidence(flat.clone());
        e.other_fds = series(24, |t| 20.0 + (t / 120.0).floor()); // one fd leaked every 2 min
        let v = judge(&e, &bounds());
        assert!(!check(&v, "fds").pass && !v.pass);
        let mut e = evidence(flat);
        e.unmatched_sockets = series(24, |t| 3.0 + t / 60.0);
        let v = judge(&e, &bounds());
        assert!(!check(&v, "sockets").pass && check(&v, "fds").pass);
    }

    #[test]
    fn errors_rates_and_completion_fail_the_run() {
        let flat = series(24, |_| BASE);
        let mut e = evidence(flat.clone());
        e.failures.status_5xx = 1;
        let v = judge(&e, &bounds());
        assert!(!check(&v, "errors").pass && !v.pass);
        assert!(check(&v, "errors").detail.contains("5xx 1"));

        let mut e = evidence(flat.clone());
        e.rates[0].achieved_per_s = 90.0;
        let v = judge(&e, &bounds());
        assert!(!check(&v, "rate.sign").pass && !v.pass);

        let mut e = evidence(flat.clone());
        e.completion = Completion::ServerExited { at_s: 42.0 };
        assert!(!judge(&e, &bounds()).pass);

        let mut e = evidence(flat[..2].to_vec());
        e.rss_kib.truncate(2);
        let v = judge(&e, &bounds());
        assert!(!check(&v, "rss").pass, "too few samples is not a pass");
    }

    #[test]
    fn a_window_longer_than_the_run_is_shortened() {
        // Five minutes of samples judged with the default 60 s window, then with a window
        // longer than the run: the end comparison must still see the growth.
        let leak = series(5, |t| BASE + t * 200.0);
        let mut b = bounds();
        b.compare_window_s = 3600.0;
        let g = check(&judge(&evidence(leak.clone()), &b), "rss")
            .growth
            .clone()
            .unwrap();
        assert!(g.growth > 0.5 * 300.0 * 200.0, "{g:?}");
        assert!(!judge(&evidence(leak), &b).pass);
    }

    #[test]
    fn slope_and_median_basics() {
        let pts: Vec<Point> = (0..5)
            .map(|i| Point {
                t_s: f64::from(i),
                value: 3.0 * f64::from(i) + 1.0,
            })
            .collect();
        assert!((slope(&pts) - 3.0).abs() < 1e-12);
        assert_eq!(slope(&pts[..1]), 0.0);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
