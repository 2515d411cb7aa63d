//! RFC 6962 §2.1.1–2.1.2 / RFC 9162 §2.1.3–2.1.4 inclusion and consistency proofs
//! (PROTOCOL.md §9).
//!
//! Building a proof is split in two so that storage is touched once: a [`ProofPlan`] names
//! every complete node ([`NodeId`]) the proof needs, computed from the sizes alone
//! ([`inclusion_plan`], [`consistency_plan`], [`root_plan`]); the caller fetches those nodes in
//! one batched read and calls [`ProofPlan::assemble`]. Only complete subtrees are ever
//! requested: a proof element `MTH(D[a:n])` on the ragged right edge of the tree is
//! decomposed into its complete subtrees and folded right to left during assembly.
//!
//! Verification ([`verify_inclusion`], [`verify_consistency`]) is iterative and allocation-free.

mod build;
mod verify;

pub use build::{consistency_plan, inclusion_plan, root_plan};
pub use verify::{root_from_inclusion_proof, verify_consistency, verify_inclusion};

use crate::hash::{empty_root, node_hash, Hash};
use crate::tree::NodeId;

/// Errors building, assembling or verifying a proof.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree (`index >= size`).
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// Consistency needs `1 <= size1 <= size2`.
    #[error("invalid tree sizes for a consistency proof: size1 {size1}, size2 {size2}")]
    InvalidSizes {
        /// The older tree size.
        size1: u64,
        /// The newer tree size.
        size2: u64,
    },
    /// The proof does not have the number of hashes its sizes imply.
    #[error("proof has {got} hashes, expected {expected}")]
    WrongProofLength {
        /// Number of hashes the sizes imply.
        expected: usize,
        /// Number of hashes supplied.
        got: usize,
    },
    /// The root the proof implies differs from the expected root (the only root of an
    /// inclusion proof; the second, newer root of a consistency proof).
    #[error("root mismatch: expected {expected}, proof implies {computed}")]
    RootMismatch {
        /// The root the caller trusts.
        expected: Hash,
        /// The root the proof implies.
        computed: Hash,
    },
    /// A consistency proof implies a different first (older) root than the one given.
    #[error("first root mismatch: expected {expected}, proof implies {computed}")]
    FirstRootMismatch {
        /// The older root the caller trusts.
        expected: Hash,
        /// The older root the proof implies.
        computed: Hash,
    },
    /// Storage did not return a node the proof needs.
    #[error("missing tree node at level {} index {}", .0.level, .0.index)]
    MissingNode(NodeId),
}

/// The complete nodes a proof needs and how to combine them. Built without any I/O; the
/// caller looks the nodes up in storage (one batched read) and calls [`ProofPlan::assemble`].
///
/// Size bound: every RFC 6962 proof has at most one element on the ragged right edge of the
/// tree (the first right-hand sibling met when walking down from the root; everything below
/// it is a perfect subtree), and that element splits into at most `⌈log2 n⌉ - 1` complete
/// nodes. So an inclusion plan needs at most `2·⌈log2 n⌉` nodes and a consistency plan at
/// most `2·⌈log2 n⌉ + 1` (n = the larger tree size): O(log n) in all cases. A root plan
/// needs `popcount(n)` nodes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProofPlan {
    /// Nodes of every proof element, in proof order; each element's nodes left to right.
    terms: Vec<NodeId>,
    /// `ends[i]` is one past the last term of element `i` (element `i` starts at `ends[i-1]`).
    ends: Vec<u32>,
    /// `terms`, sorted and deduplicated.
    node_ids: Vec<NodeId>,
}

impl ProofPlan {
    /// Every complete node the proof needs, deduplicated, sorted (by level, then index).
    /// See the type documentation for the size bound.
    #[must_use]
    pub fn node_ids(&self) -> &[NodeId] {
        &self.node_ids
    }

    /// Number of hashes the assembled proof will have.
    #[must_use]
    pub fn proof_len(&self) -> usize {
        self.ends.len()
    }

    /// Builds the proof (hashes in RFC 6962 order: leaf-to-root for inclusion, as RFC 6962
    /// §2.1.2 for consistency). `lookup` is called once per needed node, in proof order.
    ///
    /// # Errors
    /// [`ProofError::MissingNode`] if `lookup` returns `None` for a needed id.
    pub fn assemble(
        &self,
        mut lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, ProofError> {
        let mut out = Vec::with_capacity(self.ends.len());
        let mut start = 0usize;
        for &end in &self.ends {
            let end = end as usize;
            let element = self.terms.get(start..end).unwrap_or(&[]);
            start = end;
            // MTH of a range = its complete subtrees folded right to left (RFC 6962 §2.1:
            // the split point k is always the largest power of two, i.e. the leftmost one).
            let Some((last, rest)) = element.split_last() else {
                out.push(empty_root());
                continue;
            };
            let mut acc = lookup(*last).ok_or(ProofError::MissingNode(*last))?;
            for id in rest.iter().rev() {
                let left = lookup(*id).ok_or(ProofError::MissingNode(*id))?;
                acc = node_hash(&left, &acc);
            }
            out.push(acc);
        }
        Ok(out)
    }
}

/// Incremental construction of a [`ProofPlan`].
#[derive(Default)]
struct PlanBuilder {
    terms: Vec<NodeId>,
    ends: Vec<u32>,
}

impl PlanBuilder {
    fn with_capacity(elements: usize) -> Self {
        PlanBuilder {
            terms: Vec::with_capacity(2 * elements),
            ends: Vec::with_capacity(elements),
        }
    }

    /// Closes the element made of the terms pushed since the previous call.
    fn end_element(&mut self) {
        // At most 128 elements of at most 64 terms each: always fits in u32.
        self.ends
            .push(u32::try_from(self.terms.len()).unwrap_or(u32::MAX));
    }

    /// Adds a proof element that is a single complete node.
    fn push_node(&mut self, id: NodeId) {
        self.terms.push(id);
        self.end_element();
    }

    fn finish(self) -> ProofPlan {
        let mut node_ids = self.terms.clone();
        node_ids.sort_unstable();
        node_ids.dedup();
        ProofPlan {
            terms: self.terms,
            ends: self.ends,
            node_ids,
        }
    }
}
