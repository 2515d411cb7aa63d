//! The saved record of a soak: one [`Sample`] per window, the per-phase totals, the
//! verdict; and the [`Evidence`] a verdict is computed from, derived from a record (so a
//! saved run can be judged again with other bounds).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use signet_bench::report::{Report, RunInfo};
use signet_bench::stats::{Stats, StatsError};

use super::record::{stream_stats, Op, OpStats, Phase, Stream};
use super::verdict::{Bounds, Completion, Evidence, Failures, Point, RateEvidence, Verdict};

/// Scheduled requests per second of each stream.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Signings (certificate + entry) per second.
    pub sign: f64,
    /// Plain appends per second.
    pub append: f64,
    /// Reads per second.
    pub read: f64,
}

impl Rates {
    /// The rate of `stream`.
    pub fn get(&self, stream: Stream) -> f64 {
        match stream {
            Stream::Sign => self.sign,
            Stream::Append => self.append,
            Stream::Read => self.read,
        }
    }

    /// All streams together.
    pub fn total(&self) -> f64 {
        self.sign + self.append + self.read
    }
}

/// One stream over one sampling window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamWindow {
    /// The stream.
    pub stream: Stream,
    /// Its scheduled rate, during the soak.
    pub target_per_s: Option<f64>,
    /// Requests sent (or dropped as too late).
    pub sent: u64,
    /// Successes.
    pub ok: u64,
    /// Successes per second of window.
    pub ok_per_s: f64,
    /// Failures: unexpected status, invalid body, transport error.
    pub failed: u64,
    /// Of which 5xx.
    pub status_5xx: u64,
    /// Scheduled but dropped because the client was too far behind.
    pub not_sent: u64,
    /// Latency percentiles, µs (from the scheduled time during the soak).
    pub p50_us: Option<u64>,
    /// 99th percentile.
    pub p99_us: Option<u64>,
    /// Maximum.
    pub max_us: Option<u64>,
}

fn count_5xx(stats: &Stats) -> u64 {
    stats
        .statuses
        .iter()
        .filter(|(code, _)| (500..600).contains(*code))
        .map(|(_, n)| n)
        .sum()
}

impl StreamWindow {
    /// The window of `stream` out of per-operation `stats` covering `window_s` seconds.
    ///
    /// # Errors
    /// Histogram merge (not expected).
    pub fn new(
        stream: Stream,
        stats: &OpStats,
        window_s: f64,
        target_per_s: Option<f64>,
    ) -> Result<Self, StatsError> {
        let s = stream_stats(stats, stream)?;
        let h = &s.latency_us;
        let q = |x: f64| (!h.is_empty()).then(|| h.value_at_quantile(x));
        Ok(Self {
            stream,
            target_per_s,
            sent: s.sent,
            ok: s.ok,
            ok_per_s: if window_s > 0.0 {
                s.ok as f64 / window_s
            } else {
                0.0
            },
            failed: s.failures() - s.not_sent,
            status_5xx: count_5xx(&s),
            not_sent: s.not_sent,
            p50_us: q(0.5),
            p99_us: q(0.99),
            max_us: (!h.is_empty()).then(|| h.max()),
        })
    }
}

/// The server (and the load generator) at the end of one sampling window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the tool started sampling.
    pub t_s: f64,
    /// Seconds since the soak's fixed-rate load started; `None` before it.
    pub soak_t_s: Option<f64>,
    /// The phase the window belongs to.
    pub phase: Phase,
    /// Window length, seconds.
    pub window_s: f64,
    /// Server `VmRSS`, KiB.
    pub rss_kib: u64,
    /// Server `VmHWM` (peak RSS), KiB.
    pub hwm_kib: u64,
    /// Of `rss_kib`: anonymous memory (heap, stacks), KiB.
    #[serde(default)]
    pub rss_anon_kib: Option<u64>,
    /// Of `rss_kib`: file mappings, KiB.
    #[serde(default)]
    pub rss_file_kib: Option<u64>,
    /// Of `rss_kib`: shared memory (SQLite's `-shm` WAL index), KiB.
    #[serde(default)]
    pub rss_shmem_kib: Option<u64>,
    /// Server threads.
    pub threads: u64,
    /// Server open file descriptors.
    pub fds: u64,
    /// Of which sockets.
    pub fd_sockets: u64,
    /// The load generator's sockets (its connections to the server).
    pub client_sockets: u64,
    /// Server CPU over the window, cores.
    pub server_cpu_cores: Option<f64>,
    /// Load generator CPU over the window, cores.
    pub client_cpu_cores: Option<f64>,
    /// Load generator `VmRSS`, KiB.
    pub client_rss_kib: Option<u64>,
    /// The transparency log's tree size (`GET /api/v1/log`).
    pub tree_size: Option<u64>,
    /// The CT log's tree size (`GET /ct/checkpoint`).
    pub ct_tree_size: Option<u64>,
    /// Bytes under the server's data directory, if given.
    pub data_dir_bytes: Option<u64>,
    /// Per-stream request figures of the window.
    pub streams: Vec<StreamWindow>,
}

impl Sample {
    /// Server descriptors that are not sockets.
    pub fn other_fds(&self) -> u64 {
        self.fds.saturating_sub(self.fd_sockets)
    }

    /// Server sockets not accounted for by the load generator's connections.
    pub fn unmatched_sockets(&self) -> f64 {
        self.fd_sockets as f64 - self.client_sockets as f64
    }
}

/// The closed-loop measurement of the mix's maximum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Closed-loop tasks.
    pub concurrency: usize,
    /// Warm-up, seconds.
    pub warmup_s: f64,
    /// Measured seconds.
    pub measured_s: f64,
    /// Successful operations per second, all streams (a signing counts once).
    pub ops_per_s: f64,
    /// Failed operations in the measured window.
    pub failed: u64,
    /// Latency percentiles of the mix (closed loop: from request start), µs.
    pub p50_us: Option<u64>,
    /// 99th percentile.
    pub p99_us: Option<u64>,
    /// Server CPU, cores.
    pub server_cpu_cores: Option<f64>,
    /// Load generator CPU, cores.
    pub client_cpu_cores: Option<f64>,
}

/// How the run was set up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Server base URL.
    pub url: String,
    /// Server PID.
    pub server_pid: u32,
    /// Soak length (warm-up included), seconds.
    pub duration_s: f64,
    /// Warm-up, seconds.
    pub warmup_s: f64,
    /// Sampling interval, seconds.
    pub sample_every_s: f64,
    /// Mix weights sign:append:read (calibration).
    pub mix: [f64; 3],
    /// Fraction of the calibrated maximum the soak runs at.
    pub load_fraction: f64,
    /// Load generator worker threads.
    pub threads: usize,
    /// Per stream: most requests in flight.
    pub max_in_flight: usize,
    /// Scheduled requests later than this are dropped, seconds.
    pub max_lag_s: f64,
    /// CPUs of the machine.
    pub cpus: usize,
    /// Server data directory, if given.
    pub data_dir: Option<String>,
}

/// Everything a soak run produced (`soak.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoakRecord {
    /// Set-up.
    pub config: Config,
    /// The calibration run, if any.
    pub calibration: Option<Calibration>,
    /// The soak's rates.
    pub rates: Rates,
    /// How the rates were chosen.
    pub rates_from: String,
    /// One per window, every phase.
    pub samples: Vec<Sample>,
    /// Per phase, one report per operation.
    pub phases: BTreeMap<Phase, Vec<Report>>,
    /// The first failure messages.
    pub failure_notes: Vec<String>,
    /// All failures noted.
    pub failure_notes_total: u64,
    /// Token refreshes that failed.
    pub token_refresh_failures: u64,
    /// How the soak ended.
    pub completion: Completion,
    /// Seconds of soak done.
    pub soak_elapsed_s: f64,
    /// The bounds the verdict used.
    pub bounds: Bounds,
    /// The verdict.
    pub verdict: Verdict,
}

/// Reports of every operation of one phase that lasted `measured_s`.
pub fn phase_reports(stats: &OpStats, measured_s: f64, phase: Phase) -> Vec<Report> {
    Op::ALL
        .iter()
        .map(|op| {
            let ok_status = if matches!(op, Op::Append | Op::SignAppend | Op::Sign) {
                201
            } else {
                200
            };
            let info = RunInfo {
                label: Some(format!("{phase:?}").to_lowercase()),
                workload: op.name().to_owned(),
                ..RunInfo::default()
            };
            let s = &stats[op.index()];
            Report::new(info, s, measured_s, ok_status, s.ok)
        })
        .collect()
}

fn failures_of(reports: &[Report]) -> Failures {
    let mut f = Failures::default();
    // Steps are already counted by the signing that contains them.
    for r in reports.iter().filter(|r| !is_step(&r.info.workload)) {
        for (code, n) in &r.statuses {
            if code.starts_with('5') {
                f.status_5xx += n;
            } else {
                f.status_other += n;
            }
        }
        f.invalid += r.invalid;
        f.transport += r.errors.values().sum::<u64>();
    }
    f
}

fn is_step(workload: &str) -> bool {
    Op::ALL
        .iter()
        .any(|op| op.is_step() && op.name() == workload)
}

/// The verdict's input, from a record: resources after `warmup_s` of soak, failures of
/// every phase, rates of the measured phase.
pub fn evidence(record: &SoakRecord, warmup_s: f64) -> Evidence {
    let judged: Vec<&Sample> = record
        .samples
        .iter()
        .filter(|s| s.soak_t_s.is_some_and(|t| t >= warmup_s))
        .collect();
    let points = |f: &dyn Fn(&Sample) -> f64| -> Vec<Point> {
        judged
            .iter()
            .map(|s| Point {
                t_s: s.soak_t_s.unwrap_or_default(),
                value: f(s),
            })
            .collect()
    };
    let mut failures = Failures::default();
    for reports in record.phases.values() {
        let f = failures_of(reports);
        failures.status_5xx += f.status_5xx;
        failures.status_other += f.status_other;
        failures.invalid += f.invalid;
        failures.transport += f.transport;
    }
    let measured = record.phases.get(&Phase::Measure);
    let rates = Stream::ALL
        .iter()
        .map(|&stream| {
            let achieved = measured.map_or(0.0, |reports| {
                let names: Vec<&str> = stream.ops().iter().map(|o| o.name()).collect();
                let ok: u64 = reports
                    .iter()
                    .filter(|r| names.contains(&r.info.workload.as_str()))
                    .map(|r| r.ok)
                    .sum();
                let secs = reports.first().map_or(0.0, |r| r.measured_s);
                if secs > 0.0 {
                    ok as f64 / secs
                } else {
                    0.0
                }
            });
            RateEvidence {
                stream: stream.name().to_owned(),
                target_per_s: record.rates.get(stream),
                achieved_per_s: achieved,
            }
        })
        .collect();
    Evidence {
        rss_kib: points(&|s| s.rss_kib as f64),
        other_fds: points(&|s| s.other_fds() as f64),
        unmatched_sockets: points(&Sample::unmatched_sockets),
        failures,
        rates,
        completion: record.completion.clone(),
    }
}

/// Least-squares slope of the server's RSS (bytes) against the entries of both logs
/// (transparency log + CT log) over the samples after `warmup_s`: what each appended
/// entry costs in resident memory, to compare with the server's bounded caches. `None`
/// without tree sizes or growth.
pub fn rss_bytes_per_entry(samples: &[Sample], warmup_s: f64) -> Option<f64> {
    let points: Vec<Point> = samples
        .iter()
        .filter(|s| s.soak_t_s.is_some_and(|t| t >= warmup_s))
        .filter_map(|s| {
            Some(Point {
                t_s: (s.tree_size? + s.ct_tree_size?) as f64,
                value: s.rss_kib as f64 * 1024.0,
            })
        })
        .collect();
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.t_s), hi.max(p.t_s))
        });
    (points.len() >= 3 && hi > lo).then(|| super::verdict::slope(&points))
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_bench::stats::{ErrorKind, Outcome};
    use std::time::Duration;

    #[test]
    fn evidence_counts_failures_once_and_rates_over_the_measured_phase() {
        let mut m: OpStats = Op::ALL.iter().map(|_| Stats::new().unwrap()).collect();
        let ms = Duration::from_millis(1);
        for _ in 0..100 {
            m[Op::Sign.index()].record(Outcome::Ok, ms);
            m[Op::SignIssue.index()].record(Outcome::Ok, ms);
            m[Op::SignAppend.index()].record(Outcome::Ok, ms);
            m[Op::ReadTile.index()].record(Outcome::Ok, ms);
            m[Op::ReadCheckpoint.index()].record(Outcome::Ok, ms);
        }
        // One failed issuance: counted by sign.issue and by sign, once in the verdict.
        m[Op::SignIssue.index()].record(Outcome::Status(503), ms);
        m[Op::Sign.index()].record(Outcome::Status(503), ms);
        m[Op::Append.index()].record(Outcome::Error(ErrorKind::Connect), ms);
        m[Op::ReadUuid.index()].record(Outcome::Status(404), ms);
        let mut phases = BTreeMap::new();
        phases.insert(Phase::Measure, phase_reports(&m, 10.0, Phase::Measure));
        let sample = |t: f64, rss: u64| Sample {
            t_s: t + 100.0,
            soak_t_s: Some(t),
            phase: Phase::Measure,
            window_s: 10.0,
            rss_kib: rss,
            hwm_kib: rss,
            rss_anon_kib: None,
            rss_file_kib: None,
            rss_shmem_kib: None,
            threads: 5,
            fds: 40,
            fd_sockets: 12,
            client_sockets: 10,
            server_cpu_cores: None,
            client_cpu_cores: None,
            client_rss_kib: None,
            tree_size: None,
            ct_tree_size: None,
            data_dir_bytes: None,
            streams: Vec::new(),
        };
        let record = SoakRecord {
            config: Config {
                url: String::new(),
                server_pid: 1,
                duration_s: 30.0,
                warmup_s: 10.0,
                sample_every_s: 10.0,
                mix: [1.0, 3.0, 8.0],
                load_fraction: 0.5,
                threads: 1,
                max_in_flight: 8,
                max_lag_s: 10.0,
                cpus: 2,
                data_dir: None,
            },
            calibration: None,
            rates: Rates {
                sign: 10.0,
                append: 5.0,
                read: 20.0,
            },
            rates_from: "test".to_owned(),
            samples: vec![sample(0.0, 1), sample(10.0, 100), sample(20.0, 101)],
            phases,
            failure_notes: Vec::new(),
            failure_notes_total: 0,
            token_refresh_failures: 0,
            completion: Completion::Completed,
            soak_elapsed_s: 30.0,
            bounds: Bounds {
                rss_growth_percent: 10.0,
                rss_growth_mib: 8.0,
                fd_tolerance: 8,
                socket_tolerance: 16,
                compare_window_s: 60.0,
                min_rate_fraction: 0.95,
            },
            verdict: Verdict {
                pass: true,
                checks: Vec::new(),
            },
        };
        let e = evidence(&record, 10.0);
        assert_eq!(e.rss_kib.len(), 2, "the warm-up sample is left out");
        assert_eq!(e.rss_kib[0].value, 100.0);
        assert_eq!(e.other_fds[0].value, 28.0);
        assert_eq!(e.unmatched_sockets[0].value, 2.0);
        assert_eq!(
            e.failures,
            Failures {
                status_5xx: 1,
                status_other: 1,
                invalid: 0,
                transport: 1
            }
        );
        let rate = |name: &str| e.rates.iter().find(|r| r.stream == name).unwrap().clone();
        assert_eq!(rate("sign").achieved_per_s, 10.0);
        assert_eq!(rate("append").achieved_per_s, 0.0);
        assert_eq!(rate("read").achieved_per_s, 20.0);
        assert_eq!(rate("read").target_per_s, 20.0);
        // Round trip through JSON, as `soak verdict FILE` reads it.
        let back: SoakRecord =
            serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(evidence(&back, 10.0), e);
    }

    #[test]
    fn rss_per_entry_is_the_slope_against_both_logs() {
        let at = |t: f64, tlog: u64, ct: u64, rss_kib: u64| Sample {
            tree_size: Some(tlog),
            ct_tree_size: Some(ct),
            soak_t_s: Some(t),
            rss_kib,
            ..sample_at(t)
        };
        // 1,000 entries (800 + 200) per window, 50 KiB per window: 51.2 bytes per entry.
        let samples: Vec<Sample> = (0..6u64)
            .map(|i| at(i as f64 * 10.0, 800 * i, 200 * i, 100_000 + 50 * i))
            .collect();
        let b = rss_bytes_per_entry(&samples, 0.0).unwrap();
        assert!((b - 51.2).abs() < 1e-9, "{b}");
        assert_eq!(
            rss_bytes_per_entry(&samples, 100.0),
            None,
            "nothing after the warm-up"
        );
        let mut no_sizes = samples;
        for s in &mut no_sizes {
            s.ct_tree_size = None;
        }
        assert_eq!(rss_bytes_per_entry(&no_sizes, 0.0), None);
    }

    fn sample_at(t: f64) -> Sample {
        Sample {
            t_s: t,
            soak_t_s: Some(t),
            phase: Phase::Measure,
            window_s: 10.0,
            rss_kib: 0,
            hwm_kib: 0,
            rss_anon_kib: None,
            rss_file_kib: None,
            rss_shmem_kib: None,
            threads: 1,
            fds: 0,
            fd_sockets: 0,
            client_sockets: 0,
            server_cpu_cores: None,
            client_cpu_cores: None,
            client_rss_kib: None,
            tree_size: None,
            ct_tree_size: None,
            data_dir_bytes: None,
            streams: Vec::new(),
        }
    }
}
