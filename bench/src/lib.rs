//! Load generators for the Signet transparency log's Rekor v1 API (PROTOCOL.md §4) and
//! the CA's Fulcio v2 API (§2).
//!
//! * [`target`]: the loopback-only base URL.
//! * [`drive`]: closed- and open-loop drivers of any [`drive::Workload`].
//! * [`entries`] and [`feed`]: pre-signed hashedrekord entries, generated ahead of use.
//! * [`append`]: the append workload.
//! * [`issue`]: the certificate-issuance workload.
//! * [`read`]: inclusion- and consistency-proof workloads.
//! * [`stats`] and [`report`]: per-task counters, latency histograms, reports.
//! * [`procstat`] and [`runner`]: CPU time from `/proc`, progress, report output.
//! * [`synth_log`]: generated Signet logs on disk and the auditor replay over them
//!   (`audit-bench`, `run-audit-bench.sh`).
//!
//! The `log-loadgen` and `ca-loadgen` binaries wire these to CLIs; `run-log-bench.sh`
//! and `run-ca-bench.sh` drive them.

pub mod append;
pub mod drive;
pub mod entries;
pub mod feed;
pub mod http;
pub mod issue;
pub mod procstat;
pub mod read;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod stats;
pub mod synth_log;
pub mod target;

// End-to-end runner tests against an in-process mock server. Helpers outside the
// #[test] fns are test code too (clippy.toml's allowance covers only the fns).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod e2e_tests;
