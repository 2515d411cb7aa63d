//! Replaying a log directory with the auditor's engine: the same pure functions as
//! `signet audit replay` (`cli/src/cmd/audit/replay.rs`), with files instead of HTTP.
//!
//! ```text
//! T workers: next bundle → read its files → process_bundle ──▶ caller: TreeReplay::append in order
//!     ▲                                                                   │
//!     └─────────────── window advances as bundles fold ◀──────────────────┘
//! ```
//!
//! A worker takes the next bundle `b` and starts it only once fewer than `window`
//! bundles before it are still unfolded, so at most `window` bundles are in memory (being
//! read or processed, or waiting to be folded), whatever the log's size; each worker
//! reads into three buffers it reuses; outcomes are dropped once folded (records are
//! counted, not kept). A file that cannot be read is a `fetch` failure at the bundle's
//! first index, as an unfetchable URL is for the CLI.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use signet_audit::process::{process_bundle, BundleInput, BundleOutcome, Contents, EntryChecks};
use signet_audit::report::{Failure, LogName, FETCH};
use signet_audit::tree::TreeReplay;
use signet_tlog_core::tile::TILE_WIDTH;
use signet_tlog_core::tree::CompactRange;
use signet_verifier::audit::{Auditor, LogRole, VerifiedCheckpoint};
use signet_verifier::trusted_root::TrustedRoot;
use signet_verifier::verify::Verifier;

use super::window::{AbortOnPanic, Window};
use super::{
    bundle_count, bundle_paths, read_params, LogParams, SynthError, CHECKPOINT_FILE,
    TRUSTED_ROOT_FILE,
};

/// Failures kept in a [`ReplayOutcome`] (all are counted).
pub const MAX_KEPT_FAILURES: usize = 100;

/// A log directory opened for replay: its parameters, a verifier over its trusted root,
/// and its checkpoint note (not yet verified).
#[derive(Debug)]
pub struct OpenedLog {
    /// `params.json`.
    pub params: LogParams,
    /// Built from `trusted_root.json`.
    pub verifier: Arc<Verifier>,
    /// The `checkpoint` file.
    pub note: String,
}

/// Opens a generated log.
///
/// # Errors
/// [`SynthError::NotALog`], [`SynthError::Io`], or [`SynthError::Trust`] for a trusted
/// root that does not parse or cannot be used.
pub fn open(dir: &Path) -> Result<OpenedLog, SynthError> {
    let params = read_params(dir)?;
    let root_path = dir.join(TRUSTED_ROOT_FILE);
    let root_json = std::fs::read(&root_path).map_err(SynthError::io(&root_path))?;
    let root = TrustedRoot::from_json(&root_json).map_err(|e| SynthError::Trust {
        what: "trusted root",
        reason: e.to_string(),
    })?;
    let verifier = Verifier::new(root).map_err(|e| SynthError::Trust {
        what: "trusted root",
        reason: e.to_string(),
    })?;
    let cp_path = dir.join(CHECKPOINT_FILE);
    let note = std::fs::read_to_string(&cp_path).map_err(SynthError::io(&cp_path))?;
    Ok(OpenedLog {
        params,
        verifier: Arc::new(verifier),
        note,
    })
}

/// Verifies the checkpoint with the trusted root's transparency-log keys
/// ([`Auditor::checkpoint`]).
///
/// # Errors
/// [`SynthError::Trust`] with the auditor's check name and reason.
pub fn verify_checkpoint(auditor: &Auditor, note: &str) -> Result<VerifiedCheckpoint, SynthError> {
    auditor
        .checkpoint(note, LogRole::Signatures)
        .map_err(|e| SynthError::Trust {
            what: "checkpoint",
            reason: format!("{}: {e}", e.check()),
        })
}

/// How a replay runs.
#[derive(Clone, Copy, Debug)]
pub struct ReplayOptions {
    /// Threads reading bundles and running `process_bundle` on them (the fold runs on
    /// the caller's thread, mostly idle).
    pub threads: usize,
    /// Hash only (root recomputation) or re-verify every entry.
    pub checks: EntryChecks,
    /// Bundles in flight at most (read ahead of the fold).
    pub window: u64,
}

/// What a replay found and how long it took.
#[derive(Clone, Debug)]
pub struct ReplayOutcome {
    /// The checkpoint's size.
    pub size: u64,
    /// Entries folded into the tree.
    pub entries: u64,
    /// Entries re-verified (0 when hashing only).
    pub records: u64,
    /// Failures of every kind (per entry, per bundle, of the tree).
    pub failure_count: u64,
    /// The first [`MAX_KEPT_FAILURES`] failures, in index order of their bundles, then the
    /// tree's verdict.
    pub failures: Vec<Failure>,
    /// Bytes read from the files.
    pub bytes_read: u64,
    /// Wall time from the first read to the verdict.
    pub elapsed: Duration,
}

impl ReplayOutcome {
    fn push(&mut self, f: Failure) {
        self.failure_count += 1;
        if self.failures.len() < MAX_KEPT_FAILURES {
            self.failures.push(f);
        }
    }
}

/// One file as read into a reused buffer, or why it could not be.
#[derive(Default)]
struct FileBuf {
    bytes: Vec<u8>,
    error: Option<String>,
}

impl FileBuf {
    /// Reads `dir/rel` into the buffer; returns the bytes read.
    fn read(&mut self, dir: &Path, rel: &str) -> u64 {
        self.bytes.clear();
        let read =
            std::fs::File::open(dir.join(rel)).and_then(|mut f| f.read_to_end(&mut self.bytes));
        match read {
            Ok(n) => {
                self.error = None;
                n as u64
            }
            Err(e) => {
                self.error = Some(format!("{rel}: {e}"));
                0
            }
        }
    }

    /// The bytes, or a `fetch` failure at `first`.
    fn get(&self, first: u64, failures: &mut Vec<Failure>) -> Option<&[u8]> {
        match &self.error {
            None => Some(&self.bytes),
            Some(e) => {
                failures.push(Failure::new(LogName::Tlog, Some(first), FETCH, e.clone()));
                None
            }
        }
    }
}

/// One bundle as read.
#[derive(Default)]
struct Job {
    first: u64,
    width: u16,
    entries: FileBuf,
    tile: FileBuf,
    /// Read only to verify.
    meta: FileBuf,
    with_meta: bool,
}

/// Replays the log in `dir` against its verified `checkpoint` (module documentation).
///
/// # Errors
/// [`SynthError::Params`] for zero threads, [`SynthError::Pipeline`] if a thread died.
/// Everything wrong with the log itself is a failure in the outcome, not an error.
pub fn replay(
    dir: &Path,
    auditor: &Auditor,
    checkpoint: &VerifiedCheckpoint,
    options: &ReplayOptions,
) -> Result<ReplayOutcome, SynthError> {
    if options.threads == 0 {
        return Err(SynthError::Params {
            reason: "at least one replay thread".to_owned(),
        });
    }
    let started = Instant::now();
    let size = checkpoint.checkpoint.size;
    let root = checkpoint.checkpoint.root;
    let contents = Contents::Signatures {
        log_id: checkpoint.log_id,
    };
    let bundles = bundle_count(size);
    let window = Window::new(options.window);
    let next = AtomicU64::new(0);
    let bytes_read = AtomicU64::new(0);
    let (out_tx, out_rx) = mpsc::channel::<BundleOutcome>();
    let mut outcome = ReplayOutcome {
        size,
        entries: 0,
        records: 0,
        failure_count: 0,
        failures: Vec::new(),
        bytes_read: 0,
        elapsed: Duration::ZERO,
    };
    let tree = std::thread::scope(|s| -> Result<TreeReplay, SynthError> {
        let (window, next, bytes_read) = (&window, &next, &bytes_read);
        for _ in 0..options.threads {
            let out_tx = out_tx.clone();
            s.spawn(move || {
                let _guard = AbortOnPanic(window);
                // Each worker reads its bundles itself, into buffers it reuses: the bytes
                // are hashed on the core that copied them, and no fresh pages are zeroed
                // per file.
                let mut job = Job::default();
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if b >= bundles || !window.wait_for(b) {
                        return;
                    }
                    let (width, paths) = bundle_paths(b, size);
                    job.first = b * TILE_WIDTH;
                    job.width = width;
                    let mut n = 0;
                    n += job.entries.read(dir, &paths.entries);
                    n += job.tile.read(dir, &paths.hash_tile);
                    job.with_meta = options.checks == EntryChecks::Verify;
                    if job.with_meta {
                        n += job.meta.read(dir, &paths.meta);
                    }
                    bytes_read.fetch_add(n, Ordering::Relaxed);
                    if out_tx
                        .send(process(auditor, contents, &job, options.checks))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(out_tx);
        let folded = fold(&out_rx, bundles, window, &mut outcome);
        window.abort();
        folded
    })?;
    for f in tree.finish(size, &root) {
        outcome.push(f);
    }
    outcome.bytes_read = bytes_read.load(Ordering::Relaxed);
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

/// One bundle through the engine; unreadable files become `fetch` failures.
fn process(auditor: &Auditor, contents: Contents, job: &Job, checks: EntryChecks) -> BundleOutcome {
    let mut failures = Vec::new();
    let entries = job.entries.get(job.first, &mut failures);
    let tile = job.tile.get(job.first, &mut failures);
    let meta = if job.with_meta {
        job.meta.get(job.first, &mut failures)
    } else {
        None
    };
    let Some(entries) = entries else {
        return BundleOutcome {
            first_index: job.first,
            failures,
            ..BundleOutcome::default()
        };
    };
    let mut out = process_bundle(
        auditor,
        contents,
        &BundleInput {
            first_index: job.first,
            width: job.width,
            entries,
            hash_tile: tile,
            meta,
            known: 0,
        },
        checks,
    );
    failures.append(&mut out.failures);
    out.failures = failures;
    out
}

/// Folds outcomes into the tree in bundle order, counting records and keeping failures.
fn fold(
    rx: &mpsc::Receiver<BundleOutcome>,
    bundles: u64,
    window: &Window,
    outcome: &mut ReplayOutcome,
) -> Result<TreeReplay, SynthError> {
    let mut tree = TreeReplay::new(LogName::Tlog, CompactRange::new());
    let mut pending: BTreeMap<u64, BundleOutcome> = BTreeMap::new();
    let mut folded = 0u64;
    while folded < bundles {
        let o = rx.recv().map_err(|_| SynthError::Pipeline {
            reason: "a replay thread stopped before the last bundle".to_owned(),
        })?;
        pending.insert(o.first_index / TILE_WIDTH, o);
        while let Some(o) = pending.remove(&folded) {
            if let Some(f) = tree.append(&o, &[]) {
                outcome.push(f);
            }
            outcome.entries += o.leaves.len() as u64;
            outcome.records += o.records.len() as u64;
            for f in o.failures {
                outcome.push(f);
            }
            folded += 1;
            window.advance();
        }
    }
    Ok(tree)
}

/// Reads every file of the log once (so that timed replays read from the page cache, as
/// the benchmark documents); returns the bytes read.
///
/// # Errors
/// [`SynthError::Io`] for a file that cannot be read.
pub fn warm(dir: &Path, size: u64) -> Result<u64, SynthError> {
    let mut total = 0u64;
    for b in 0..bundle_count(size) {
        let (_, p) = bundle_paths(b, size);
        for rel in [&p.entries, &p.hash_tile, &p.meta] {
            let path = dir.join(rel);
            total += std::fs::read(&path).map_err(SynthError::io(&path))?.len() as u64;
        }
    }
    Ok(total)
}
