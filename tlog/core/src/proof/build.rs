//! Proof plans from tree sizes alone (RFC 6962 §2.1.1 PATH, §2.1.2 PROOF/SUBPROOF; PROTOCOL.md §9.3).
//!
//! Instead of recursing over `D[0:n]` as RFC 6962 writes it, the plans are derived from the
//! binary representation of the indexes, as in RFC 9162 §2.1.3.2 (`fn`/`sn`) and
//! transparency-dev/merkle: walking up from a node `(level, index)` in a tree of `size`
//! leaves, with `last = (size - 1) >> level`,
//!
//! * the lowest `inner = bitlen(index XOR last)` levels have a sibling on each level: on the
//!   right when the bit of `index` is 0, on the left otherwise. Only the topmost of them can
//!   reach past `size` (the ragged right edge); it stands for `MTH(D[begin:size])`;
//! * above that, the node shares its ancestors with the last leaf; each ancestor that is a
//!   right child (bit of `index` set) contributes its complete left sibling.

use super::{PlanBuilder, ProofError, ProofPlan};
use crate::tree::{push_decomposition, CompactRange, NodeId};

/// RFC 6962 §2.1.1 `PATH(m, D[n])` for leaf `index` in a tree of `size`: the sibling
/// subtrees from the leaf up to the root.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] if `index >= size`.
pub fn inclusion_plan(index: u64, size: u64) -> Result<ProofPlan, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut plan = PlanBuilder::with_capacity(depth(size));
    push_path(&mut plan, 0, index, size);
    Ok(plan.finish())
}

/// RFC 6962 §2.1.2 `PROOF(m, D[n])` between the trees of `size1` and `size2` leaves
/// (`size1 == size2` gives an empty proof).
///
/// `SUBPROOF` descends towards leaf `size1 - 1` and stops at the largest subtree ending at
/// `size1`: the node `X = (tz(size1), (size1 >> tz(size1)) - 1)`. The proof is `X` itself
/// (omitted when `size1` is a power of two, i.e. `X` is the whole first tree and the
/// verifier already has it as `root1`), then the inclusion path of `X` in the second tree.
///
/// # Errors
/// [`ProofError::InvalidSizes`] unless `1 <= size1 <= size2`.
pub fn consistency_plan(size1: u64, size2: u64) -> Result<ProofPlan, ProofError> {
    if size1 == 0 || size1 > size2 {
        return Err(ProofError::InvalidSizes { size1, size2 });
    }
    if size1 == size2 {
        return Ok(ProofPlan::default());
    }
    let level = size1.trailing_zeros();
    let index = (size1 >> level) - 1;
    let level = level as u8; // < 64
    let mut plan = PlanBuilder::with_capacity(depth(size2) + 1);
    if index != 0 {
        plan.push_node(NodeId::new(level, index));
    }
    push_path(&mut plan, level, index, size2);
    Ok(plan.finish())
}

/// Plan for the root hash of the tree of `size` from its frontier nodes (RFC 6962 §2.1
/// `MTH(D[0:size])`). `assemble()` returns `[root]`; for `size == 0`, `[empty_root()]`
/// without any lookup.
#[must_use]
pub fn root_plan(size: u64) -> ProofPlan {
    let mut plan = PlanBuilder::with_capacity(1);
    plan.terms = CompactRange::frontier_ids(size);
    plan.end_element();
    plan.finish()
}

/// `⌈log2 size⌉`: the most hashes an inclusion proof in a tree of `size` can have.
fn depth(size: u64) -> usize {
    (u64::BITS - size.saturating_sub(1).leading_zeros()) as usize
}

/// Pushes the siblings of complete node `(level, index)` in the tree of `size` leaves,
/// bottom-up (see the module documentation). Requires `(index + 1) << level <= size`.
fn push_path(plan: &mut PlanBuilder, level: u8, index: u64, size: u64) {
    let last = (size - 1) >> level;
    let inner = u64::BITS - (index ^ last).leading_zeros();
    for j in 0..inner {
        // level + j < 64: index ^ last < 2^(64 - level).
        let node_level = level + j as u8;
        let sibling = NodeId::new(node_level, (index >> j) ^ 1);
        let begin = sibling.index << node_level;
        let end = (u128::from(sibling.index) + 1) << node_level;
        if end <= u128::from(size) {
            plan.push_node(sibling);
        } else {
            // Ragged right edge: MTH(D[begin:size]) as its complete subtrees.
            push_decomposition(begin, size, &mut plan.terms);
            plan.end_element();
        }
    }
    let mut rest = index.checked_shr(inner).unwrap_or(0);
    let mut node_level = u32::from(level) + inner;
    while rest != 0 {
        if rest & 1 == 1 {
            // node_level < 64 while rest != 0.
            plan.push_node(NodeId::new(node_level as u8, rest - 1));
        }
        rest >>= 1;
        node_level += 1;
    }
}
