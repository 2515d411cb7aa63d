//! What a soak writes: a progress line per sample (stderr), `samples.csv`, `soak.json`
//! and a text summary (`summary.txt` and stdout).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use signet_bench::report::{fmt_us, Report};

use super::record::{Op, Phase, Stream};
use super::series::{Calibration, Rates, Sample, SoakRecord};
use super::verdict::Verdict;

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

fn opt_f(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(String::new, |v| format!("{v:.decimals$}"))
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Seed => "seed",
        Phase::Calibrate => "calibrate",
        Phase::Warmup => "warmup",
        Phase::Measure => "measure",
    }
}

/// One line per sample for the terminal.
pub fn progress_line(s: &Sample) -> String {
    let mut line = format!(
        "soak {:>6.0} s {:<9} rss {:>9} fds {:>3} (sockets {}/{} client) thr {:>2} cpu {}/{}",
        s.soak_t_s.unwrap_or(s.t_s),
        phase_name(s.phase),
        mib(s.rss_kib),
        s.fds,
        s.fd_sockets,
        s.client_sockets,
        s.threads,
        opt_f(s.server_cpu_cores, 2),
        opt_f(s.client_cpu_cores, 2),
    );
    for w in &s.streams {
        let _ = write!(
            line,
            " | {} {:.0}/s p99 {}",
            w.stream.name(),
            w.ok_per_s,
            fmt_us(w.p99_us)
        );
        if w.failed + w.not_sent > 0 {
            let _ = write!(line, " FAILED {} NOT SENT {}", w.failed, w.not_sent);
        }
    }
    if let Some(t) = s.tree_size {
        let _ = write!(line, " | tree {t}");
    }
    line
}

/// The samples as CSV, one row per window.
pub fn csv(samples: &[Sample]) -> String {
    let mut out = String::from(
        "t_s,soak_t_s,phase,window_s,rss_kib,hwm_kib,rss_anon_kib,rss_file_kib,rss_shmem_kib,\
         threads,fds,fd_sockets,client_sockets,\
         other_fds,unmatched_sockets,server_cpu_cores,client_cpu_cores,client_rss_kib,\
         tree_size,ct_tree_size,data_dir_bytes",
    );
    for s in Stream::ALL {
        let n = s.name();
        let _ = write!(
            out,
            ",{n}_target_per_s,{n}_ok_per_s,{n}_failed,{n}_5xx,{n}_not_sent,{n}_p50_us,{n}_p99_us,{n}_max_us"
        );
    }
    out.push('\n');
    for s in samples {
        let _ = write!(
            out,
            "{:.1},{},{},{:.2},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.t_s,
            opt_f(s.soak_t_s, 1),
            phase_name(s.phase),
            s.window_s,
            s.rss_kib,
            s.hwm_kib,
            opt(s.rss_anon_kib),
            opt(s.rss_file_kib),
            opt(s.rss_shmem_kib),
            s.threads,
            s.fds,
            s.fd_sockets,
            s.client_sockets,
            s.other_fds(),
            s.unmatched_sockets(),
            opt_f(s.server_cpu_cores, 3),
            opt_f(s.client_cpu_cores, 3),
            opt(s.client_rss_kib),
            opt(s.tree_size),
            opt(s.ct_tree_size),
            opt(s.data_dir_bytes),
        );
        for stream in Stream::ALL {
            match s.streams.iter().find(|w| w.stream == stream) {
                Some(w) => {
                    let _ = write!(
                        out,
                        ",{},{:.2},{},{},{},{},{},{}",
                        opt_f(w.target_per_s, 2),
                        w.ok_per_s,
                        w.failed,
                        w.status_5xx,
                        w.not_sent,
                        opt(w.p50_us),
                        opt(w.p99_us),
                        opt(w.max_us)
                    );
                }
                None => out.push_str(",,,,,,,,"),
            }
        }
        out.push('\n');
    }
    out
}

/// The calibration in one paragraph.
pub fn calibration_text(c: &Calibration, rates: &Rates, fraction: f64) -> String {
    format!(
        "calibration: closed loop, {} tasks, {:.0} s after {:.0} s warm-up: mix maximum {:.1} ops/s \
         ({} failed; p50 {}, p99 {}; server {} cores, client {} cores)\n\
         soak rates at {:.0} %: sign {:.1}/s, append {:.1}/s, read {:.1}/s\n",
        c.concurrency,
        c.measured_s,
        c.warmup_s,
        c.ops_per_s,
        c.failed,
        fmt_us(c.p50_us),
        fmt_us(c.p99_us),
        opt_f(c.server_cpu_cores, 2),
        opt_f(c.client_cpu_cores, 2),
        100.0 * fraction,
        rates.sign,
        rates.append,
        rates.read
    )
}

/// The verdict's checks, one per line.
pub fn verdict_text(v: &Verdict) -> String {
    let mut s = format!(
        "verdict: {}\n",
        if v.pass {
            "PASS (flat, no errors)"
        } else {
            "FAIL"
        }
    );
    for c in &v.checks {
        let _ = writeln!(
            s,
            "  [{}] {:<12} {}",
            if c.pass { "pass" } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    s
}

fn req_row(s: &mut String, name: &str, target: Option<f64>, ok: u64, secs: f64, r: &RowStats) {
    let _ = writeln!(
        s,
        "  {:<20} {:>9} {:>10.1} {:>10} {:>7} {:>8} {:>10} {:>10} {:>10} {:>10}",
        name,
        target.map_or_else(String::new, |t| format!("{t:.1}")),
        if secs > 0.0 { ok as f64 / secs } else { 0.0 },
        ok,
        r.failed,
        r.not_sent,
        fmt_us(r.p50),
        fmt_us(r.p99),
        fmt_us(r.p99_9),
        fmt_us(r.max),
    );
}

struct RowStats {
    failed: u64,
    not_sent: u64,
    p50: Option<u64>,
    p99: Option<u64>,
    p99_9: Option<u64>,
    max: Option<u64>,
}

impl RowStats {
    fn of(r: &Report) -> Self {
        Self {
            failed: r.sent - r.ok.min(r.sent) - r.not_sent,
            not_sent: r.not_sent,
            p50: r.latency_us.p50,
            p99: r.latency_us.p99,
            p99_9: r.latency_us.p99_9,
            max: r.latency_us.max,
        }
    }
}

fn at_or_after(samples: &[Sample], soak_t: f64) -> Option<&Sample> {
    samples
        .iter()
        .find(|s| s.soak_t_s.is_some_and(|t| t >= soak_t))
}

/// The run in a page.
pub fn summary(r: &SoakRecord) -> String {
    let c = &r.config;
    let mut s = format!(
        "Signet soak: {:.0} s planned ({:.0} s done; warm-up {:.0} s), samples every {:.0} s, \
         against {} (pid {}), {} CPUs shared with the load generator\n",
        c.duration_s, r.soak_elapsed_s, c.warmup_s, c.sample_every_s, c.url, c.server_pid, c.cpus
    );
    match &r.calibration {
        Some(cal) => s.push_str(&calibration_text(cal, &r.rates, c.load_fraction)),
        None => {
            let _ = writeln!(
                s,
                "rates ({}): sign {:.1}/s, append {:.1}/s, read {:.1}/s",
                r.rates_from, r.rates.sign, r.rates.append, r.rates.read
            );
        }
    }
    if let Some(reports) = r.phases.get(&Phase::Measure) {
        let secs = reports.first().map_or(0.0, |x| x.measured_s);
        let _ = writeln!(
            s,
            "\nrequests after the warm-up ({secs:.0} s; latency from the scheduled time):\n  \
             {:<20} {:>9} {:>10} {:>10} {:>7} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "", "target/s", "ok/s", "ok", "failed", "not sent", "p50", "p99", "p99.9", "max"
        );
        let by = |op: Op| reports.iter().find(|x| x.info.workload == op.name());
        for stream in Stream::ALL {
            let ops: Vec<&Report> = stream.ops().iter().filter_map(|&o| by(o)).collect();
            let ok: u64 = ops.iter().map(|x| x.ok).sum();
            if stream == Stream::Read {
                let failed: u64 = ops.iter().map(|x| RowStats::of(x).failed).sum();
                let not_sent: u64 = ops.iter().map(|x| x.not_sent).sum();
                let row = RowStats {
                    failed,
                    not_sent,
                    p50: None,
                    p99: None,
                    p99_9: None,
                    max: None,
                };
                req_row(&mut s, "read (all)", Some(r.rates.read), ok, secs, &row);
                for x in ops {
                    req_row(
                        &mut s,
                        &format!("  {}", x.info.workload),
                        None,
                        x.ok,
                        secs,
                        &RowStats::of(x),
                    );
                }
            } else if let Some(x) = ops.first() {
                req_row(
                    &mut s,
                    stream.name(),
                    Some(r.rates.get(stream)),
                    ok,
                    secs,
                    &RowStats::of(x),
                );
                if stream == Stream::Sign {
                    for step in [Op::SignIssue, Op::SignAppend] {
                        if let Some(x) = by(step) {
                            req_row(
                                &mut s,
                                &format!("  {}", x.info.workload),
                                None,
                                x.ok,
                                secs,
                                &RowStats::of(x),
                            );
                        }
                    }
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "failure notes: {} in all{}",
        r.failure_notes_total,
        if r.token_refresh_failures > 0 {
            format!(" ({} token refreshes failed)", r.token_refresh_failures)
        } else {
            String::new()
        }
    );
    for n in &r.failure_notes {
        let _ = writeln!(s, "  {n}");
    }

    let first = r.samples.first();
    let after = at_or_after(&r.samples, c.warmup_s);
    let last = r.samples.last();
    if let (Some(a), Some(b), Some(e)) = (first, after, last) {
        let _ = writeln!(
            s,
            "\nserver process {:<22} {:>14} {:>16} {:>14}",
            "", "start (idle)", "after warm-up", "end"
        );
        let row = |s: &mut String, name: &str, f: &dyn Fn(&Sample) -> String| {
            let _ = writeln!(s, "  {:<35} {:>14} {:>16} {:>14}", name, f(a), f(b), f(e));
        };
        row(&mut s, "VmRSS", &|x| mib(x.rss_kib));
        row(&mut s, "  anonymous (heap)", &|x| {
            x.rss_anon_kib.map_or_else(String::new, mib)
        });
        row(&mut s, "  file-backed", &|x| {
            x.rss_file_kib.map_or_else(String::new, mib)
        });
        row(&mut s, "  shared memory", &|x| {
            x.rss_shmem_kib.map_or_else(String::new, mib)
        });
        row(&mut s, "VmHWM (peak so far)", &|x| mib(x.hwm_kib));
        row(&mut s, "open fds", &|x| x.fds.to_string());
        row(&mut s, "  non-socket", &|x| x.other_fds().to_string());
        row(&mut s, "  sockets", &|x| x.fd_sockets.to_string());
        row(&mut s, "  load generator's sockets", &|x| {
            x.client_sockets.to_string()
        });
        row(&mut s, "threads", &|x| x.threads.to_string());
        row(&mut s, "log tree size", &|x| opt(x.tree_size));
        row(&mut s, "CT log tree size", &|x| opt(x.ct_tree_size));
        row(&mut s, "data dir", &|x| {
            x.data_dir_bytes
                .map_or_else(String::new, |b| format!("{:.1} MiB", b as f64 / 1048576.0))
        });
        row(&mut s, "load generator VmRSS", &|x| {
            x.client_rss_kib.map_or_else(String::new, mib)
        });
        let judged: Vec<&Sample> = r
            .samples
            .iter()
            .filter(|x| x.soak_t_s.is_some_and(|t| t >= c.warmup_s))
            .collect();
        let mean = |f: &dyn Fn(&Sample) -> Option<f64>| {
            let v: Vec<f64> = judged.iter().filter_map(|x| f(x)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let range = |f: &dyn Fn(&Sample) -> u64| {
            let v = judged.iter().map(|x| f(x));
            (v.clone().min().unwrap_or(0), v.max().unwrap_or(0))
        };
        if let Some(per_entry) = super::series::rss_bytes_per_entry(&r.samples, c.warmup_s) {
            let _ = writeln!(
                s,
                "  after the warm-up: VmRSS grew {per_entry:.0} bytes per entry appended to the two logs \
                 (least squares over the log + CT tree sizes)"
            );
        }
        let (tmin, tmax) = range(&|x| x.threads);
        let (fmin, fmax) = range(&|x| x.fds);
        let _ = writeln!(
            s,
            "  after the warm-up: threads {tmin}..{tmax}, fds {fmin}..{fmax}; CPU mean server {} cores, client {} cores",
            opt_f(mean(&|x| x.server_cpu_cores), 2),
            opt_f(mean(&|x| x.client_cpu_cores), 2),
        );
    }
    s.push('\n');
    s.push_str(&verdict_text(&r.verdict));
    s
}

/// Writes `samples.csv`, `soak.json` and `summary.txt` into `dir`.
///
/// # Errors
/// I/O or serialisation.
pub fn write_all(dir: &Path, r: &SoakRecord, summary_text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = [
        ("samples.csv", csv(&r.samples)),
        ("soak.json", serde_json::to_string_pretty(r)? + "\n"),
        ("summary.txt", summary_text.to_owned()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
