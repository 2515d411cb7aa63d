//! Load generator for the Signet transparency log's Rekor v1 API (PROTOCOL.md §4).
//!
//! * [`target`]: the loopback-only base URL.
//! * [`entries`] and [`feed`]: pre-signed hashedrekord entries, generated ahead of use.
//! * [`append`]: closed- and open-loop append workloads.
//! * [`read`]: inclusion- and consistency-proof workloads.
//! * [`stats`] and [`report`]: per-task counters, latency histograms, reports.
//! * [`procstat`]: server and client CPU time from `/proc`.
//!
//! The `log-loadgen` binary wires these to a CLI; `run-log-bench.sh` drives it.

pub mod append;
pub mod entries;
pub mod feed;
pub mod http;
pub mod procstat;
pub mod read;
pub mod report;
pub mod schedule;
pub mod stats;
pub mod target;

// End-to-end runner tests against an in-process mock server. Helpers outside the
// #[test] fns are test code too (clippy.toml's allowance covers only the fns).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod e2e_tests;
