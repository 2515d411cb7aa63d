//! Complete subtrees and the compact range of an append-only RFC 6962 tree (PROTOCOL.md §9).
//!
//! A tree of `size` leaves `D[0:size]` is, by RFC 6962 §2.1, the right-to-left fold of its
//! *frontier*: the perfect subtrees given by the set bits of `size`, largest (leftmost) first.
//! A log only needs those `popcount(size)` hashes in memory to keep appending, and it stores
//! every *complete* node ([`NodeId`] with `end() <= size`) as it becomes complete.

use crate::hash::{empty_root, node_hash, Hash};

/// A complete (perfect) subtree: leaves `[index << level, (index + 1) << level)`.
///
/// `level` 0 is a leaf; level `l` nodes have `2^l` leaves. Ordering is by level, then index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct NodeId {
    /// Height above the leaves (0 = leaf).
    pub level: u8,
    /// Position among the nodes of this level, left to right.
    pub index: u64,
}

impl NodeId {
    /// The node at `level` and `index`.
    #[must_use]
    pub fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }

    /// First leaf covered (inclusive). Saturates at `u64::MAX` for nodes that lie beyond
    /// any tree representable with a `u64` size.
    #[must_use]
    pub fn begin(&self) -> u64 {
        shl_saturating(self.index, self.level)
    }

    /// One past the last leaf covered. Saturates at `u64::MAX` (see [`NodeId::begin`]).
    #[must_use]
    pub fn end(&self) -> u64 {
        match self.index.checked_add(1) {
            Some(next) => shl_saturating(next, self.level),
            None => u64::MAX,
        }
    }
}

/// `value << shift`, saturating to `u64::MAX` when bits would be lost.
fn shl_saturating(value: u64, shift: u8) -> u64 {
    if value == 0 {
        return 0;
    }
    if u32::from(shift) >= u64::BITS || value.leading_zeros() < u32::from(shift) {
        return u64::MAX;
    }
    value << shift
}

/// Errors building or growing a [`CompactRange`].
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TreeError {
    /// A compact range of `size` leaves holds exactly `popcount(size)` hashes.
    #[error("a compact range of size {size} needs {expected} hashes, got {got}")]
    FrontierLength {
        /// The tree size claimed.
        size: u64,
        /// `popcount(size)`.
        expected: usize,
        /// Number of hashes supplied.
        got: usize,
    },
    /// A complete subtree of `2^level` leaves can be appended only where it starts on a
    /// multiple of its width, i.e. when `size` is one.
    #[error("a subtree of level {level} cannot be appended to a tree of {size} leaves (the size must be a multiple of 2^{level})")]
    MisalignedSubtree {
        /// The subtree's level.
        level: u8,
        /// The current size.
        size: u64,
    },
    /// The tree already holds `u64::MAX` leaves and cannot grow.
    #[error("the tree is full ({size} leaves)")]
    TreeFull {
        /// The current size.
        size: u64,
    },
}

/// The compact range `[0, size)`: the roots of the complete subtrees, one per set bit of
/// `size`, left to right (largest first). This is all a log needs in memory to append.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The empty tree.
    #[must_use]
    pub fn new() -> Self {
        CompactRange::default()
    }

    /// Ids of the frontier subtrees of a tree of `size` leaves, left to right
    /// (one per set bit of `size`, highest bit first).
    #[must_use]
    pub fn frontier_ids(size: u64) -> Vec<NodeId> {
        let mut ids = Vec::with_capacity(size.count_ones() as usize);
        push_decomposition(0, size, &mut ids);
        ids
    }

    /// Rebuilds a compact range from a stored size and its frontier hashes (as returned by
    /// [`CompactRange::hashes`], left to right).
    ///
    /// # Errors
    /// [`TreeError::FrontierLength`] unless `hashes.len() == popcount(size)`.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self, TreeError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(TreeError::FrontierLength {
                size,
                expected,
                got: hashes.len(),
            });
        }
        Ok(CompactRange { size, hashes })
    }

    /// Number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Frontier hashes, left to right (the subtrees of [`CompactRange::frontier_ids`]).
    #[must_use]
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// The hash of `id` if it is one of this range's frontier subtrees, in O(1).
    ///
    /// The subtree of level `l` is in the frontier iff bit `l` of `size` is set, and then
    /// it starts where the higher set bits end (`size` with bits `0..=l` cleared); the
    /// hashes are ordered by descending level, so it is preceded by one hash per higher
    /// set bit. A proof for the tree of `size` uses exactly these nodes for the part of
    /// the tree right of a complete subtree (RFC 9162 §2.1.3), so a server holding this
    /// range needs no storage read for them.
    #[must_use]
    pub fn frontier_hash(&self, id: NodeId) -> Option<Hash> {
        let level = u32::from(id.level);
        if level >= u64::BITS || (self.size >> level) & 1 == 0 {
            return None;
        }
        let above = self.size.checked_shr(level + 1).unwrap_or(0);
        let begin = above.checked_shl(level + 1).unwrap_or(0);
        if id.index != begin >> level {
            return None;
        }
        self.hashes.get(above.count_ones() as usize).copied()
    }

    /// Appends one leaf hash; calls `on_node` for every node that becomes complete,
    /// including the leaf itself (level 0) and each merged parent (level 1, 2, ...),
    /// bottom-up.
    ///
    /// A tree of `u64::MAX` leaves cannot grow (2^64 appends are not reachable in practice):
    /// the leaf is then ignored and `on_node` is not called. Use
    /// [`CompactRange::try_append`] to observe that case as an error.
    pub fn append(&mut self, leaf: Hash, on_node: &mut impl FnMut(NodeId, Hash)) {
        // The only error is TreeFull, documented above as a no-op.
        let _ = self.try_append(leaf, on_node);
    }

    /// [`CompactRange::append`], reporting a full tree instead of ignoring the leaf.
    ///
    /// # Errors
    /// [`TreeError::TreeFull`] if the tree already holds `u64::MAX` leaves.
    pub fn try_append(
        &mut self,
        leaf: Hash,
        on_node: &mut impl FnMut(NodeId, Hash),
    ) -> Result<(), TreeError> {
        let new_size = self
            .size
            .checked_add(1)
            .ok_or(TreeError::TreeFull { size: self.size })?;
        on_node(NodeId::new(0, self.size), leaf);
        // Each trailing 1 bit of the old size is a frontier subtree of the same level as
        // the node being carried: merge them (RFC 6962 §2.1, k = largest power of two < n).
        let mut carry = leaf;
        let mut level: u8 = 0;
        while (self.size >> level) & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                // Unreachable by construction: hashes.len() == popcount(size).
                break;
            };
            carry = node_hash(&left, &carry);
            level += 1;
            on_node(NodeId::new(level, (new_size >> level) - 1), carry);
        }
        self.hashes.push(carry);
        self.size = new_size;
        Ok(())
    }

    /// Appends a whole complete subtree of `2^level` leaves whose hash is `subtree`
    /// (e.g. the root of a full 256-leaf entry bundle hashed elsewhere, in parallel); calls
    /// `on_node` for the subtree itself and every parent it completes, bottom-up.
    /// Equivalent to appending its leaves one by one (RFC 6962 §2.1: a tree whose size is
    /// a multiple of `2^level` has its frontier nodes at levels `>= level`).
    ///
    /// # Errors
    /// [`TreeError::MisalignedSubtree`] unless `size` is a multiple of `2^level`;
    /// [`TreeError::TreeFull`] if the subtree does not fit below `u64::MAX` leaves.
    pub fn try_append_subtree(
        &mut self,
        level: u8,
        subtree: Hash,
        on_node: &mut impl FnMut(NodeId, Hash),
    ) -> Result<(), TreeError> {
        if u32::from(level) >= u64::BITS {
            return Err(TreeError::TreeFull { size: self.size });
        }
        let width = 1u64 << level;
        if !self.size.is_multiple_of(width) {
            return Err(TreeError::MisalignedSubtree {
                level,
                size: self.size,
            });
        }
        let new_size = self
            .size
            .checked_add(width)
            .ok_or(TreeError::TreeFull { size: self.size })?;
        on_node(NodeId::new(level, self.size >> level), subtree);
        let mut carry = subtree;
        let mut at = level;
        while u32::from(at) < u64::BITS && (self.size >> at) & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                // Unreachable by construction: hashes.len() == popcount(size).
                break;
            };
            carry = node_hash(&left, &carry);
            at += 1;
            on_node(NodeId::new(at, (new_size >> at) - 1), carry);
        }
        self.hashes.push(carry);
        self.size = new_size;
        Ok(())
    }

    /// Root hash `MTH(D[0:size])`; [`empty_root`] when `size == 0`.
    #[must_use]
    pub fn root(&self) -> Hash {
        root_from_frontier(&self.hashes)
    }
}

/// Folds frontier hashes (left to right, largest first) into the tree root: right to left,
/// `H(f0, H(f1, ... H(f_{k-2}, f_{k-1})))` (RFC 6962 §2.1). [`empty_root`] for `[]`.
#[must_use]
pub fn root_from_frontier(hashes: &[Hash]) -> Hash {
    let Some((last, rest)) = hashes.split_last() else {
        return empty_root();
    };
    rest.iter()
        .rev()
        .fold(*last, |acc, left| node_hash(left, &acc))
}

/// Appends to `out` the complete subtrees that tile `[begin, end)`, left to right, when
/// `begin` is a multiple of the largest power of two `<= end - begin` (true of every range
/// this crate decomposes: tree prefixes and the right-edge ranges `D[k:n]` of RFC 6962).
pub(crate) fn push_decomposition(begin: u64, end: u64, out: &mut Vec<NodeId>) {
    let mut at = begin;
    let mut rest = end.saturating_sub(begin);
    while rest != 0 {
        // Highest set bit of the remaining length: levels 63..=0 fit in u8.
        let level = (u64::BITS - 1 - rest.leading_zeros()) as u8;
        out.push(NodeId::new(level, at >> level));
        let width = 1u64 << level;
        at += width;
        rest -= width;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use std::collections::HashMap;

    #[test]
    fn node_bounds() {
        assert_eq!(NodeId::new(0, 5).begin(), 5);
        assert_eq!(NodeId::new(0, 5).end(), 6);
        assert_eq!(NodeId::new(3, 2).begin(), 16);
        assert_eq!(NodeId::new(3, 2).end(), 24);
        assert_eq!(NodeId::new(63, 1).begin(), 1 << 63);
        assert_eq!(NodeId::new(63, 1).end(), u64::MAX);
        assert_eq!(NodeId::new(64, 0).begin(), 0);
        assert_eq!(NodeId::new(64, 0).end(), u64::MAX);
        assert_eq!(NodeId::new(200, 3).begin(), u64::MAX);
        assert_eq!(NodeId::new(0, u64::MAX).end(), u64::MAX);
    }

    #[test]
    fn frontier_hash_finds_exactly_the_frontier_nodes() {
        let mut range = CompactRange::new();
        for size in 0..300u64 {
            let ids = CompactRange::frontier_ids(size);
            for level in 0..10u8 {
                for index in 0..=(size >> level) + 1 {
                    let id = NodeId::new(level, index);
                    let want = ids.iter().position(|f| *f == id).map(|p| range.hashes()[p]);
                    assert_eq!(range.frontier_hash(id), want, "size {size}, {id:?}");
                }
            }
            for id in [NodeId::new(63, 0), NodeId::new(64, 0), NodeId::new(255, 1)] {
                assert_eq!(range.frontier_hash(id), None, "size {size}, {id:?}");
            }
            range.append(leaf_hash(&size.to_be_bytes()), &mut |_, _| {});
        }
        let top = CompactRange::from_parts(u64::MAX, vec![Hash::default(); 64]).unwrap();
        assert!(top.frontier_hash(NodeId::new(63, 0)).is_some());
        assert!(top.frontier_hash(NodeId::new(0, u64::MAX - 1)).is_some());
        assert_eq!(top.frontier_hash(NodeId::new(0, u64::MAX)), None);
    }

    #[test]
    fn appending_a_subtree_equals_appending_its_leaves() {
        let leaves: Vec<Hash> = (0..1000u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for level in [0u8, 1, 3, 8] {
            let width = 1usize << level;
            let mut by_leaf = CompactRange::new();
            let mut by_subtree = CompactRange::new();
            let mut leaf_nodes: HashMap<NodeId, Hash> = HashMap::new();
            for chunk in leaves.chunks(width) {
                let mut subtree_nodes: Vec<(NodeId, Hash)> = Vec::new();
                if chunk.len() == width {
                    let mut inner = CompactRange::new();
                    for l in chunk {
                        inner.append(*l, &mut |_, _| {});
                    }
                    by_subtree
                        .try_append_subtree(level, inner.root(), &mut |id, h| {
                            subtree_nodes.push((id, h));
                        })
                        .unwrap();
                } else {
                    for l in chunk {
                        by_subtree.append(*l, &mut |id, h| subtree_nodes.push((id, h)));
                    }
                }
                for l in chunk {
                    by_leaf.append(*l, &mut |id, h| {
                        leaf_nodes.insert(id, h);
                    });
                }
                assert_eq!(by_leaf, by_subtree, "level {level}");
                for (id, h) in subtree_nodes {
                    assert_eq!(leaf_nodes.get(&id), Some(&h), "{id:?}");
                }
            }
        }
    }

    #[test]
    fn misaligned_subtree_is_refused() {
        let mut range = CompactRange::new();
        range.append(leaf_hash(b"a"), &mut |_, _| {});
        let before = range.clone();
        assert_eq!(
            range.try_append_subtree(1, leaf_hash(b"b"), &mut |_, _| {}),
            Err(TreeError::MisalignedSubtree { level: 1, size: 1 })
        );
        assert_eq!(range, before);
        assert!(range
            .try_append_subtree(64, leaf_hash(b"b"), &mut |_, _| {})
            .is_err());
    }

    #[test]
    fn frontier_ids_follow_set_bits() {
        assert!(CompactRange::frontier_ids(0).is_empty());
        assert_eq!(
            CompactRange::frontier_ids(13),
            vec![NodeId::new(3, 0), NodeId::new(2, 2), NodeId::new(0, 12)]
        );
        let all = CompactRange::frontier_ids(u64::MAX);
        assert_eq!(all.len(), 64);
        assert_eq!(all[0], NodeId::new(63, 0));
        assert_eq!(all[63].end(), u64::MAX);
        for w in all.windows(2) {
            assert_eq!(w[0].end(), w[1].begin());
        }
    }

    #[test]
    fn append_reports_every_complete_node_once() {
        let mut range = CompactRange::new();
        let mut seen: HashMap<NodeId, Hash> = HashMap::new();
        for i in 0..100u64 {
            let mut order = Vec::new();
            range.append(leaf_hash(&i.to_be_bytes()), &mut |id, h| {
                assert!(seen.insert(id, h).is_none(), "{id:?} reported twice");
                order.push(id);
            });
            // Bottom-up: the leaf, then parents of increasing level, all ending at i + 1.
            assert_eq!(order[0], NodeId::new(0, i));
            for (l, id) in order.iter().enumerate() {
                assert_eq!(usize::from(id.level), l);
                assert_eq!(id.end(), i + 1);
            }
            assert_eq!(range.size(), i + 1);
            assert_eq!(range.hashes().len(), (i + 1).count_ones() as usize);
            let frontier: Vec<Hash> = CompactRange::frontier_ids(i + 1)
                .iter()
                .map(|id| seen[id])
                .collect();
            assert_eq!(frontier, range.hashes());
        }
        // Every node with end <= 100 and nothing else.
        let expected: usize = (0..8).map(|l| (100u64 >> l) as usize).sum();
        assert_eq!(seen.len(), expected);
        assert!(seen.keys().all(|id| id.end() <= 100));
    }

    #[test]
    fn from_parts_checks_length_and_round_trips() {
        let mut range = CompactRange::new();
        for i in 0..11u64 {
            range.append(leaf_hash(&i.to_le_bytes()), &mut |_, _| {});
        }
        let copy = CompactRange::from_parts(range.size(), range.hashes().to_vec()).unwrap();
        assert_eq!(copy, range);
        assert_eq!(copy.root(), range.root());
        assert_eq!(
            CompactRange::from_parts(11, vec![Hash::default(); 2]),
            Err(TreeError::FrontierLength {
                size: 11,
                expected: 3,
                got: 2
            })
        );
        assert!(CompactRange::from_parts(0, vec![]).is_ok());
    }

    #[test]
    fn full_tree_rejects_append() {
        let mut range = CompactRange::from_parts(u64::MAX, vec![Hash::default(); 64]).unwrap();
        let before = range.clone();
        let mut called = false;
        assert_eq!(
            range.try_append(Hash::default(), &mut |_, _| called = true),
            Err(TreeError::TreeFull { size: u64::MAX })
        );
        range.append(Hash::default(), &mut |_, _| called = true);
        assert!(!called);
        assert_eq!(range, before);
    }

    #[test]
    fn small_roots_match_rfc6962_definition() {
        let l: Vec<Hash> = (0..3u8).map(|i| leaf_hash(&[i])).collect();
        assert_eq!(CompactRange::new().root(), empty_root());
        let mut range = CompactRange::new();
        range.append(l[0], &mut |_, _| {});
        assert_eq!(range.root(), l[0]);
        range.append(l[1], &mut |_, _| {});
        assert_eq!(range.root(), node_hash(&l[0], &l[1]));
        range.append(l[2], &mut |_, _| {});
        assert_eq!(range.root(), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
    }
}
