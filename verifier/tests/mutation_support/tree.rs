//! A small RFC 6962 Merkle tree around one entry, with its inclusion proof (built with
//! `signet-tlog-core`'s compact range and proof plans, the log's own code).
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::collections::HashMap;

use signet_tlog_core::hash::{leaf_hash, Hash};
use signet_tlog_core::proof::inclusion_plan;
use signet_tlog_core::tree::CompactRange;

/// An inclusion proof of one leaf.
#[derive(Clone, Debug)]
pub struct Proof {
    pub index: u64,
    pub size: u64,
    pub root: Hash,
    pub hashes: Vec<Hash>,
}

/// The tree of `size` leaves in which leaf `index` is `leaf_data` and every other leaf is
/// filler; the proof of `index`.
pub fn prove(leaf_data: &[u8], index: u64, size: u64) -> Proof {
    let mut range = CompactRange::new();
    let mut nodes = HashMap::new();
    for i in 0..size {
        let leaf = if i == index {
            leaf_hash(leaf_data)
        } else {
            leaf_hash(format!("filler leaf {i}").as_bytes())
        };
        range.append(leaf, &mut |id, hash| {
            nodes.insert(id, hash);
        });
    }
    let hashes = inclusion_plan(index, size)
        .unwrap()
        .assemble(|id| nodes.get(&id).copied())
        .unwrap();
    Proof {
        index,
        size,
        root: range.root(),
        hashes,
    }
}
