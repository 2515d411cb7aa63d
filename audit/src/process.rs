//! One bundle of a replay: leaf hashes, subtree root, and every entry re-verified.
//!
//! Bundles are independent of each other, so a replay processes them in parallel and
//! folds the outcomes into the tree in order ([`crate::tree`]).

use signet_tlog_core::hash::{leaf_hash, Hash};
use signet_tlog_core::tile::TILE_WIDTH;
use signet_tlog_core::tree::CompactRange;
use signet_verifier::audit::{AuditedCtEntry, AuditedSigner, Auditor, LoggedEntry};
use signet_verifier::common::LogId;

use crate::bundle::{self, EntryMeta};
use crate::report::{Failure, LogName, MALFORMED_TILE};

/// What a log's entries are, and so how they are re-verified.
#[derive(Clone, Copy, Debug)]
pub enum Contents {
    /// Rekor v1 entries of the trusted log `log_id`.
    Signatures {
        /// The log (from its verified checkpoint).
        log_id: LogId,
    },
    /// CT precertificate leaves.
    Certificates,
}

impl Contents {
    fn log(self) -> LogName {
        match self {
            Self::Signatures { .. } => LogName::Tlog,
            Self::Certificates => LogName::Ct,
        }
    }
}

/// Whether entries are re-verified or only hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryChecks {
    /// Re-verify every entry (the default of `signet audit replay`).
    Verify,
    /// Hash only: the tree is recomputed, entries are not checked.
    HashOnly,
}

/// One bundle as fetched.
#[derive(Clone, Copy, Debug)]
pub struct BundleInput<'a> {
    /// Index of the bundle's first entry (a multiple of 256).
    pub first_index: u64,
    /// Entries in the bundle.
    pub width: u16,
    /// The entry bundle.
    pub entries: &'a [u8],
    /// The level-0 hash tile of the same index and width; `None` if it could not be
    /// fetched (the caller reported why; the tree is then built from the entries alone).
    pub hash_tile: Option<&'a [u8]>,
    /// The entry-meta bundle (needed to verify).
    pub meta: Option<&'a [u8]>,
    /// Entries at the start of the bundle that an earlier run already verified.
    pub known: u16,
}

/// What an entry was, once verified.
#[derive(Clone, Debug)]
pub enum EntryRecord {
    /// A signing event.
    Signed {
        /// Its index.
        index: u64,
        /// Integrated time, Unix seconds (signed by the SET).
        integrated_time: i64,
        /// Who signed.
        signers: Vec<AuditedSigner>,
    },
    /// A certificate issued.
    Issued {
        /// Its index.
        index: u64,
        /// The entry.
        entry: Box<AuditedCtEntry>,
    },
}

/// The outcome of one bundle.
#[derive(Clone, Debug, Default)]
pub struct BundleOutcome {
    /// Index of the first entry.
    pub first_index: u64,
    /// Leaf hashes of the entries (empty if the bundle could not be split: the tree
    /// cannot be recomputed past it).
    pub leaves: Vec<Hash>,
    /// Root of the bundle's 256 leaves, for a full bundle.
    pub subtree: Option<Hash>,
    /// The hash tile's leaves (empty if it could not be read).
    pub tile_leaves: Vec<Hash>,
    /// Verified entries (those after `known`).
    pub records: Vec<EntryRecord>,
    /// Failures.
    pub failures: Vec<Failure>,
}

/// Processes one bundle (module documentation).
#[must_use]
pub fn process_bundle(
    auditor: &Auditor,
    contents: Contents,
    input: &BundleInput<'_>,
    checks: EntryChecks,
) -> BundleOutcome {
    let log = contents.log();
    let mut out = BundleOutcome {
        first_index: input.first_index,
        ..BundleOutcome::default()
    };
    match input
        .hash_tile
        .map(|tile| bundle::split_hash_tile(tile, input.width))
    {
        None => {}
        Some(Ok(t)) => out.tile_leaves = t,
        Some(Err(e)) => out.failures.push(Failure::new(
            log,
            Some(input.first_index),
            MALFORMED_TILE,
            format!("hash tile 0/{}: {e}", input.first_index / TILE_WIDTH),
        )),
    }
    let entries = match bundle::split_entry_bundle(input.entries, input.first_index, input.width) {
        Ok(e) => e,
        Err(e) => {
            let index = match e {
                bundle::BundleError::Truncated { index } => index,
                _ => input.first_index,
            };
            out.failures.push(Failure::new(
                log,
                Some(index),
                MALFORMED_TILE,
                e.to_string(),
            ));
            return out;
        }
    };
    out.leaves = entries.iter().map(|e| leaf_hash(e)).collect();
    if out.leaves.len() as u64 == TILE_WIDTH {
        let mut range = CompactRange::new();
        for l in &out.leaves {
            range.append(*l, &mut |_, _| {});
        }
        out.subtree = Some(range.root());
    }
    if checks == EntryChecks::HashOnly {
        return out;
    }
    let metas: Vec<EntryMeta> = match input
        .meta
        .map(|m| bundle::parse_entry_meta(m, input.first_index, input.width))
    {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            out.failures.push(Failure::new(
                log,
                Some(input.first_index),
                MALFORMED_TILE,
                e.to_string(),
            ));
            Vec::new()
        }
        None => Vec::new(),
    };
    for (offset, body) in entries.iter().enumerate().skip(usize::from(input.known)) {
        let index = input.first_index + offset as u64;
        let meta = metas.get(offset);
        let result = match contents {
            Contents::Signatures { log_id } => {
                let Some(meta) = meta else {
                    continue; // reported once above (no usable entry-meta bundle)
                };
                auditor
                    .rekor_entry(
                        &log_id,
                        &LoggedEntry {
                            index,
                            body,
                            integrated_time: meta.integrated_time,
                            signed_entry_timestamp: meta.signed_entry_timestamp.as_deref(),
                            extra: meta.extra.as_deref(),
                        },
                    )
                    .map(|e| EntryRecord::Signed {
                        index,
                        integrated_time: meta.integrated_time,
                        signers: e.signers,
                    })
            }
            Contents::Certificates => auditor
                .ct_entry(body, meta.and_then(|m| m.extra.as_deref()))
                .map(|entry| EntryRecord::Issued {
                    index,
                    entry: Box::new(entry),
                }),
        };
        match result {
            Ok(r) => out.records.push(r),
            Err(e) => out
                .failures
                .push(Failure::new(log, Some(index), e.check(), e.to_string())),
        }
    }
    out
}
