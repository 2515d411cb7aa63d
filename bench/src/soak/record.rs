//! What the soak records: operations, the streams that schedule them, run phases, and a
//! recorder that keeps per-window and per-phase [`Stats`] for every operation plus the
//! first failure messages.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use signet_bench::stats::{Outcome, Stats, StatsError};

/// One kind of request (or request pair) the soak sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Signing, as `signet sign` does it: a certificate, then a hashedrekord entry signed
    /// with its key; latency from the scheduled time to the log's answer.
    Sign,
    /// The issuance step of [`Op::Sign`] (`POST /api/v2/signingCert`, PROTOCOL.md §2.1).
    SignIssue,
    /// The append step of [`Op::Sign`] (`POST /api/v1/log/entries` with the certificate).
    SignAppend,
    /// A hashedrekord entry with a bare public key (PROTOCOL.md §4.1).
    Append,
    /// `GET /api/v1/log/entries?logIndex=N`: entry and inclusion proof (§4.4).
    ReadInclusion,
    /// `GET /api/v1/log/entries/{uuid}` of an entry this run created (§4.4).
    ReadUuid,
    /// `GET /api/v1/log/proof?firstSize=A&lastSize=B` (§4.4).
    ReadConsistency,
    /// `GET /tile/<L>/<N>[.p/<W>]` or `/tile/entries/<N>[.p/<W>]` (§5.2).
    ReadTile,
    /// `GET /checkpoint` (§5.3).
    ReadCheckpoint,
}

impl Op {
    /// Every operation, in report order ([`Op::index`] is the position).
    pub const ALL: [Op; 9] = [
        Op::Sign,
        Op::SignIssue,
        Op::SignAppend,
        Op::Append,
        Op::ReadInclusion,
        Op::ReadUuid,
        Op::ReadConsistency,
        Op::ReadTile,
        Op::ReadCheckpoint,
    ];

    /// Position in [`Op::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Sign => "sign",
            Op::SignIssue => "sign.issue",
            Op::SignAppend => "sign.append",
            Op::Append => "append",
            Op::ReadInclusion => "read.inclusion",
            Op::ReadUuid => "read.uuid",
            Op::ReadConsistency => "read.consistency",
            Op::ReadTile => "read.tile",
            Op::ReadCheckpoint => "read.checkpoint",
        }
    }

    /// True for the steps inside [`Op::Sign`] (already counted by it).
    pub fn is_step(self) -> bool {
        matches!(self, Op::SignIssue | Op::SignAppend)
    }
}

/// A fixed-rate stream of the soak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stream {
    /// [`Op::Sign`].
    Sign,
    /// [`Op::Append`].
    Append,
    /// One of the five reads, picked at random per request.
    Read,
}

impl Stream {
    /// Every stream, in report order.
    pub const ALL: [Stream; 3] = [Stream::Sign, Stream::Append, Stream::Read];

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Sign => "sign",
            Stream::Append => "append",
            Stream::Read => "read",
        }
    }

    /// The operations whose outcomes make up this stream's requests.
    pub fn ops(self) -> &'static [Op] {
        match self {
            Stream::Sign => &[Op::Sign],
            Stream::Append => &[Op::Append],
            Stream::Read => &[
                Op::ReadInclusion,
                Op::ReadUuid,
                Op::ReadConsistency,
                Op::ReadTile,
                Op::ReadCheckpoint,
            ],
        }
    }

    /// The operation a dropped (never sent) request of this stream is counted under.
    pub fn drop_op(self) -> Op {
        match self {
            Stream::Sign => Op::Sign,
            Stream::Append => Op::Append,
            Stream::Read => Op::ReadInclusion,
        }
    }
}

/// Where in the run a request was scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Before load: the first entries and certificate the reads need.
    Seed,
    /// The closed-loop mix that measures the maximum.
    Calibrate,
    /// The soak's first part, excluded from the flatness verdict.
    Warmup,
    /// The judged part of the soak.
    Measure,
}

/// Failure messages kept verbatim (the rest are only counted).
const MAX_NOTES: usize = 20;

/// Per-operation stats of one window (or one phase), indexed by [`Op::index`].
pub type OpStats = Vec<Stats>;

fn fresh() -> Result<OpStats, StatsError> {
    Op::ALL.iter().map(|_| Stats::new()).collect()
}

/// Collects every outcome twice: into the current sampling window and into its phase.
#[derive(Debug)]
pub struct Recorder {
    window: Mutex<OpStats>,
    phases: Mutex<BTreeMap<Phase, OpStats>>,
    notes: Mutex<(Vec<String>, u64)>,
}

impl Recorder {
    /// An empty recorder.
    ///
    /// # Errors
    /// Histogram creation (not expected).
    pub fn new() -> Result<Self, StatsError> {
        Ok(Self {
            window: Mutex::new(fresh()?),
            phases: Mutex::new(BTreeMap::new()),
            notes: Mutex::new((Vec::new(), 0)),
        })
    }

    /// Records one outcome; `latency` counts only if a response came.
    pub fn record(&self, phase: Phase, op: Op, outcome: Outcome, latency: Duration) {
        lock(&self.window)[op.index()].record(outcome, latency);
        let mut phases = lock(&self.phases);
        if let Some(stats) = phases.get_mut(&phase) {
            stats[op.index()].record(outcome, latency);
        } else if let Ok(mut stats) = fresh() {
            stats[op.index()].record(outcome, latency);
            phases.insert(phase, stats);
        }
    }

    /// Records a scheduled request that was dropped because it was too late to send.
    pub fn record_not_sent(&self, phase: Phase, op: Op) {
        lock(&self.window)[op.index()].record_not_sent();
        let mut phases = lock(&self.phases);
        if let Some(stats) = phases.get_mut(&phase) {
            stats[op.index()].record_not_sent();
        } else if let Ok(mut stats) = fresh() {
            stats[op.index()].record_not_sent();
            phases.insert(phase, stats);
        }
    }

    /// Keeps a failure message (the first [`MAX_NOTES`] verbatim; all are counted).
    pub fn note(&self, message: String) {
        let mut notes = lock(&self.notes);
        notes.1 += 1;
        if notes.0.len() < MAX_NOTES {
            notes.0.push(message);
        }
    }

    /// The kept failure messages and how many failures were noted in all.
    pub fn notes(&self) -> (Vec<String>, u64) {
        lock(&self.notes).clone()
    }

    /// The current window's stats, replaced by empty ones.
    ///
    /// # Errors
    /// Histogram creation (not expected).
    pub fn take_window(&self) -> Result<OpStats, StatsError> {
        let next = fresh()?;
        Ok(std::mem::replace(&mut *lock(&self.window), next))
    }

    /// The stats of every phase so far.
    pub fn phases(&self) -> BTreeMap<Phase, OpStats> {
        lock(&self.phases).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking recorder cannot leave counters half-updated in a way that matters.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `stats` of `stream`'s operations merged into one.
///
/// # Errors
/// Histogram creation or merge (not expected).
pub fn stream_stats(stats: &OpStats, stream: Stream) -> Result<Stats, StatsError> {
    let mut out = Stats::new()?;
    for op in stream.ops() {
        out.merge(&stats[op.index()])?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_bench::stats::ErrorKind;

    #[test]
    fn windows_reset_phases_accumulate() {
        let r = Recorder::new().unwrap();
        let ms = Duration::from_millis;
        r.record(Phase::Warmup, Op::Append, Outcome::Ok, ms(2));
        r.record(Phase::Measure, Op::ReadTile, Outcome::Status(503), ms(1));
        r.record_not_sent(Phase::Measure, Op::Sign);
        let w = r.take_window().unwrap();
        assert_eq!(w[Op::Append.index()].ok, 1);
        assert_eq!(w[Op::ReadTile.index()].statuses.get(&503), Some(&1));
        assert_eq!(w[Op::Sign.index()].not_sent, 1);
        r.record(
            Phase::Measure,
            Op::ReadUuid,
            Outcome::Error(ErrorKind::Connect),
            ms(1),
        );
        let w2 = r.take_window().unwrap();
        assert_eq!(w2[Op::Append.index()].sent, 0, "a new window starts empty");
        assert_eq!(w2[Op::ReadUuid.index()].errors.len(), 1);
        let p = r.phases();
        assert_eq!(p[&Phase::Warmup][Op::Append.index()].ok, 1);
        let m = &p[&Phase::Measure];
        let read = stream_stats(m, Stream::Read).unwrap();
        assert_eq!(read.sent, 2);
        assert_eq!(read.ok, 0);
        assert_eq!(stream_stats(m, Stream::Sign).unwrap().not_sent, 1);
        for i in 0..30 {
            r.note(format!("failure {i}"));
        }
        let (kept, all) = r.notes();
        assert_eq!((kept.len(), all), (MAX_NOTES, 30));
    }

    #[test]
    fn op_order_matches_index() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(op.index(), i);
        }
    }
}
