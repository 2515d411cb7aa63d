//! Property tests for Merkle proofs: RFC 9162 §2.1.3.2 inclusion and §2.1.4.2 consistency.
//!
//! For random tree sizes (1..=2048, with powers of two and their neighbours over-weighted)
//! and random leaves, the proofs built by the crate's proof plans + `assemble`, the
//! `CompactRange` root and the root plan agree with `oracle::mth`, RFC 6962 §2.1's
//! recursive definition of the tree hash, and verify. Then random mutations of a valid
//! claim (proof hashes, leaf index, tree sizes, roots, leaf hash) are checked: the verifier
//! accepts a mutated claim exactly when it is itself an honest claim (the true roots, the
//! leaf at that index, the proof the crate builds for those sizes), which covers the
//! mutations that give back the same input (swapping two equal hashes, ...).
//!
//! One exception is inherent to RFC 9162: a proof binds the tree size only through the
//! root (the checkpoint signs both together). Changing only a size while keeping the old
//! root is accepted exactly when the RFC's verification loop takes the same steps for both
//! sizes; `rfc_steps` transcribes that control flow (no hashing) to say when.
//!
//! Failures print a seed; `PROPTEST_CASES` overrides the case counts.

// Test crate: helpers outside #[test] fns unwrap too; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::sample::Index;
use signet_tlog_core::hash::{leaf_hash, Hash};
use signet_tlog_core::proof::{
    consistency_plan, inclusion_plan, root_plan, verify_consistency, verify_inclusion,
};
use signet_tlog_core::tree::{root_from_frontier, CompactRange, NodeId};

/// Largest tree size drawn (2^11: a power of two is an edge case).
const MAX_SIZE: u64 = 2048;

/// RFC 6962 §2.1, word for word: the test's oracle.
mod oracle {
    use signet_tlog_core::hash::{empty_root, node_hash, Hash};

    /// MTH(D[n]): k is the largest power of two smaller than n.
    pub fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => empty_root(),
            1 => d[0],
            n => {
                let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
                node_hash(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }
}

/// RFC 9162 §2.1.3.2 step 3 / §2.1.4.2 step 6 control flow, without hashing: starting
/// from `(fn, sn)`, for each of `len` proof hashes whether it is hashed on the left
/// (`true`, `fr` and `sr` both updated) or on the right (`false`, only `sr`); `None` if
/// the RFC fails on the shape alone (`sn` reaches 0 early, or is not 0 at the end).
fn rfc_steps(mut fn_: u64, mut sn: u64, len: usize) -> Option<Vec<bool>> {
    let mut steps = Vec::with_capacity(len);
    for _ in 0..len {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            steps.push(true);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            steps.push(false);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(steps)
}

/// RFC 9162 §2.1.3.2 steps for leaf `index` of a tree of `size`, `len` proof hashes.
fn rfc_inclusion_steps(index: u64, size: u64, len: usize) -> Option<Vec<bool>> {
    (index < size).then(|| rfc_steps(index, size - 1, len))?
}

/// RFC 9162 §2.1.4.2 steps 2–4 and 6 for `first < second` and a proof of `len` hashes:
/// whether `first_hash` is prepended (step 2) and the steps after the seed.
fn rfc_consistency_steps(first: u64, second: u64, len: usize) -> Option<(bool, Vec<bool>)> {
    if first == 0 || first >= second {
        return None;
    }
    let prepend = first.is_power_of_two();
    let len = len + usize::from(prepend);
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    Some((prepend, rfc_steps(fn_, sn, len.checked_sub(1)?)?))
}

/// Leaves derived from a random seed (all distinct), every complete node the crate's
/// `CompactRange` reported while appending them, and memoised oracle roots.
struct Tree {
    seed: u64,
    leaves: Vec<Hash>,
    nodes: HashMap<NodeId, Hash>,
    range: CompactRange,
    roots: HashMap<u64, Hash>,
}

impl Tree {
    fn new(seed: u64) -> Self {
        Tree {
            seed,
            leaves: Vec::new(),
            nodes: HashMap::new(),
            range: CompactRange::new(),
            roots: HashMap::new(),
        }
    }

    /// Appends leaves until the tree has `size` of them.
    fn grow(&mut self, size: u64) {
        while (self.leaves.len() as u64) < size {
            let i = self.leaves.len() as u64;
            let mut data = self.seed.to_be_bytes().to_vec();
            data.extend_from_slice(&i.to_be_bytes());
            let leaf = leaf_hash(&data);
            self.leaves.push(leaf);
            let nodes = &mut self.nodes;
            self.range.append(leaf, &mut |id, h| {
                nodes.insert(id, h);
            });
        }
    }

    /// The oracle's root of the first `size` leaves.
    fn root(&mut self, size: u64) -> Hash {
        self.grow(size);
        let leaves = &self.leaves;
        *self
            .roots
            .entry(size)
            .or_insert_with(|| oracle::mth(&leaves[..size as usize]))
    }

    fn lookup(&self, id: NodeId) -> Option<Hash> {
        self.nodes.get(&id).copied()
    }

    /// The crate's inclusion proof (plan + assemble), if the parameters are valid.
    fn inclusion_proof(&mut self, index: u64, size: u64) -> Option<Vec<Hash>> {
        let plan = inclusion_plan(index, size).ok()?;
        self.grow(size);
        Some(plan.assemble(|id| self.lookup(id)).unwrap())
    }

    /// The crate's consistency proof (plan + assemble), if the parameters are valid.
    fn consistency_proof(&mut self, size1: u64, size2: u64) -> Option<Vec<Hash>> {
        let plan = consistency_plan(size1, size2).ok()?;
        self.grow(size2);
        Some(plan.assemble(|id| self.lookup(id)).unwrap())
    }
}

/// What `verify_inclusion` is given.
#[derive(Clone, Debug, PartialEq)]
struct Inclusion {
    index: u64,
    size: u64,
    leaf: Hash,
    proof: Vec<Hash>,
    root: Hash,
}

impl Inclusion {
    fn honest(tree: &mut Tree, index: u64, size: u64) -> Option<Self> {
        let proof = tree.inclusion_proof(index, size)?;
        Some(Inclusion {
            index,
            size,
            leaf: tree.leaves[index as usize],
            proof,
            root: tree.root(size),
        })
    }

    fn verifies(&self) -> bool {
        verify_inclusion(self.index, self.size, &self.leaf, &self.proof, &self.root).is_ok()
    }
}

/// What `verify_consistency` is given.
#[derive(Clone, Debug, PartialEq)]
struct Consistency {
    size1: u64,
    size2: u64,
    proof: Vec<Hash>,
    root1: Hash,
    root2: Hash,
}

impl Consistency {
    fn honest(tree: &mut Tree, size1: u64, size2: u64) -> Option<Self> {
        let proof = tree.consistency_proof(size1, size2)?;
        Some(Consistency {
            size1,
            size2,
            proof,
            root1: tree.root(size1),
            root2: tree.root(size2),
        })
    }

    fn verifies(&self) -> bool {
        verify_consistency(
            self.size1,
            self.size2,
            &self.proof,
            &self.root1,
            &self.root2,
        )
        .is_ok()
    }
}

/// A change to a list of proof hashes.
#[derive(Clone, Debug)]
enum ProofEdit {
    FlipBit(Index, u8),
    Drop(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Insert(Index, [u8; 32]),
    Append([u8; 32]),
}

impl ProofEdit {
    /// Applies the edit; `None` if it needs a hash and the proof has none.
    fn apply(&self, proof: &[Hash]) -> Option<Vec<Hash>> {
        let mut p = proof.to_vec();
        let pick = |i: &Index| (!p.is_empty()).then(|| i.index(p.len()));
        match self {
            ProofEdit::FlipBit(i, bit) => {
                let at = pick(i)?;
                p[at].0[usize::from(bit / 8)] ^= 1 << (bit % 8);
            }
            ProofEdit::Drop(i) => {
                p.remove(pick(i)?);
            }
            ProofEdit::Duplicate(i) => {
                let at = pick(i)?;
                p.insert(at, p[at]);
            }
            ProofEdit::Swap(a, b) => {
                let (a, b) = (pick(a)?, pick(b)?);
                p.swap(a, b);
            }
            ProofEdit::Insert(i, h) => {
                let at = i.index(p.len() + 1);
                p.insert(at, Hash(*h));
            }
            ProofEdit::Append(h) => p.push(Hash(*h)),
        }
        Some(p)
    }
}

fn proof_edit() -> impl Strategy<Value = ProofEdit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ProofEdit::FlipBit(i, b)),
        any::<Index>().prop_map(ProofEdit::Drop),
        any::<Index>().prop_map(ProofEdit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| ProofEdit::Swap(a, b)),
        (any::<Index>(), any::<[u8; 32]>()).prop_map(|(i, h)| ProofEdit::Insert(i, h)),
        any::<[u8; 32]>().prop_map(ProofEdit::Append),
    ]
}

/// A new tree size near `size` (or anywhere up to twice it, or 0).
fn other_size(size: u64, delta: i64, far: Index) -> u64 {
    if delta == 0 {
        far.index(2 * size as usize + 2) as u64
    } else {
        size.saturating_add_signed(delta)
    }
}

fn flip(h: Hash, bit: u8) -> Hash {
    let mut h = h;
    h.0[usize::from(bit / 8)] ^= 1 << (bit % 8);
    h
}

/// A mutation of an inclusion claim.
#[derive(Clone, Debug)]
enum InclusionMutation {
    Proof(ProofEdit),
    /// Another index (delta from the old one; 0 = anywhere in `0..size + 2`).
    Index(i64, Index),
    /// Another size, with the true root of the new size (`true`) or the old root kept.
    Size(i64, Index, bool),
    Root(u8),
    Leaf(u8),
}

fn inclusion_mutation() -> impl Strategy<Value = InclusionMutation> {
    prop_oneof![
        4 => proof_edit().prop_map(InclusionMutation::Proof),
        1 => (-3i64..=3, any::<Index>()).prop_map(|(d, f)| InclusionMutation::Index(d, f)),
        2 => (-3i64..=3, any::<Index>(), any::<bool>())
            .prop_map(|(d, f, t)| InclusionMutation::Size(d, f, t)),
        1 => any::<u8>().prop_map(InclusionMutation::Root),
        1 => any::<u8>().prop_map(InclusionMutation::Leaf),
    ]
}

/// A mutation of a consistency claim.
#[derive(Clone, Debug)]
enum ConsistencyMutation {
    Proof(ProofEdit),
    /// Another first (`false`) or second (`true`) size, with its true root (`true`) or
    /// the old root kept.
    Size(bool, i64, Index, bool),
    Root1(u8),
    Root2(u8),
    SwapRoots,
}

fn consistency_mutation() -> impl Strategy<Value = ConsistencyMutation> {
    prop_oneof![
        4 => proof_edit().prop_map(ConsistencyMutation::Proof),
        3 => (any::<bool>(), -3i64..=3, any::<Index>(), any::<bool>())
            .prop_map(|(w, d, f, t)| ConsistencyMutation::Size(w, d, f, t)),
        1 => any::<u8>().prop_map(ConsistencyMutation::Root1),
        1 => any::<u8>().prop_map(ConsistencyMutation::Root2),
        1 => Just(ConsistencyMutation::SwapRoots),
    ]
}

/// Tree sizes in `1..=MAX_SIZE`, powers of two and their neighbours over-weighted.
fn tree_size() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 1..=MAX_SIZE,
        1 => (0u32..=11).prop_map(|k| 1u64 << k),
        1 => (1u32..=11).prop_map(|k| (1u64 << k) - 1),
        1 => (0u32..=10).prop_map(|k| (1u64 << k) + 1),
    ]
}

/// A size and a leaf index in it: the first leaf, the last (`size - 1`) or any.
fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
    (tree_size(), 0u8..4, any::<Index>()).prop_map(|(size, which, i)| {
        let index = match which {
            0 => 0,
            1 => size - 1,
            _ => i.index(size as usize) as u64,
        };
        (size, index)
    })
}

/// Two sizes `size1 <= size2`: equal, `size1` a power of two, or any.
fn two_sizes() -> impl Strategy<Value = (u64, u64)> {
    (tree_size(), 0u8..4, any::<Index>()).prop_map(|(size2, which, i)| {
        let size1 = match which {
            0 => size2,
            1 => 1u64 << (u64::BITS - 1 - size2.leading_zeros()),
            _ => 1 + i.index(size2 as usize) as u64,
        };
        (size1, size2)
    })
}

fn config(cases: u32) -> ProptestConfig {
    // Debug builds on a loaded 2-core machine: each case builds a tree of up to ~4k leaves.
    // `PROPTEST_CASES` (read into the default) still wins, for longer runs by hand.
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else {
        cases
    };
    ProptestConfig { cases, ..default }
}

proptest! {
    #![proptest_config(config(96))]

    /// RFC 6962 §2.1: the `CompactRange` root, the root plan and the frontier fold all
    /// equal MTH(D[0:size]), and the nodes the range reported (a random sample of them:
    /// checking all is O(n log n) oracle hashing) are the MTH of their leaves.
    #[test]
    fn roots_match_the_rfc_6962_definition(
        seed in any::<u64>(),
        size in tree_size(),
        prefix in any::<Index>(),
        sample in prop::collection::vec(any::<Index>(), 24),
    ) {
        let mut tree = Tree::new(seed);
        tree.grow(size);
        let want = tree.root(size);
        prop_assert_eq!(tree.range.size(), size);
        prop_assert_eq!(tree.range.root(), want);
        let plan = root_plan(size);
        prop_assert_eq!(plan.assemble(|id| tree.lookup(id)).unwrap(), vec![want]);
        // A prefix's root from its frontier nodes (stored while the tree grew past it).
        let m = prefix.index(size as usize + 1) as u64;
        let frontier: Vec<Hash> = CompactRange::frontier_ids(m)
            .into_iter()
            .map(|id| tree.lookup(id).unwrap())
            .collect();
        prop_assert_eq!(root_from_frontier(&frontier), tree.root(m));
        prop_assert_eq!(root_plan(m).assemble(|id| tree.lookup(id)).unwrap(), vec![tree.root(m)]);
        // Every complete node of the tree was reported: sum over levels of size >> level.
        let complete: u64 = (0..u64::BITS).map(|l| size >> l).sum();
        prop_assert_eq!(tree.nodes.len() as u64, complete);
        let mut ids: Vec<NodeId> = tree.nodes.keys().copied().collect();
        ids.sort_unstable();
        for pick in &sample {
            let id = ids[pick.index(ids.len())];
            let (b, e) = (id.begin() as usize, id.end() as usize);
            prop_assert!(e as u64 <= size, "node {:?} beyond the tree", id);
            prop_assert_eq!(tree.nodes[&id], oracle::mth(&tree.leaves[b..e]), "node {:?}", id);
        }
    }

    /// RFC 9162 §2.1.3.2: the crate's inclusion proofs verify against the oracle's root,
    /// and a mutated claim verifies only if it is honest (or a size-only change the RFC
    /// loop cannot tell apart, see the module documentation).
    #[test]
    fn inclusion_proofs_verify_and_mutations_fail(
        seed in any::<u64>(),
        (size, index) in size_and_index(),
        mutations in prop::collection::vec(inclusion_mutation(), 1..12),
    ) {
        let mut tree = Tree::new(seed);
        let claim = Inclusion::honest(&mut tree, index, size).unwrap();
        prop_assert!(claim.verifies(), "honest proof rejected: {:?}", claim);
        for m in &mutations {
            let mut bad = claim.clone();
            let mut stale_root = false;
            match m {
                InclusionMutation::Proof(edit) => match edit.apply(&claim.proof) {
                    Some(p) => bad.proof = p,
                    None => continue,
                },
                InclusionMutation::Index(d, far) => {
                    bad.index = if *d == 0 {
                        far.index(size as usize + 2) as u64
                    } else {
                        index.saturating_add_signed(*d)
                    };
                }
                InclusionMutation::Size(d, far, true_root) => {
                    bad.size = other_size(size, *d, *far);
                    if *true_root {
                        bad.root = tree.root(bad.size);
                    } else {
                        stale_root = true;
                    }
                }
                InclusionMutation::Root(bit) => bad.root = flip(bad.root, *bit),
                InclusionMutation::Leaf(bit) => bad.leaf = flip(bad.leaf, *bit),
            }
            let honest = bad.index < bad.size
                && Inclusion::honest(&mut tree, bad.index, bad.size).as_ref() == Some(&bad);
            // Only the size changed and the old root is kept: the RFC accepts iff its loop
            // takes the same steps for both sizes (the proof does not bind the size).
            let same_steps = stale_root
                && rfc_inclusion_steps(index, bad.size, bad.proof.len()).is_some()
                && rfc_inclusion_steps(index, bad.size, bad.proof.len())
                    == rfc_inclusion_steps(index, size, claim.proof.len());
            prop_assert_eq!(
                bad.verifies(),
                honest || same_steps,
                "mutation {:?} of {:?} gave {:?} (honest: {}, same RFC steps: {})",
                m, claim, bad, honest, same_steps
            );
        }
    }

    /// RFC 9162 §2.1.4.2: the crate's consistency proofs verify against the oracle's roots
    /// (equal sizes: empty proof), and a mutated claim verifies only if it is honest (or a
    /// size-only change the RFC loop cannot tell apart).
    #[test]
    fn consistency_proofs_verify_and_mutations_fail(
        seed in any::<u64>(),
        (size1, size2) in two_sizes(),
        mutations in prop::collection::vec(consistency_mutation(), 1..12),
    ) {
        let mut tree = Tree::new(seed);
        let claim = Consistency::honest(&mut tree, size1, size2).unwrap();
        prop_assert!(claim.verifies(), "honest proof rejected: {:?}", claim);
        if size1 == size2 {
            prop_assert!(claim.proof.is_empty());
        }
        for m in &mutations {
            let mut bad = claim.clone();
            let mut stale_root = false;
            match m {
                ConsistencyMutation::Proof(edit) => match edit.apply(&claim.proof) {
                    Some(p) => bad.proof = p,
                    None => continue,
                },
                ConsistencyMutation::Size(second, d, far, true_root) => {
                    if *second {
                        bad.size2 = other_size(size2, *d, *far);
                        if *true_root { bad.root2 = tree.root(bad.size2); }
                    } else {
                        bad.size1 = other_size(size1, *d, *far);
                        if *true_root { bad.root1 = tree.root(bad.size1); }
                    }
                    stale_root = !*true_root;
                }
                ConsistencyMutation::Root1(bit) => bad.root1 = flip(bad.root1, *bit),
                ConsistencyMutation::Root2(bit) => bad.root2 = flip(bad.root2, *bit),
                ConsistencyMutation::SwapRoots => std::mem::swap(&mut bad.root1, &mut bad.root2),
            }
            let honest = bad.size1 >= 1
                && bad.size1 <= bad.size2
                && Consistency::honest(&mut tree, bad.size1, bad.size2).as_ref() == Some(&bad);
            let steps = |c: &Consistency| rfc_consistency_steps(c.size1, c.size2, c.proof.len());
            let same_steps = stale_root && steps(&bad).is_some() && steps(&bad) == steps(&claim);
            prop_assert_eq!(
                bad.verifies(),
                honest || same_steps,
                "mutation {:?} of {:?} gave {:?} (honest: {}, same RFC steps: {})",
                m, claim, bad, honest, same_steps
            );
        }
    }

    /// A consistency proof from the empty tree proves nothing: no plan, and the verifier
    /// refuses it whatever the proof and roots (PROTOCOL.md §9.2).
    #[test]
    fn first_size_zero_is_rejected(
        seed in any::<u64>(),
        size2 in tree_size(),
        extra in prop::collection::vec(any::<[u8; 32]>(), 0..3),
    ) {
        let mut tree = Tree::new(seed);
        prop_assert!(consistency_plan(0, size2).is_err());
        let root2 = tree.root(size2);
        let proof: Vec<Hash> = extra.into_iter().map(Hash).collect();
        prop_assert!(verify_consistency(0, size2, &proof, &tree.root(0), &root2).is_err());
        prop_assert!(verify_consistency(0, 0, &proof, &tree.root(0), &tree.root(0)).is_err());
    }
}
