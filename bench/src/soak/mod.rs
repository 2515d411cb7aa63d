//! The soak test (issue 6): hours-scale mixed load at a fixed fraction of the measured
//! maximum, with the server's memory, file descriptors and threads sampled from `/proc`
//! and judged for flatness.
//!
//! * [`duration`]: `30m`-style durations on the command line.
//! * [`record`]: operations, streams, phases; the windowed outcome recorder.
//! * [`ops`]: the operations themselves (signing = issuance + hashedrekord append with
//!   the new certificate, plain appends, six kinds of reads) against one server.
//! * [`load`]: the open-loop streams of the soak and the closed-loop calibration mix.
//! * [`procfs`]: `/proc/<pid>/status` and `/proc/<pid>/fd` sampling.
//! * [`series`]: one sample per window; the saved record of a run.
//! * [`verdict`]: the pure flatness and error checks over a saved series.
//! * [`run`]: the orchestration (ready, seed, calibrate, soak, sample, judge).
//! * [`output`]: CSV, JSON and the text summary.

pub mod duration;
pub mod load;
pub mod ops;
pub mod output;
pub mod procfs;
pub mod record;
pub mod run;
pub mod series;
pub mod verdict;
