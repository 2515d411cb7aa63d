//! One replay of the logs: checkpoints fetched and verified, every new bundle fetched in
//! parallel (entries, level-0 hash tile, entry-meta), processed on the blocking pool
//! ([`signet_audit::process`]) and folded in order into the tree
//! ([`signet_audit::tree`]), state saved only for a log whose tree verified.
//!
//! Order: the transparency log's checkpoint is read before the CT log's, so the CT
//! snapshot is at least as new as every certificate the tlog snapshot uses (a certificate
//! is CT-logged before it is issued, hence before it signs).

use std::collections::VecDeque;
use std::sync::Arc;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use signet_audit::process::{self, BundleInput, BundleOutcome, Contents, EntryChecks, EntryRecord};
use signet_audit::report::{
    Failure, LogName, LogSummary, Report, INCONSISTENT_WITH_STATE, LOG_SHRANK, STATE_MISMATCH,
};
use signet_audit::tree::TreeReplay;
use signet_tlog_core::tile::{entry_bundle_width_at, EntryBundleId, TileId, TILE_WIDTH};
use signet_tlog_core::tree::CompactRange;
use signet_verifier::audit::{Auditor, LogRole, VerifiedCheckpoint};
use signet_verifier::verify::Verifier;
use tokio::task::JoinHandle;

use super::fetch::LogClient;
use super::state::{SavedLog, State};

/// Largest checkpoint read.
const MAX_CHECKPOINT_BYTES: usize = 64 * 1024;

/// How a replay runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Bundles fetched at once.
    pub jobs: usize,
    /// Whether entries are re-verified.
    pub checks: EntryChecks,
    /// Whether to draw a progress bar (on a terminal).
    pub progress: bool,
}

/// A log to replay.
#[derive(Clone, Debug)]
pub struct Target {
    /// Which one.
    pub log: LogName,
    /// Its client.
    pub client: LogClient,
}

/// Whether a pass writes what it finds to the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Writes {
    Record,
    /// The divergence search after a failed incremental pass: compare only.
    CompareOnly,
}

/// What one log's replay produced, besides failures.
struct PassResult {
    tree: TreeReplay,
    fetched: u64,
    verified: u64,
    failures: Vec<Failure>,
    /// A rewritten history was found (the first failure says where).
    rewritten: bool,
}

/// The replayer: verifier, state, options, and the new entries seen (for `--follow`).
pub struct Replayer {
    auditor: Arc<Auditor>,
    state: State,
    options: Options,
    /// Lines describing each new verified entry, when collected.
    pub events: Option<Vec<String>>,
}

impl Replayer {
    /// A replayer over `verifier`'s trusted root and `state`.
    pub fn new(verifier: Arc<Verifier>, state: State, options: Options) -> Self {
        Self {
            auditor: Arc::new(Auditor::new(verifier)),
            state,
            options,
            events: None,
        }
    }

    /// The state (for inventories).
    pub fn state(&mut self) -> &mut State {
        &mut self.state
    }

    /// Replays `tlog` and, if given, `ct`, and reports.
    pub async fn run(&mut self, tlog: &Target, ct: Option<&Target>) -> Result<Report> {
        let mut report = Report::default();
        let tlog_cp = self
            .checkpoint(tlog, LogRole::Signatures, &mut report)
            .await;
        let ct_cp = match ct {
            Some(ct) => Some(
                self.checkpoint(ct, LogRole::Certificates, &mut report)
                    .await,
            ),
            None => None,
        };
        let mut trees_ok = true;
        if let (Some(ct), Some(Some((cp, note)))) = (ct, &ct_cp) {
            trees_ok &= self
                .replay_log(ct, cp, note, Contents::Certificates, &mut report)
                .await?;
        } else if ct.is_some() {
            trees_ok = false;
        }
        if let Some((cp, note)) = &tlog_cp {
            let contents = Contents::Signatures { log_id: cp.log_id };
            trees_ok &= self
                .replay_log(tlog, cp, note, contents, &mut report)
                .await?;
        } else {
            trees_ok = false;
        }
        if ct.is_some() && trees_ok && self.options.checks == EntryChecks::Verify {
            report
                .failures
                .extend(self.state.certificates_missing_from_ct().await?);
            report.unused_certificates = self.state.unused_certificates().await?;
        }
        report.clean = report.failures.is_empty();
        Ok(report)
    }

    /// Fetches and verifies a log's checkpoint; a failure goes into the report.
    async fn checkpoint(
        &self,
        target: &Target,
        role: LogRole,
        report: &mut Report,
    ) -> Option<(VerifiedCheckpoint, String)> {
        let mut client = target.client.clone();
        client.max_bytes = client.max_bytes.min(MAX_CHECKPOINT_BYTES);
        let note = match client.get("checkpoint").await {
            Ok(b) => b,
            Err(e) => {
                report.failures.push(Failure::new(
                    target.log,
                    None,
                    e.check(),
                    format!("checkpoint: {e}"),
                ));
                return None;
            }
        };
        let Ok(note) = String::from_utf8(note) else {
            report.failures.push(Failure::new(
                target.log,
                None,
                "checkpoint-format",
                "the checkpoint is not UTF-8",
            ));
            return None;
        };
        match self.auditor.checkpoint(&note, role) {
            Ok(cp) => Some((cp, note)),
            Err(e) => {
                report
                    .failures
                    .push(Failure::new(target.log, None, e.check(), e.to_string()));
                None
            }
        }
    }

    /// Replays one log against its verified checkpoint; true if its tree verified.
    async fn replay_log(
        &mut self,
        target: &Target,
        cp: &VerifiedCheckpoint,
        note: &str,
        contents: Contents,
        report: &mut Report,
    ) -> Result<bool> {
        let log = target.log;
        let size = cp.checkpoint.size;
        let root = cp.checkpoint.root;
        let log_id = cp.log_id.to_string();
        let saved = self.state.saved(log).await?;
        let mut summary = LogSummary {
            role: log.as_str().to_owned(),
            url: target.client.base().to_string(),
            origin: cp.checkpoint.origin.clone(),
            tree_size: size,
            root_hash: root.to_hex(),
            previous_tree_size: saved.as_ref().map(|s| s.size),
            ..LogSummary::default()
        };
        if let Some(s) = &saved {
            if s.origin != cp.checkpoint.origin || s.log_id != log_id {
                report.failures.push(Failure::new(
                    log,
                    None,
                    STATE_MISMATCH,
                    format!(
                        "the saved state is of log {:?} (key {}), this checkpoint is {:?} (key {log_id}): use another --state file",
                        s.origin, s.log_id, cp.checkpoint.origin
                    ),
                ));
                report.logs.push(summary);
                return Ok(false);
            }
            if size < s.size {
                report.failures.push(Failure::new(
                    log,
                    Some(size),
                    LOG_SHRANK,
                    format!(
                        "the log now has {size} entries, the saved checkpoint {}",
                        s.size
                    ),
                ));
                report.logs.push(summary);
                return Ok(false);
            }
        }
        // Failures an earlier run found in entries this run will not fetch again.
        let start = saved.as_ref().map_or(0, |s| s.size);
        report
            .failures
            .extend(self.state.findings(log, start).await?);

        self.state.begin().await?;
        let pass = self
            .pass(target, cp, contents, saved.as_ref(), Writes::Record)
            .await;
        let mut pass = match pass {
            Ok(p) => p,
            Err(e) => {
                self.state.rollback().await?;
                return Err(e);
            }
        };
        let tree_failures = pass.tree.finish(size, &root);
        let tree_ok = tree_failures.is_empty() && !pass.rewritten;
        summary.entries_fetched = pass.fetched;
        summary.entries_verified = pass.verified;
        if tree_ok {
            let range = pass.tree.range().clone();
            self.state
                .save_checkpoint(
                    log,
                    target.client.base().as_str(),
                    &SavedLog {
                        origin: cp.checkpoint.origin.clone(),
                        log_id,
                        size,
                        root,
                        range,
                    },
                    note,
                )
                .await?;
            self.state.commit().await?;
            report.failures.append(&mut pass.failures);
        } else {
            self.state.rollback().await?;
            report.failures.append(&mut pass.failures);
            if let (Some(saved), false) = (&saved, pass.rewritten) {
                // The new tree does not extend the saved one (or does not verify): look
                // for the first entry that differs from what the saved checkpoint covers.
                let search = self
                    .pass(target, cp, contents, Some(saved), Writes::CompareOnly)
                    .await?;
                report.failures.extend(
                    search
                        .failures
                        .into_iter()
                        .filter(|f| f.check == INCONSISTENT_WITH_STATE),
                );
            }
            report.failures.extend(tree_failures);
        }
        report.logs.push(summary);
        Ok(tree_ok)
    }

    /// One pass over the bundles. `Writes::Record`: from the saved size (incremental),
    /// recording into the state. `Writes::CompareOnly`: from 0, hashing only, comparing
    /// every entry the saved checkpoint covers with its saved leaf.
    async fn pass(
        &mut self,
        target: &Target,
        cp: &VerifiedCheckpoint,
        contents: Contents,
        saved: Option<&SavedLog>,
        writes: Writes,
    ) -> Result<PassResult> {
        let log = target.log;
        let size = cp.checkpoint.size;
        let saved_size = saved.map_or(0, |s| s.size);
        let (start, range) = match (writes, saved) {
            (Writes::Record, Some(s)) => (s.size, s.range.clone()),
            _ => (0, CompactRange::new()),
        };
        let checks = match writes {
            Writes::Record => self.options.checks,
            Writes::CompareOnly => EntryChecks::HashOnly,
        };
        let mut result = PassResult {
            tree: TreeReplay::new(log, range),
            fetched: 0,
            verified: 0,
            failures: Vec::new(),
            rewritten: false,
        };
        // Nothing new: the saved compact range already is the tree (its root is compared
        // with the checkpoint's by `TreeReplay::finish`).
        let first_bundle = if start == size {
            size.div_ceil(TILE_WIDTH)
        } else {
            start / TILE_WIDTH
        };
        let bundles = size.div_ceil(TILE_WIDTH);
        let progress = self.progress_bar(log, size.saturating_sub(first_bundle * TILE_WIDTH));
        let mut window: VecDeque<JoinHandle<BundleOutcome>> = VecDeque::new();
        let mut next = first_bundle;
        while next < bundles || !window.is_empty() {
            // An unreadable bundle stops the tree: fetch nothing more (a log claiming an
            // absurd size cannot keep the auditor fetching failures).
            if result.tree.broken_at().is_some() {
                next = bundles;
            }
            while next < bundles && window.len() < self.options.jobs.max(1) {
                let width = entry_bundle_width_at(next, size);
                let first = next * TILE_WIDTH;
                let known = u16::try_from(saved_size.saturating_sub(first).min(u64::from(width)))
                    .unwrap_or(width);
                window.push_back(tokio::spawn(fetch_and_process(
                    target.client.clone(),
                    Arc::clone(&self.auditor),
                    contents,
                    EntryBundleId { index: next, width },
                    known,
                    checks,
                )));
                next += 1;
            }
            let Some(handle) = window.pop_front() else {
                break;
            };
            let outcome = handle.await?;
            let bundle = outcome.first_index / TILE_WIDTH;
            let width = entry_bundle_width_at(bundle, size);
            let saved_prefix = if outcome.first_index < saved_size {
                let n = usize::try_from(saved_size - outcome.first_index)
                    .unwrap_or(usize::MAX)
                    .min(usize::from(width));
                let mut leaves = self.state.leaves(log, bundle).await?;
                leaves.truncate(n);
                leaves
            } else {
                Vec::new()
            };
            if let Some(f) = result.tree.append(&outcome, &saved_prefix) {
                if !result.rewritten {
                    result.failures.push(f);
                }
                result.rewritten = true;
            }
            result.fetched += u64::from(width);
            result.verified += outcome.records.len() as u64;
            progress.inc(u64::from(width));
            if writes == Writes::Record {
                if !outcome.leaves.is_empty() {
                    self.state.save_leaves(log, bundle, &outcome.leaves).await?;
                }
                for r in &outcome.records {
                    self.state.record(r).await?;
                    if let Some(events) = &mut self.events {
                        events.push(describe(r));
                    }
                }
                for f in &outcome.failures {
                    self.state.save_finding(f).await?;
                }
                result.failures.extend(outcome.failures);
            }
        }
        progress.finish_and_clear();
        Ok(result)
    }

    fn progress_bar(&self, log: LogName, entries: u64) -> ProgressBar {
        if !self.options.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(entries), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix:>4} {bar:30} {pos}/{len} entries  {per_sec}  ETA {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(log.as_str());
        bar
    }
}

/// Fetches bundle `id`'s entries, level-0 hash tile and (to verify) entry-meta, and
/// processes them on the blocking pool. A failed fetch becomes a failure in the outcome.
async fn fetch_and_process(
    client: LogClient,
    auditor: Arc<Auditor>,
    contents: Contents,
    id: EntryBundleId,
    known: u16,
    checks: EntryChecks,
) -> BundleOutcome {
    let log = match contents {
        Contents::Signatures { .. } => LogName::Tlog,
        Contents::Certificates => LogName::Ct,
    };
    let first = id.first_entry();
    let entries_path = id.path();
    let tile_path = TileId {
        level: 0,
        index: id.index,
        width: id.width,
    }
    .path();
    let meta_path = entries_path.replacen("tile/entries/", "signet/v1/entry-meta/", 1);
    let want_meta = checks == EntryChecks::Verify && known < id.width;
    let (entries, tile, meta) =
        tokio::join!(client.get(&entries_path), client.get(&tile_path), async {
            if want_meta {
                Some(client.get(&meta_path).await)
            } else {
                None
            }
        });
    let mut failures = Vec::new();
    let mut fetched = |r: Result<Vec<u8>, super::fetch::FetchError>| match r {
        Ok(b) => Some(b),
        Err(e) => {
            failures.push(Failure::new(log, Some(first), e.check(), e.to_string()));
            None
        }
    };
    let entries = fetched(entries);
    let tile = fetched(tile);
    let meta = meta.and_then(&mut fetched);
    let Some(entries) = entries else {
        return BundleOutcome {
            first_index: first,
            failures,
            ..BundleOutcome::default()
        };
    };
    let joined = tokio::task::spawn_blocking(move || {
        process::process_bundle(
            &auditor,
            contents,
            &BundleInput {
                first_index: first,
                width: id.width,
                entries: &entries,
                hash_tile: tile.as_deref(),
                meta: meta.as_deref(),
                known,
            },
            if meta.is_some() {
                checks
            } else {
                EntryChecks::HashOnly
            },
        )
    })
    .await;
    let mut outcome = joined.unwrap_or_else(|e| BundleOutcome {
        first_index: first,
        failures: vec![Failure::new(
            log,
            Some(first),
            "internal",
            format!("processing panicked: {e}"),
        )],
        ..BundleOutcome::default()
    });
    failures.append(&mut outcome.failures);
    outcome.failures = failures;
    outcome
}

/// One line describing a verified entry (for `--follow`).
fn describe(r: &EntryRecord) -> String {
    use signet_verifier::audit::AuditedSigner;
    match r {
        EntryRecord::Issued { index, entry } => format!(
            "ct   {index:>8}  issued   {} ({}) allowed by {} / {}",
            entry
                .certificate
                .identity
                .sans
                .first()
                .map_or("?", |s| s.value()),
            entry.certificate.identity.issuer,
            entry.issuance.allowed_by_issuer,
            entry.issuance.allowed_by_rule
        ),
        EntryRecord::Signed { index, signers, .. } => {
            let who: Vec<String> = signers
                .iter()
                .map(|s| match s {
                    AuditedSigner::Certificate(c) => format!(
                        "{} ({})",
                        c.identity.sans.first().map_or("?", |s| s.value()),
                        c.identity.issuer
                    ),
                    AuditedSigner::Key { fingerprint } => format!("key {fingerprint}"),
                    _ => "?".to_owned(),
                })
                .collect();
            format!("tlog {index:>8}  signed   by {}", who.join(", "))
        }
    }
}
