//! Node reads for proofs: a bounded cache in front of storage.
//!
//! Complete Merkle nodes never change, so caching them is always safe. Two tiers, both
//! bounded S3-FIFO caches filled by the sequencer as it commits and by storage reads on
//! a miss:
//!
//! * nodes of level >= [`BLOCK_LEVEL`] (one per 16 leaves or fewer), one cache entry each;
//! * the leaf hashes of complete aligned 16-leaf blocks. Nodes below [`BLOCK_LEVEL`] are
//!   recomputed from their block (RFC 6962 §2.1: a complete node is the MTH of its
//!   leaves); a block not cached costs one range read.
//!
//! While the caches cover the log, a proof needs no storage read at all; beyond that a
//! proof costs at most a few reads. Memory is bounded by the capacities, not by the log
//! size.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use signet_tlog_core::{
    hash::{node_hash, Hash},
    tree::NodeId,
};

use crate::{error::LogError, state::Head, storage::Storage};

/// Nodes below this level are recomputed from a 2^BLOCK_LEVEL-leaf block.
pub const BLOCK_LEVEL: u8 = 4;
/// Leaves per block.
pub const BLOCK: u64 = 1 << BLOCK_LEVEL;

/// The leaf hashes of one complete aligned block.
type Block = Arc<[Hash; BLOCK as usize]>;

/// Bounded caches of complete nodes: upper nodes, and leaf blocks.
pub struct NodeCache {
    cache: quick_cache::sync::Cache<NodeId, Hash>,
    blocks: quick_cache::sync::Cache<u64, Block>,
}

impl std::fmt::Debug for NodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCache")
            .field("len", &self.cache.len())
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

impl NodeCache {
    /// Caches holding at most `capacity` upper nodes (~100 bytes each) and
    /// `block_capacity` leaf blocks (~600 bytes each).
    pub fn new(capacity: usize, block_capacity: usize) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(capacity.max(1)),
            blocks: quick_cache::sync::Cache::new(block_capacity.max(1)),
        }
    }

    /// Records nodes that just became durable (called by the sequencer after commit).
    pub fn insert_committed(&self, nodes: &[(NodeId, Hash)]) {
        for (id, h) in nodes {
            if id.level >= BLOCK_LEVEL {
                self.cache.insert(*id, *h);
            }
        }
    }

    /// Records the leaves of a complete block that just became durable.
    pub fn insert_block(&self, block: u64, leaves: [Hash; BLOCK as usize]) {
        self.blocks.insert(block, Arc::new(leaves));
    }

    /// The hashes of `ids`, all complete nodes of the published tree `head`.
    ///
    /// The head's frontier answers first: every proof against the newest tree needs its
    /// right-edge subtrees, and the smallest of them usually lie in the incomplete last
    /// block, which no block cache holds.
    ///
    /// # Errors
    /// Storage errors; [`LogError::Inconsistent`] if storage lacks a node it must have.
    pub async fn get(
        &self,
        storage: &Storage,
        head: &Head,
        ids: &[NodeId],
    ) -> Result<HashMap<NodeId, Hash>, LogError> {
        let size = head.size;
        let mut out = HashMap::with_capacity(ids.len());
        let mut blocks = BTreeSet::new();
        let mut misses = Vec::new();
        for id in ids {
            if let Some(h) = head.frontier.frontier_hash(*id) {
                out.insert(*id, h);
            } else if id.level < BLOCK_LEVEL {
                blocks.insert(id.begin() / BLOCK);
            } else if let Some(h) = self.cache.get(id) {
                out.insert(*id, h);
            } else {
                misses.push(*id);
            }
        }
        if !misses.is_empty() {
            let found = storage.nodes(&misses).await?;
            for (id, h) in found {
                self.cache.insert(id, h);
                out.insert(id, h);
            }
        }
        for block in blocks {
            let start = block * BLOCK;
            if let Some(leaves) = self.blocks.get(&block) {
                add_block_nodes(start, &leaves[..], ids, &mut out);
                continue;
            }
            let count = BLOCK.min(size.saturating_sub(start));
            let leaves = storage.node_range(0, start, count).await?;
            if leaves.len() as u64 != count {
                return Err(LogError::Inconsistent(format!(
                    "storage returned {} of {count} leaves at {start}",
                    leaves.len()
                )));
            }
            add_block_nodes(start, &leaves, ids, &mut out);
            if let Ok(full) = <[Hash; BLOCK as usize]>::try_from(leaves) {
                self.insert_block(block, full);
            }
        }
        Ok(out)
    }
}

/// Computes, bottom-up, every complete node inside the block that `wanted` names.
fn add_block_nodes(
    start: u64,
    leaves: &[Hash],
    wanted: &[NodeId],
    out: &mut HashMap<NodeId, Hash>,
) {
    let mut level: Vec<Hash> = leaves.to_vec();
    let mut first = start;
    for l in 0..BLOCK_LEVEL {
        for (i, h) in level.iter().enumerate() {
            let id = NodeId::new(l, first + i as u64);
            if wanted.contains(&id) {
                out.insert(id, *h);
            }
        }
        // Only pairs of complete nodes make a complete parent (RFC 6962 §2.1).
        level = level
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
        first /= 2;
    }
}
