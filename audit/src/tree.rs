//! Folding bundle outcomes into the tree, in index order, and judging it against the
//! signed checkpoint (RFC 6962 §2.1; C2SP tlog-tiles).
//!
//! Two trees are built side by side: one from the re-hashed entries, one from the log's
//! level-0 hash tiles. They differ only where an entry and its tile leaf disagree, and
//! which of them hashes to the checkpoint's root tells which the log altered:
//!
//! * entries differ, tiles match the checkpoint → the entry was altered after inclusion
//!   ([`ENTRY_ALTERED`]);
//! * entries match the checkpoint, tiles differ → the tile does not match the checkpoint
//!   ([`HASH_TILE`]);
//! * neither → [`ROOT_MISMATCH`], at the first differing index if there is one.
//!
//! On an incremental run the trees start from the saved compact range; the entries the
//! earlier run saw at the start of the first bundle are compared with the saved leaves
//! (a difference is a rewritten history, [`INCONSISTENT_WITH_STATE`]). Reaching the
//! checkpoint's root from the saved compact range proves the new tree extends the saved
//! one.

use signet_tlog_core::hash::Hash;
use signet_tlog_core::tile::TILE_WIDTH;
use signet_tlog_core::tree::CompactRange;

use crate::process::BundleOutcome;
use crate::report::{
    Failure, LogName, ENTRY_ALTERED, HASH_TILE, INCONSISTENT_WITH_STATE, ROOT_MISMATCH,
};

/// Most differing indices remembered (the report names the first ones).
pub const MAX_MISMATCHES: usize = 64;

/// The tree being recomputed.
#[derive(Clone, Debug)]
pub struct TreeReplay {
    log: LogName,
    entries: CompactRange,
    tiles: CompactRange,
    /// Indices where an entry's leaf hash differs from its hash-tile leaf.
    mismatches: Vec<u64>,
    mismatch_count: u64,
    /// Set once a bundle could not be hashed: the tree stops there.
    broken_at: Option<u64>,
}

impl TreeReplay {
    /// Starts from `saved` (the empty range for a first run).
    #[must_use]
    pub fn new(log: LogName, saved: CompactRange) -> Self {
        Self {
            log,
            entries: saved.clone(),
            tiles: saved,
            mismatches: Vec::new(),
            mismatch_count: 0,
            broken_at: None,
        }
    }

    /// Leaves folded so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.entries.size()
    }

    /// The compact range of the re-hashed entries.
    #[must_use]
    pub fn range(&self) -> &CompactRange {
        &self.entries
    }

    /// Whether the tree stopped at an unreadable bundle.
    #[must_use]
    pub fn broken_at(&self) -> Option<u64> {
        self.broken_at
    }

    /// Folds the next bundle. `saved_prefix` holds the leaves an earlier run recorded for
    /// the entries of this bundle before the saved size; a difference from them is
    /// returned as an [`INCONSISTENT_WITH_STATE`] failure (history rewritten).
    pub fn append(&mut self, outcome: &BundleOutcome, saved_prefix: &[Hash]) -> Option<Failure> {
        if self.broken_at.is_some() {
            return None;
        }
        if outcome.leaves.is_empty() {
            self.broken_at = Some(outcome.first_index);
            return None;
        }
        let mut rewritten = None;
        for (offset, saved) in saved_prefix.iter().enumerate() {
            if outcome.leaves.get(offset) != Some(saved) {
                rewritten = Some(Failure::new(
                    self.log,
                    Some(outcome.first_index + offset as u64),
                    INCONSISTENT_WITH_STATE,
                    "this entry differs from the one the saved checkpoint covers: the log rewrote its history",
                ));
                break;
            }
        }
        let tile_view: &[Hash] = if outcome.tile_leaves.len() == outcome.leaves.len() {
            &outcome.tile_leaves
        } else {
            &outcome.leaves
        };
        let mut tiles_differ = false;
        for (offset, (e, t)) in outcome.leaves.iter().zip(tile_view).enumerate() {
            if e != t {
                tiles_differ = true;
                self.mismatch_count += 1;
                if self.mismatches.len() < MAX_MISMATCHES {
                    self.mismatches.push(outcome.first_index + offset as u64);
                }
            }
        }
        // Entries of this bundle already in the tree (a resumed run re-serves them).
        let skip =
            usize::try_from(self.entries.size().saturating_sub(outcome.first_index)).unwrap_or(0);
        let aligned = skip == 0 && outcome.first_index.is_multiple_of(TILE_WIDTH);
        match (aligned, outcome.subtree) {
            (true, Some(subtree)) if !tiles_differ => {
                // The fast path: one subtree append for both views.
                let _ = self.entries.try_append_subtree(8, subtree, &mut |_, _| {});
                let _ = self.tiles.try_append_subtree(8, subtree, &mut |_, _| {});
            }
            _ => {
                for (e, t) in outcome.leaves.iter().zip(tile_view).skip(skip) {
                    self.entries.append(*e, &mut |_, _| {});
                    self.tiles.append(*t, &mut |_, _| {});
                }
            }
        }
        rewritten
    }

    /// Judges the recomputed trees against the checkpoint's `size` and `root`. Returns
    /// the failures (none for a log whose entries, tiles and checkpoint agree).
    #[must_use]
    pub fn finish(&self, size: u64, root: &Hash) -> Vec<Failure> {
        let log = self.log;
        if let Some(at) = self.broken_at {
            return vec![Failure::new(
                log,
                Some(at),
                ROOT_MISMATCH,
                format!("the tree cannot be recomputed past entry {at}: its bundle is unreadable"),
            )];
        }
        if self.entries.size() != size {
            return vec![Failure::new(
                log,
                None,
                ROOT_MISMATCH,
                format!(
                    "recomputed {} leaves, the checkpoint says {size}",
                    self.entries.size()
                ),
            )];
        }
        let entries_ok = self.entries.root() == *root;
        let tiles_ok = self.tiles.root() == *root;
        let more = |n: u64| {
            if n > self.mismatches.len() as u64 {
                format!(" ({n} differing leaves in all)")
            } else {
                String::new()
            }
        };
        match (entries_ok, tiles_ok) {
            (true, true) => Vec::new(),
            (true, false) => self
                .mismatches
                .iter()
                .map(|&i| {
                    Failure::new(
                        log,
                        Some(i),
                        HASH_TILE,
                        format!(
                            "the level-0 hash tile's leaf differs from the entry, and the entries hash to the checkpoint's root{}",
                            more(self.mismatch_count)
                        ),
                    )
                })
                .collect(),
            (false, true) => self
                .mismatches
                .iter()
                .map(|&i| {
                    Failure::new(
                        log,
                        Some(i),
                        ENTRY_ALTERED,
                        format!(
                            "the entry does not hash to the leaf the checkpoint commits to (altered after inclusion){}",
                            more(self.mismatch_count)
                        ),
                    )
                })
                .collect(),
            (false, false) => vec![Failure::new(
                log,
                self.mismatches.first().copied(),
                ROOT_MISMATCH,
                format!(
                    "neither the entries nor the hash tiles hash to the checkpoint's root {}",
                    root.to_hex()
                ),
            )],
        }
    }
}

#[cfg(test)]
mod tests {
    use signet_tlog_core::hash::leaf_hash;

    use super::*;

    fn outcome(first: u64, leaves: Vec<Hash>) -> BundleOutcome {
        let subtree = (leaves.len() == 256).then(|| {
            let mut r = CompactRange::new();
            for l in &leaves {
                r.append(*l, &mut |_, _| {});
            }
            r.root()
        });
        BundleOutcome {
            first_index: first,
            tile_leaves: leaves.clone(),
            leaves,
            subtree,
            ..BundleOutcome::default()
        }
    }

    fn leaves(range: std::ops::Range<u64>) -> Vec<Hash> {
        range.map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn reference_root(n: u64) -> Hash {
        let mut r = CompactRange::new();
        for l in leaves(0..n) {
            r.append(l, &mut |_, _| {});
        }
        r.root()
    }

    #[test]
    fn honest_trees_verify_from_scratch_and_incrementally() {
        let mut t = TreeReplay::new(LogName::Tlog, CompactRange::new());
        assert!(t.append(&outcome(0, leaves(0..256)), &[]).is_none());
        assert!(t.append(&outcome(256, leaves(256..300)), &[]).is_none());
        assert!(t.finish(300, &reference_root(300)).is_empty());

        // Resume at 300: the bundle at 256 is served again, now with 100 entries.
        let mut resumed = TreeReplay::new(LogName::Tlog, t.range().clone());
        let saved = leaves(256..300);
        assert!(resumed
            .append(&outcome(256, leaves(256..356)), &saved)
            .is_none());
        assert!(resumed.finish(356, &reference_root(356)).is_empty());
        assert!(!resumed.finish(356, &reference_root(355)).is_empty());
    }

    #[test]
    fn altered_entry_and_lying_tile_are_told_apart() {
        let root = reference_root(300);
        // An entry altered after inclusion: the tile still has the committed leaf.
        let mut o = outcome(0, leaves(0..256));
        o.leaves[17] = leaf_hash(b"altered");
        o.subtree = Some(Hash::from([0; 32]));
        let mut t = TreeReplay::new(LogName::Tlog, CompactRange::new());
        t.append(&o, &[]);
        t.append(&outcome(256, leaves(256..300)), &[]);
        let f = t.finish(300, &root);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].index, f[0].check.as_str()), (Some(17), ENTRY_ALTERED));

        // A tile that lies: the entry is right.
        let mut o = outcome(0, leaves(0..256));
        o.tile_leaves[200] = leaf_hash(b"lie");
        let mut t = TreeReplay::new(LogName::Tlog, CompactRange::new());
        t.append(&o, &[]);
        t.append(&outcome(256, leaves(256..300)), &[]);
        let f = t.finish(300, &root);
        assert_eq!((f[0].index, f[0].check.as_str()), (Some(200), HASH_TILE));
    }

    #[test]
    fn rewritten_history_is_found_at_its_first_index() {
        let mut saved = TreeReplay::new(LogName::Tlog, CompactRange::new());
        saved.append(&outcome(0, leaves(0..100)), &[]);
        let mut forked = leaves(0..150);
        forked[42] = leaf_hash(b"rewritten");
        let mut t = TreeReplay::new(LogName::Tlog, saved.range().clone());
        let f = t.append(&outcome(0, forked), &leaves(0..100)).unwrap();
        assert_eq!(
            (f.index, f.check.as_str()),
            (Some(42), INCONSISTENT_WITH_STATE)
        );
    }

    #[test]
    fn an_unreadable_bundle_stops_the_tree() {
        let mut t = TreeReplay::new(LogName::Ct, CompactRange::new());
        t.append(&outcome(0, Vec::new()), &[]);
        t.append(&outcome(256, leaves(256..260)), &[]);
        let f = t.finish(260, &reference_root(260));
        assert_eq!((f[0].index, f[0].check.as_str()), (Some(0), ROOT_MISMATCH));
    }
}
