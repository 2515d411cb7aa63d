//! Proof verification, RFC 9162 §2.1.3.2 and §2.1.4.2 (PROTOCOL.md §9.1, §9.2).
//!
//! Both algorithms are written in the equivalent "inner/border" form used by
//! transparency-dev/merkle and sigstore clients (PROTOCOL.md §9.1): the exact proof length is
//! derived from the sizes first, then the hashes are folded in one pass without allocating.
//! This accepts exactly the proofs the RFC's `fn`/`sn` loop accepts.

use super::ProofError;
use crate::hash::{node_hash, Hash};

/// RFC 9162 §2.1.3.2: checks that `proof` proves leaf hash `leaf` at `index` in the tree of
/// `size` whose root is `root`.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`], [`ProofError::WrongProofLength`] or
/// [`ProofError::RootMismatch`].
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(index, size, leaf, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch {
            expected: *root,
            computed,
        });
    }
    Ok(())
}

/// RFC 9162 §2.1.3.2 root computation: the root that `proof` implies for leaf hash `leaf`
/// at `index` in a tree of `size` (for callers that compare it later, e.g. with a
/// checkpoint they have yet to verify).
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] if `index >= size`; [`ProofError::WrongProofLength`]
/// unless the proof has exactly the `bitlen(index XOR (size-1)) + popcount(index >> inner)`
/// hashes the sizes imply.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    // Step 1: index must be inside the tree.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decompose(index, size - 1);
    check_len(proof, inner + border)?;
    let (inner_path, border_path) = proof.split_at(inner);
    let mut r = *leaf;
    // Step 3 while fn != sn above this level: the sibling side is the bit of `index`.
    for (j, p) in inner_path.iter().enumerate() {
        r = if (index >> j) & 1 == 0 {
            node_hash(&r, p)
        } else {
            node_hash(p, &r)
        };
    }
    // Step 3 once fn == sn (the right edge): only left siblings remain.
    for p in border_path {
        r = node_hash(p, &r);
    }
    Ok(r)
}

/// RFC 9162 §2.1.4.2: checks that `proof` shows the tree of `size1` leaves with root `root1`
/// is a prefix of the tree of `size2` leaves with root `root2`.
///
/// Special cases (transparency-dev/merkle, PROTOCOL.md §9.2): `size1 > size2` and
/// `size1 == 0` are errors (a consistency proof from the empty tree proves nothing, and
/// Rekor rejects it); `size1 == size2` requires an empty proof and equal roots.
///
/// # Errors
/// [`ProofError::InvalidSizes`], [`ProofError::WrongProofLength`],
/// [`ProofError::FirstRootMismatch`] or [`ProofError::RootMismatch`].
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    if size1 == 0 || size1 > size2 {
        return Err(ProofError::InvalidSizes { size1, size2 });
    }
    if size1 == size2 {
        check_len(proof, 0)?;
        if root1 != root2 {
            return Err(ProofError::RootMismatch {
                expected: *root2,
                computed: *root1,
            });
        }
        return Ok(());
    }
    // Steps 3-4: drop the levels where fn is odd, i.e. start from the largest complete
    // subtree ending at size1, node (level, index).
    let level = size1.trailing_zeros();
    let index = (size1 >> level) - 1;
    let (inner, border) = decompose(index, (size2 - 1) >> level);
    // Step 2: if size1 is a power of two the proof omits that node (it is root1).
    let (seed, path) = if index == 0 {
        check_len(proof, inner + border)?;
        (*root1, proof)
    } else {
        check_len(proof, 1 + inner + border)?;
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(wrong_len(1 + inner + border, 0)),
        }
    };
    let (inner_path, border_path) = path.split_at(inner);
    // Steps 5-6: fr follows the first tree (left siblings only), sr the second.
    let (mut fr, mut sr) = (seed, seed);
    for (j, c) in inner_path.iter().enumerate() {
        if (index >> j) & 1 == 0 {
            sr = node_hash(&sr, c);
        } else {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
        }
    }
    for c in border_path {
        fr = node_hash(c, &fr);
        sr = node_hash(c, &sr);
    }
    // Step 7.
    if fr != *root1 {
        return Err(ProofError::FirstRootMismatch {
            expected: *root1,
            computed: fr,
        });
    }
    if sr != *root2 {
        return Err(ProofError::RootMismatch {
            expected: *root2,
            computed: sr,
        });
    }
    Ok(())
}

/// `(inner, border)` for node `index` whose level's last node is `last` (PROTOCOL.md §9.1):
/// `inner = bitlen(index XOR last)`, `border = popcount(index >> inner)`.
fn decompose(index: u64, last: u64) -> (usize, usize) {
    let inner = u64::BITS - (index ^ last).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner as usize, border as usize)
}

fn check_len(proof: &[Hash], expected: usize) -> Result<(), ProofError> {
    if proof.len() == expected {
        Ok(())
    } else {
        Err(wrong_len(expected, proof.len()))
    }
}

fn wrong_len(expected: usize, got: usize) -> ProofError {
    ProofError::WrongProofLength { expected, got }
}
