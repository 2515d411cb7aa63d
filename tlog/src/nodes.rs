//! Node reads for proofs: a bounded cache in front of storage.
//!
//! Complete Merkle nodes never change, so caching them is always safe. Two tiers:
//!
//! * nodes of level >= [`BLOCK_LEVEL`] (one per 16 leaves or fewer) sit in a bounded
//!   S3-FIFO cache, filled by the sequencer as it commits and by storage reads on a miss;
//! * nodes below that level are recomputed from the leaf hashes of their aligned
//!   16-leaf block, read with one range query (RFC 6962 §2.1: a complete node is the
//!   MTH of its leaves).
//!
//! A proof for a tree of any size then costs one small range read plus cache hits,
//! while memory stays bounded by the cache capacity, not by the log size.

use std::collections::{BTreeSet, HashMap};

use signet_tlog_core::{
    hash::{node_hash, Hash},
    tree::NodeId,
};

use crate::{error::LogError, storage::Storage};

/// Nodes below this level are recomputed from a 2^BLOCK_LEVEL-leaf block.
pub const BLOCK_LEVEL: u8 = 4;
const BLOCK: u64 = 1 << BLOCK_LEVEL;

/// Bounded cache of complete nodes of level >= [`BLOCK_LEVEL`].
pub struct NodeCache {
    cache: quick_cache::sync::Cache<NodeId, Hash>,
}

impl std::fmt::Debug for NodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCache")
            .field("len", &self.cache.len())
            .finish()
    }
}

impl NodeCache {
    /// A cache holding at most `capacity` nodes (~100 bytes each).
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(capacity.max(1)),
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

    /// The hashes of `ids`, all complete nodes of the published tree of `size`.
    ///
    /// # Errors
    /// Storage errors; [`LogError::Inconsistent`] if storage lacks a node it must have.
    pub async fn get(
        &self,
        storage: &Storage,
        size: u64,
        ids: &[NodeId],
    ) -> Result<HashMap<NodeId, Hash>, LogError> {
        let mut out = HashMap::with_capacity(ids.len());
        let mut blocks = BTreeSet::new();
        let mut misses = Vec::new();
        for id in ids {
            if id.level < BLOCK_LEVEL {
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
            let count = BLOCK.min(size.saturating_sub(start));
            let leaves = storage.node_range(0, start, count).await?;
            if leaves.len() as u64 != count {
                return Err(LogError::Inconsistent(format!(
                    "storage returned {} of {count} leaves at {start}",
                    leaves.len()
                )));
            }
            add_block_nodes(start, &leaves, ids, &mut out);
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
