//! Exhaustive cross-check of the proof plans and verifiers against a straight transcription
//! of RFC 6962 §2.1 (recursive MTH, PATH, SUBPROOF over a slice of leaf hashes), for every
//! tree size up to `MAX`, plus tampering and very large trees.

// Test crate: helpers outside #[test] fns unwrap too; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use signet_tlog_core::hash::{empty_root, leaf_hash, node_hash, Hash};
use signet_tlog_core::proof::{
    consistency_plan, inclusion_plan, root_from_inclusion_proof, root_plan, verify_consistency,
    verify_inclusion, ProofError, ProofPlan,
};
use signet_tlog_core::tree::{root_from_frontier, CompactRange, NodeId};

const MAX: u64 = 70;

/// RFC 6962 §2.1 reference implementation, written as the RFC states it.
mod reference {
    use super::*;

    /// Largest power of two strictly less than `n` (n > 1).
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// MTH(D[n]).
    pub fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => empty_root(),
            1 => d[0],
            n => {
                let k = split(n);
                node_hash(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    /// PATH(m, D[n]).
    pub fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
        let n = d.len();
        if n == 1 {
            return vec![];
        }
        let k = split(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    pub fn proof(m: usize, d: &[Hash]) -> Vec<Hash> {
        subproof(m, d, true)
    }

    fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }
}

/// A log of `MAX` leaves whose complete nodes were stored by `CompactRange::append`.
struct Log {
    leaves: Vec<Hash>,
    nodes: HashMap<NodeId, Hash>,
    /// `roots[n]` = `CompactRange::root()` after `n` appends.
    roots: Vec<Hash>,
}

fn log() -> Log {
    let mut range = CompactRange::new();
    let mut nodes = HashMap::new();
    let mut leaves = Vec::new();
    let mut roots = vec![range.root()];
    for i in 0..MAX {
        let leaf = leaf_hash(format!("entry {i}").as_bytes());
        leaves.push(leaf);
        range.append(leaf, &mut |id, h| {
            assert!(nodes.insert(id, h).is_none(), "{id:?} stored twice");
        });
        roots.push(range.root());
    }
    Log {
        leaves,
        nodes,
        roots,
    }
}

fn ceil_log2(n: u64) -> usize {
    (u64::BITS - n.saturating_sub(1).leading_zeros()) as usize
}

impl Log {
    /// Assembles `plan` as a log of `size` leaves would: it may only ask for complete nodes
    /// of that size, and only for nodes the plan announced.
    fn assemble(&self, plan: &ProofPlan, size: u64) -> Vec<Hash> {
        let ids = plan.node_ids();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not sorted/deduplicated"
        );
        let mut looked_up = Vec::new();
        let proof = plan
            .assemble(|id| {
                assert!(id.end() <= size, "{id:?} is not complete at size {size}");
                assert!(ids.binary_search(&id).is_ok(), "{id:?} not announced");
                looked_up.push(id);
                self.nodes.get(&id).copied()
            })
            .unwrap();
        looked_up.sort();
        looked_up.dedup();
        assert_eq!(looked_up, ids, "announced nodes that were not used");
        assert_eq!(proof.len(), plan.proof_len());
        proof
    }
}

/// Alternative sizes/indexes to try a proof with: all of `0..=MAX` for small trees (fully
/// exhaustive), the neighbours of `x` and the powers of two otherwise (keeps debug runs short).
fn others(x: u64, n: u64) -> Vec<u64> {
    if n <= 32 {
        return (0..=MAX).collect();
    }
    let mut v: Vec<u64> = (x.saturating_sub(3)..=x + 3).collect();
    v.extend([0, 1, 2, 4, 8, 16, 32, 64, MAX]);
    v.retain(|&o| o <= MAX);
    v
}

/// Flips one bit of each proof hash in turn.
fn bit_flips(proof: &[Hash]) -> impl Iterator<Item = Vec<Hash>> + '_ {
    (0..proof.len()).map(move |i| {
        let mut p = proof.to_vec();
        p[i].0[i % 32] ^= 1 << (i % 8);
        p
    })
}

/// Truncated and extended variants of a proof.
fn length_tampers(proof: &[Hash]) -> Vec<Vec<Hash>> {
    let extra = leaf_hash(b"extra");
    let mut out = vec![[proof, &[extra]].concat(), [&[extra], proof].concat()];
    if !proof.is_empty() {
        out.push(proof[1..].to_vec());
        out.push(proof[..proof.len() - 1].to_vec());
    }
    out
}

#[test]
fn roots_agree_with_reference() {
    let log = log();
    for n in 0..=MAX {
        let want = reference::mth(&log.leaves[..n as usize]);
        assert_eq!(log.roots[n as usize], want, "CompactRange root at {n}");
        let plan = root_plan(n);
        assert_eq!(plan.node_ids().len(), n.count_ones() as usize);
        assert_eq!(log.assemble(&plan, n), vec![want], "root_plan at {n}");
        let frontier: Vec<Hash> = CompactRange::frontier_ids(n)
            .iter()
            .map(|id| log.nodes[id])
            .collect();
        assert_eq!(root_from_frontier(&frontier), want);
    }
}

#[test]
fn inclusion_exhaustive() {
    let log = log();
    for n in 1..=MAX {
        let d = &log.leaves[..n as usize];
        let root = log.roots[n as usize];
        for m in 0..n {
            let plan = inclusion_plan(m, n).unwrap();
            assert!(
                plan.node_ids().len() <= 2 * ceil_log2(n),
                "bound at ({m}, {n})"
            );
            let proof = log.assemble(&plan, n);
            assert_eq!(proof, reference::path(m as usize, d), "PATH({m}, D[{n}])");
            let leaf = &d[m as usize];
            assert_eq!(verify_inclusion(m, n, leaf, &proof, &root), Ok(()));
            assert_eq!(root_from_inclusion_proof(m, n, leaf, &proof), Ok(root));

            for bad in bit_flips(&proof) {
                assert!(verify_inclusion(m, n, leaf, &bad, &root).is_err());
            }
            for bad in length_tampers(&proof) {
                assert!(matches!(
                    verify_inclusion(m, n, leaf, &bad, &root),
                    Err(ProofError::WrongProofLength { .. })
                ));
            }
            // Any other index, and any other tree (size with its own root), is rejected.
            for other in others(m, n) {
                if other != m {
                    assert!(verify_inclusion(other, n, leaf, &proof, &root).is_err());
                }
            }
            for other in others(n, n) {
                if other != n && other > 0 {
                    let r = log.roots[other as usize];
                    assert!(verify_inclusion(m, other, leaf, &proof, &r).is_err());
                }
            }
            let wrong_leaf = leaf_hash(b"not in the log");
            assert!(matches!(
                verify_inclusion(m, n, &wrong_leaf, &proof, &root),
                Err(ProofError::RootMismatch { .. })
            ));
            let mut wrong_root = root;
            wrong_root.0[31] ^= 0x80;
            assert!(verify_inclusion(m, n, leaf, &proof, &wrong_root).is_err());
        }
        assert_eq!(
            inclusion_plan(n, n),
            Err(ProofError::IndexOutOfRange { index: n, size: n })
        );
        assert_eq!(
            verify_inclusion(n, n, &d[0], &[], &root),
            Err(ProofError::IndexOutOfRange { index: n, size: n })
        );
    }
    assert!(inclusion_plan(0, 0).is_err());
}

#[test]
fn consistency_exhaustive() {
    let log = log();
    for n in 1..=MAX {
        let d = &log.leaves[..n as usize];
        let root2 = log.roots[n as usize];
        for m in 1..=n {
            let root1 = log.roots[m as usize];
            let plan = consistency_plan(m, n).unwrap();
            assert!(
                plan.node_ids().len() <= 2 * ceil_log2(n) + 1,
                "bound at ({m}, {n})"
            );
            let proof = log.assemble(&plan, n);
            assert_eq!(proof, reference::proof(m as usize, d), "PROOF({m}, D[{n}])");
            assert_eq!(verify_consistency(m, n, &proof, &root1, &root2), Ok(()));

            for bad in bit_flips(&proof) {
                assert!(verify_consistency(m, n, &bad, &root1, &root2).is_err());
            }
            for bad in length_tampers(&proof) {
                assert!(matches!(
                    verify_consistency(m, n, &bad, &root1, &root2),
                    Err(ProofError::WrongProofLength { .. })
                ));
            }
            if m != n {
                assert!(verify_consistency(m, n, &proof, &root2, &root1).is_err());
            }
            let mut bad_root = root1;
            bad_root.0[0] ^= 1;
            assert!(verify_consistency(m, n, &proof, &bad_root, &root2).is_err());
            assert!(verify_consistency(m, n, &proof, &root1, &bad_root).is_err());
            // The same proof claimed for other sizes (with those trees' roots) is rejected.
            for other in others(m, n) {
                if other != m && other <= n {
                    let r = log.roots[other as usize];
                    assert!(verify_consistency(other, n, &proof, &r, &root2).is_err());
                }
            }
            for other in others(n, n) {
                if other != n && other >= m {
                    let r = log.roots[other as usize];
                    assert!(verify_consistency(m, other, &proof, &root1, &r).is_err());
                }
            }
        }
        assert_eq!(
            consistency_plan(0, n),
            Err(ProofError::InvalidSizes { size1: 0, size2: n })
        );
        assert_eq!(
            consistency_plan(n + 1, n),
            Err(ProofError::InvalidSizes {
                size1: n + 1,
                size2: n
            })
        );
        assert!(verify_consistency(0, n, &[], &empty_root(), &root2).is_err());
        assert!(verify_consistency(n + 1, n, &[], &root2, &root2).is_err());
    }
    // Equal sizes: empty proof and equal roots only; the empty tree proves nothing.
    let r = log.roots[5];
    assert_eq!(verify_consistency(5, 5, &[], &r, &r), Ok(()));
    assert!(verify_consistency(5, 5, &[r], &r, &r).is_err());
    assert!(verify_consistency(5, 5, &[], &r, &log.roots[4]).is_err());
    assert!(verify_consistency(0, 0, &[], &empty_root(), &empty_root()).is_err());
}

#[test]
fn missing_node_is_reported() {
    let log = log();
    let plan = inclusion_plan(3, 13).unwrap();
    for &gone in plan.node_ids() {
        let got = plan.assemble(|id| (id != gone).then(|| log.nodes[&id]));
        assert_eq!(got, Err(ProofError::MissingNode(gone)));
    }
}

/// Trees too big to build: all leaves equal, so every complete node at level `l` has the same
/// hash `v[l]` and storage is a 64-entry table. Checks the index arithmetic near 2^64 and
/// that plans and verifiers agree on shapes.
#[test]
fn huge_trees() {
    let mut v = vec![leaf_hash(b"same")];
    for l in 0..64 {
        let h = v[l];
        v.push(node_hash(&h, &h));
    }
    let lookup = |id: NodeId| v.get(usize::from(id.level)).copied();
    let root_of = |size: u64| root_plan(size).assemble(lookup).unwrap()[0];
    let complete = |id: &NodeId, size: u64| {
        (u128::from(id.index) + 1) << id.level <= u128::from(size) && id.level < 64
    };
    let sizes = [
        u64::MAX,
        u64::MAX - 1,
        1 << 63,
        (1 << 63) + 1,
        (1 << 63) - 1,
        (1 << 40) + 12345,
        3,
    ];
    for &size in &sizes {
        let root = root_of(size);
        for index in [0, 1, size / 2, size - 2, size - 1] {
            if index >= size {
                continue;
            }
            let plan = inclusion_plan(index, size).unwrap();
            assert!(plan.node_ids().iter().all(|id| complete(id, size)));
            assert!(plan.node_ids().len() <= 2 * ceil_log2(size));
            let proof = plan.assemble(lookup).unwrap();
            assert_eq!(verify_inclusion(index, size, &v[0], &proof, &root), Ok(()));
        }
        for size1 in [1, 2, 3, size / 3, size - 1, size] {
            if size1 == 0 || size1 > size {
                continue;
            }
            let plan = consistency_plan(size1, size).unwrap();
            assert!(plan.node_ids().iter().all(|id| complete(id, size)));
            assert!(plan.node_ids().len() <= 2 * ceil_log2(size) + 1);
            let proof = plan.assemble(lookup).unwrap();
            let root1 = root_of(size1);
            assert_eq!(
                verify_consistency(size1, size, &proof, &root1, &root),
                Ok(())
            );
        }
    }
    assert_eq!(root_plan(0).assemble(|_| None), Ok(vec![empty_root()]));
}
