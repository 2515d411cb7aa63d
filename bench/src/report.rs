//! Run reports: a serialisable summary of [`Stats`], printed as text or one JSON object,
//! and a table over several saved JSON reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::stats::Stats;

/// Latency percentiles in microseconds; `None` when no request got a response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Number of samples.
    pub count: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// 50th percentile.
    pub p50: Option<u64>,
    /// 90th percentile.
    pub p90: Option<u64>,
    /// 99th percentile.
    pub p99: Option<u64>,
    /// 99.9th percentile.
    pub p99_9: Option<u64>,
    /// Maximum.
    pub max: Option<u64>,
}

/// What was run, for the report header.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Free-form label (`--label`).
    pub label: Option<String>,
    /// `append-closed`, `append-open`, `read-inclusion`, `read-consistency`, `read-mixed`.
    pub workload: String,
    /// Closed-loop tasks, if closed loop.
    pub concurrency: Option<u64>,
    /// Offered rate, if open loop.
    pub offered_rate_per_s: Option<f64>,
    /// Warm-up excluded from the measurement.
    pub warmup_s: f64,
}

/// One run's results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What was run.
    #[serde(flatten)]
    pub info: RunInfo,
    /// Measured wall time: from the end of warm-up until the last measured response.
    pub measured_s: f64,
    /// Requests in the measured window.
    pub sent: u64,
    /// The success status each request expected (201 for appends, 200 for reads).
    pub ok_status: u16,
    /// Requests with the success status and a valid body.
    pub ok: u64,
    /// Success status but a body that failed the check.
    pub invalid: u64,
    /// Other statuses, by code.
    pub statuses: BTreeMap<String, u64>,
    /// Transport errors by kind.
    pub errors: BTreeMap<String, u64>,
    /// Open loop: scheduled in the window but never sent (client backlog at the deadline).
    pub not_sent: u64,
    /// `ok / measured_s`.
    pub ok_per_s: f64,
    /// Latency of every request that got a response (open loop: from its scheduled time).
    pub latency_us: Latency,
    /// Successful requests including warm-up (appends: leaves added by this run).
    pub ok_including_warmup: u64,
    /// `GET /api/v1/log` treeSize before the run.
    pub tree_size_before: Option<u64>,
    /// `GET /api/v1/log` treeSize after the run.
    pub tree_size_after: Option<u64>,
    /// Appends: entries signed while the measured window was running (0 = the prefill
    /// covered the whole run and the client did no signing while measuring).
    pub entries_signed_during_run: Option<u64>,
    /// Server CPU over the measured window, in cores (CPU seconds / wall seconds);
    /// needs `--server-pid`.
    pub server_cpu_cores: Option<f64>,
    /// This load generator's own CPU over the measured window, in cores.
    pub client_cpu_cores: Option<f64>,
}

impl Report {
    /// Builds a report from merged stats.
    pub fn new(
        info: RunInfo,
        stats: &Stats,
        measured_s: f64,
        ok_status: u16,
        ok_including_warmup: u64,
    ) -> Self {
        let h = &stats.latency_us;
        let q = |x: f64| (!h.is_empty()).then(|| h.value_at_quantile(x));
        let latency = Latency {
            count: h.len(),
            mean: (!h.is_empty()).then(|| h.mean()),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p99_9: q(0.999),
            max: (!h.is_empty()).then(|| h.max()),
        };
        let ok_per_s = if measured_s > 0.0 {
            stats.ok as f64 / measured_s
        } else {
            0.0
        };
        Self {
            info,
            measured_s,
            sent: stats.sent,
            ok_status,
            ok: stats.ok,
            invalid: stats.invalid,
            statuses: stats
                .statuses
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            errors: stats
                .errors
                .iter()
                .map(|(k, v)| (format!("{k:?}").to_lowercase(), *v))
                .collect(),
            not_sent: stats.not_sent,
            ok_per_s,
            latency_us: latency,
            ok_including_warmup,
            tree_size_before: None,
            tree_size_after: None,
            entries_signed_during_run: None,
            server_cpu_cores: None,
            client_cpu_cores: None,
        }
    }

    /// Human-readable multi-line report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let i = &self.info;
        let shape = match (i.concurrency, i.offered_rate_per_s) {
            (_, Some(r)) => format!("open loop, offered {r} req/s"),
            (Some(c), None) => format!("closed loop, concurrency {c}"),
            (None, None) => String::new(),
        };
        let label = i
            .label
            .as_deref()
            .map(|l| format!("[{l}] "))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{label}{} ({shape}), {:.1} s measured after {:.1} s warm-up",
            i.workload, self.measured_s, i.warmup_s
        );
        let _ = writeln!(s, "  sent            {}", self.sent);
        let _ = writeln!(s, "  {}             {}", self.ok_status, self.ok);
        let _ = writeln!(s, "  other statuses  {}", fmt_map(&self.statuses));
        let _ = writeln!(s, "  invalid bodies  {}", self.invalid);
        let _ = writeln!(s, "  errors          {}", fmt_map(&self.errors));
        if self.not_sent > 0 {
            let _ = writeln!(s, "  not sent        {}", self.not_sent);
        }
        let _ = writeln!(s, "  achieved        {:.1} ok/s", self.ok_per_s);
        let l = &self.latency_us;
        let _ = writeln!(
            s,
            "  latency         p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (n={})",
            fmt_us(l.p50),
            fmt_us(l.p90),
            fmt_us(l.p99),
            fmt_us(l.p99_9),
            fmt_us(l.max),
            l.count
        );
        if let (Some(a), Some(b)) = (self.tree_size_before, self.tree_size_after) {
            let _ = writeln!(
                s,
                "  tree size       {a} -> {b} (+{}; ok incl. warm-up {})",
                b.saturating_sub(a),
                self.ok_including_warmup
            );
        }
        if self.server_cpu_cores.is_some() || self.client_cpu_cores.is_some() {
            let _ = writeln!(
                s,
                "  CPU (cores)     server {}  client {}",
                fmt_cores(self.server_cpu_cores),
                fmt_cores(self.client_cpu_cores)
            );
        }
        if let Some(n) = self.entries_signed_during_run {
            let _ = writeln!(s, "  signed in run   {n}");
        }
        s
    }
}

fn fmt_map(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fmt_cores(c: Option<f64>) -> String {
    c.map_or_else(|| "-".to_owned(), |c| format!("{c:.2}"))
}

/// Formats microseconds as milliseconds with 2 decimals, or `-`.
pub fn fmt_us(us: Option<u64>) -> String {
    match us {
        Some(us) => format!("{:.2} ms", us as f64 / 1000.0),
        None => "-".to_owned(),
    }
}

/// A fixed-width table, one row per report.
pub fn summary_table(reports: &[Report]) -> String {
    let header = [
        "label", "workload", "load", "ok/s", "p50", "p90", "p99", "p99.9", "max", "not ok",
        "srv cpu", "cli cpu",
    ];
    let rows: Vec<[String; 12]> = reports
        .iter()
        .map(|r| {
            let load = match (r.info.concurrency, r.info.offered_rate_per_s) {
                (_, Some(rate)) => format!("{rate}/s"),
                (Some(c), None) => format!("c={c}"),
                (None, None) => String::new(),
            };
            let l = &r.latency_us;
            [
                r.info.label.clone().unwrap_or_default(),
                r.info.workload.clone(),
                load,
                format!("{:.1}", r.ok_per_s),
                fmt_us(l.p50),
                fmt_us(l.p90),
                fmt_us(l.p99),
                fmt_us(l.p99_9),
                fmt_us(l.max),
                (r.sent - r.ok.min(r.sent)).to_string(),
                fmt_cores(r.server_cpu_cores),
                fmt_cores(r.client_cpu_cores),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(&header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&rule.iter().map(String::as_str).collect::<Vec<_>>());
    for row in &rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{ErrorKind, Outcome};
    use std::time::Duration;

    fn sample() -> Report {
        let mut st = Stats::new().unwrap();
        for ms in 1..=1000u64 {
            st.record(Outcome::Ok, Duration::from_micros(ms * 100));
        }
        st.record(Outcome::Status(503), Duration::from_millis(1));
        st.record(Outcome::Error(ErrorKind::Connect), Duration::ZERO);
        let info = RunInfo {
            label: Some("sustained".into()),
            workload: "append-closed".into(),
            concurrency: Some(8),
            offered_rate_per_s: None,
            warmup_s: 1.0,
        };
        Report::new(info, &st, 4.0, 201, 1100)
    }

    #[test]
    fn report_numbers_follow_the_stats() {
        let r = sample();
        assert_eq!(r.sent, 1002);
        assert_eq!(r.ok, 1000);
        assert!((r.ok_per_s - 250.0).abs() < 1e-9);
        assert_eq!(r.statuses.get("503"), Some(&1));
        assert_eq!(r.errors.get("connect"), Some(&1));
        assert_eq!(r.latency_us.count, 1001);
        let p99 = r.latency_us.p99.unwrap();
        assert!((98_000..=100_100).contains(&p99), "p99 {p99}");
        assert!(r.latency_us.p50.unwrap() < r.latency_us.p90.unwrap());
    }

    #[test]
    fn json_round_trips_with_flat_fields() {
        let r = sample();
        let json = serde_json::to_string(&r).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["workload"], "append-closed");
        assert_eq!(v["label"], "sustained");
        assert_eq!(v["latency_us"]["count"], 1001);
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn empty_run_has_no_percentiles() {
        let r = Report::new(RunInfo::default(), &Stats::new().unwrap(), 0.0, 200, 0);
        assert_eq!(r.latency_us.p50, None);
        assert_eq!(r.ok_per_s, 0.0);
        assert!(r.to_text().contains("p50 -"));
    }

    #[test]
    fn table_has_one_aligned_row_per_report() {
        let mut b = sample();
        b.info.label = Some("a much longer label".into());
        let t = summary_table(&[sample(), b]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("label"));
        assert!(lines[3].starts_with("a much longer label"));
        // Columns line up: "workload" starts at the same offset in every row.
        let col = lines[0].find("workload").unwrap();
        assert_eq!(&lines[2][col..col + "append-closed".len()], "append-closed");
        assert!(lines[2].contains("250.0"));
        fn tail(l: &str) -> Vec<&str> {
            l.split_whitespace().rev().take(3).collect()
        }
        assert_eq!(tail(lines[2]), ["-", "-", "2"], "{}", lines[2]);
        let mut c = sample();
        c.server_cpu_cores = Some(1.234);
        let t = summary_table(&[c]);
        assert_eq!(tail(t.lines().nth(2).unwrap()), ["-", "1.23", "2"], "{t}");
        let col = t.lines().next().unwrap().find("srv cpu").unwrap();
        assert_eq!(&t.lines().nth(2).unwrap()[col..col + 4], "1.23");
    }
}
