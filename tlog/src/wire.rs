//! Domain → wire DTO conversion: Rekor v1 (PROTOCOL.md §4.1, §4.4) and the Signet
//! entry-metadata extension (see [`crate::http`]).

use signet_rekor::api;

use crate::log::{base64_std, EntryMeta, Log, ProvenEntry};

/// The `GET /signet/v1/entry-meta/...` body for a bundle's entries (in index order).
pub fn entry_meta_bundle(entries: &[EntryMeta]) -> api::EntryMetaBundle {
    api::EntryMetaBundle {
        entries: entries
            .iter()
            .map(|e| api::EntryMeta {
                log_index: e.index,
                integrated_time: e.integrated_time,
                signed_entry_timestamp: e.set.as_deref().map(base64_std),
                extra: e.extra.as_deref().map(base64_std),
            })
            .collect(),
    }
}

/// The `LogEntry` map (one key: the 80-hex entry ID) for a proven entry.
pub fn log_entry(log: &Log, p: &ProvenEntry) -> api::LogEntry {
    let mut map = api::LogEntry::new();
    map.insert(log.entry_id(&p.entry.leaf_hash), log_entry_anon(log, p));
    map
}

/// The value of the `LogEntry` map.
pub fn log_entry_anon(log: &Log, p: &ProvenEntry) -> api::LogEntryAnon {
    api::LogEntryAnon {
        body: base64_std(&p.entry.body),
        integrated_time: p.entry.integrated_time,
        log_id: log.log_id_hex().to_owned(),
        log_index: p.entry.index,
        verification: api::Verification {
            inclusion_proof: api::InclusionProof {
                checkpoint: p.head.note.clone(),
                hashes: p.proof.iter().map(|h| h.to_hex()).collect(),
                // Single shard: the tree index equals the global index (PROTOCOL.md §4.2).
                log_index: p.entry.index,
                root_hash: p.head.root.to_hex(),
                tree_size: p.head.size,
            },
            signed_entry_timestamp: base64_std(&p.set),
        },
    }
}
