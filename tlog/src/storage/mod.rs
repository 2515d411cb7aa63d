//! Durable storage for the log: SQLite (default) or PostgreSQL, through `sqlx`.
//!
//! Only this module and `tlog/migrations/` know SQL. The contract every backend keeps:
//!
//! * **Atomic batches.** [`Storage::commit_batch`] writes a batch's entries (each with
//!   its search keys in its own row), the complete Merkle nodes it created and the
//!   checkpoint covering it in one transaction. It returns `Ok` only once that
//!   transaction is durable (SQLite `synchronous=FULL` in WAL mode; PostgreSQL `COMMIT`
//!   with its default `synchronous_commit=on`). On `Err` nothing of the batch is visible.
//! * **Single writer.** Only the sequencer calls `commit_batch`, one batch at a time;
//!   reads may run concurrently and see whole batches only.
//! * **Derived search index.** The `index_keys` table is filed behind the sequencer by
//!   [`Storage::index_entries`] (see `crate::search_index`), which also advances the
//!   watermark [`Storage::indexed_through`] in the same transaction: every entry below
//!   it is in `index_keys`. Those transactions need not be durable (a crash may undo the
//!   newest ones, watermark included, and the entries are re-filed from their rows), so
//!   they skip the flush, and they never wait for or hold up a batch's commit: SQLite
//!   keeps the index in a database file of its own (one writer per file), PostgreSQL
//!   writes it from another pooled connection.
//! * **O(log n) reads.** Proofs read the complete nodes a [`ProofPlan`] names; the whole
//!   tree is never loaded.
//!
//! [`ProofPlan`]: signet_tlog_core::proof::ProofPlan

mod postgres;
mod sqlite;

use std::collections::HashMap;

use signet_tlog_core::{hash::Hash, tree::NodeId};

pub use postgres::PgStorage;
pub use sqlite::SqliteStorage;

/// Errors from storage. Any of them means the operation did not take effect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The database refused or failed the operation (I/O, disk full, connection lost...).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Schema migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data is not what the log wrote (wrong hash length, negative index...).
    #[error("corrupt stored data: {what}")]
    Corrupt {
        /// What was wrong.
        what: String,
    },
    /// The database URL names no supported backend.
    #[error("unsupported database URL (expected sqlite: or postgres://): {url}")]
    UnsupportedUrl {
        /// The URL given.
        url: String,
    },
}

/// Identity of a log, written once when it is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogMeta {
    /// Trillian-style tree ID (positive).
    pub tree_id: u64,
    /// Checkpoint origin line, `<host> - <treeID>`.
    pub origin: String,
}

/// A stored leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// Tree index.
    pub index: u64,
    /// RFC 6962 leaf hash of `body`.
    pub leaf_hash: Hash,
    /// Canonical body.
    pub body: Vec<u8>,
    /// Unix seconds.
    pub integrated_time: i64,
    /// Signed entry timestamp (DER ECDSA), stored at sequencing; `None` for entries
    /// written before it was stored.
    pub set: Option<Vec<u8>>,
    /// Data stored beside the leaf, not hashed into the tree (the submitted envelope of a
    /// dsse entry, CT issuance records).
    pub extra: Option<Vec<u8>>,
}

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// Signed note text.
    pub note: String,
}

/// One new leaf of a batch.
#[derive(Clone, Debug)]
pub struct NewEntry {
    /// Tree index assigned by the sequencer.
    pub index: u64,
    /// Leaf hash.
    pub leaf_hash: Hash,
    /// Canonical body.
    pub body: Vec<u8>,
    /// Unix seconds.
    pub integrated_time: i64,
    /// Signed entry timestamp (DER ECDSA) over this entry at this index and time; `None`
    /// for logs whose entries carry no SET (the CT log).
    pub set: Option<Vec<u8>>,
    /// Data stored beside the leaf, not hashed into the tree.
    pub extra: Option<Vec<u8>>,
    /// Search keys.
    pub index_keys: Vec<String>,
}

/// One entry's search keys, as filed into the search index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexRow {
    /// Tree index of the entry.
    pub index: u64,
    /// Its search keys.
    pub keys: Vec<String>,
}

/// A row for unit tests: body `entry {index}`, integrated at `1_700_000_000 + index`, no
/// SET or extra data.
#[cfg(test)]
pub(crate) fn test_entry(index: u64, index_keys: Vec<String>) -> NewEntry {
    let body = format!("entry {index}").into_bytes();
    NewEntry {
        index,
        leaf_hash: signet_tlog_core::hash::leaf_hash(&body),
        body,
        integrated_time: 1_700_000_000 + index as i64,
        set: None,
        extra: None,
        index_keys,
    }
}

/// Everything one group commit writes.
#[derive(Debug)]
pub struct Batch<'a> {
    /// New leaves, in index order, contiguous from the previous tree size.
    pub entries: &'a [NewEntry],
    /// Complete nodes of level >= 1 created by these leaves.
    pub nodes: &'a [(NodeId, Hash)],
    /// The checkpoint for the tree including these leaves.
    pub checkpoint: &'a StoredCheckpoint,
}

/// A storage backend. An enum rather than a trait object: there are exactly two.
#[derive(Clone, Debug)]
pub enum Storage {
    /// SQLite file in the data directory (default).
    Sqlite(SqliteStorage),
    /// PostgreSQL.
    Postgres(PgStorage),
}

/// Packs a node ID into the integer key of the `nodes` table: `level << 56 | index`.
pub(crate) fn node_key(id: NodeId) -> i64 {
    // Levels are < 64 and indexes at level >= 1 are < 2^55 for any log that fits in
    // u64 leaves below 2^56, so the value stays positive.
    ((u64::from(id.level) << 56) | id.index) as i64
}

pub(crate) fn hash_from_db(bytes: &[u8]) -> Result<Hash, StorageError> {
    Hash::from_slice(bytes).ok_or_else(|| StorageError::Corrupt {
        what: format!("stored hash has {} bytes, want 32", bytes.len()),
    })
}

pub(crate) fn u64_from_db(v: i64, what: &str) -> Result<u64, StorageError> {
    u64::try_from(v).map_err(|_| StorageError::Corrupt {
        what: format!("negative {what}: {v}"),
    })
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Storage::Sqlite($s) => $e,
            Storage::Postgres($s) => $e,
        }
    };
}

impl Storage {
    /// Opens (and migrates) the database at `url`: `sqlite:PATH` or `postgres://...`.
    ///
    /// # Errors
    /// Connection or migration failure, or an unsupported URL.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Storage::Sqlite(SqliteStorage::open(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Storage::Postgres(PgStorage::open(url).await?))
        } else {
            Err(StorageError::UnsupportedUrl {
                url: url.to_owned(),
            })
        }
    }

    /// The log's identity, or `None` if no log was created in this database yet.
    pub async fn meta(&self) -> Result<Option<LogMeta>, StorageError> {
        dispatch!(self, s => s.meta().await)
    }

    /// Creates the log: writes its identity and the signed empty checkpoint, atomically.
    pub async fn create_log(
        &self,
        meta: &LogMeta,
        empty: &StoredCheckpoint,
    ) -> Result<(), StorageError> {
        dispatch!(self, s => s.create_log(meta, empty).await)
    }

    /// The newest checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StorageError> {
        dispatch!(self, s => s.latest_checkpoint().await)
    }

    /// The checkpoint the log signed for exactly `size`, if it signed one.
    pub async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StorageError> {
        dispatch!(self, s => s.checkpoint_at(size).await)
    }

    /// Writes a batch atomically and durably (see the module docs).
    pub async fn commit_batch(&self, batch: &Batch<'_>) -> Result<(), StorageError> {
        dispatch!(self, s => s.commit_batch(batch).await)
    }

    /// The hashes of the given complete nodes (level 0 from the leaves). Missing ones are absent.
    pub async fn nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, StorageError> {
        dispatch!(self, s => s.nodes(ids).await)
    }

    /// `count` consecutive complete nodes at `level` starting at `start` (for tiles).
    pub async fn node_range(
        &self,
        level: u8,
        start: u64,
        count: u64,
    ) -> Result<Vec<Hash>, StorageError> {
        dispatch!(self, s => s.node_range(level, start, count).await)
    }

    /// The entry at `index`.
    pub async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError> {
        dispatch!(self, s => s.entry_by_index(index).await)
    }

    /// The entry with this leaf hash.
    pub async fn entry_by_leaf(&self, leaf: &Hash) -> Result<Option<StoredEntry>, StorageError> {
        dispatch!(self, s => s.entry_by_leaf(leaf).await)
    }

    /// The indexes of those of `leaves` already in the log (one query per chunk, not per
    /// leaf: the sequencer calls this once per batch to find duplicates).
    pub async fn leaf_indexes(&self, leaves: &[Hash]) -> Result<HashMap<Hash, u64>, StorageError> {
        dispatch!(self, s => s.leaf_indexes(leaves).await)
    }

    /// Entries `[start, start + count)` in index order (for entry bundles and replay).
    pub async fn entries_range(
        &self,
        start: u64,
        count: u64,
    ) -> Result<Vec<StoredEntry>, StorageError> {
        dispatch!(self, s => s.entries_range(start, count).await)
    }

    /// Indexes of entries filed under a search key in `index_keys` (entries at or beyond
    /// [`Storage::indexed_through`] may not be filed yet), ascending, at most `limit`.
    pub async fn lookup_key(&self, key: &str, limit: u32) -> Result<Vec<u64>, StorageError> {
        dispatch!(self, s => s.lookup_key(key, limit).await)
    }

    /// The search index's watermark: every entry with a smaller index is filed.
    pub async fn indexed_through(&self) -> Result<u64, StorageError> {
        dispatch!(self, s => s.indexed_through().await)
    }

    /// The stored search keys of entries `[start, start + count)`, in index order.
    ///
    /// # Errors
    /// [`StorageError::Corrupt`] for an entry without stored keys (only entries written
    /// before the keys were stored lack them, and those are below the watermark).
    pub async fn stored_keys(&self, start: u64, count: u64) -> Result<Vec<IndexRow>, StorageError> {
        dispatch!(self, s => s.stored_keys(start, count).await)
    }

    /// Drops what the search index holds for entries at or beyond `size` and lowers its
    /// watermark to `size` (an index file ahead of the log, e.g. after the log's database
    /// was restored from an older copy).
    pub async fn forget_index_from(&self, size: u64) -> Result<(), StorageError> {
        dispatch!(self, s => s.forget_index_from(size).await)
    }

    /// Files `rows` into `index_keys` (a key already filed for an entry is skipped) and
    /// raises the watermark to `through`, in one transaction that skips the flush (see
    /// the module docs). The caller passes every entry below `through` not yet filed.
    pub async fn index_entries(&self, rows: &[IndexRow], through: u64) -> Result<(), StorageError> {
        dispatch!(self, s => s.index_entries(rows, through).await)
    }
}

/// The `entries.keys` column: the entry's search keys as a JSON array of strings (keys
/// are arbitrary text, e.g. a certificate's subject, so no separator is safe).
pub(crate) fn keys_to_db(keys: &[String]) -> String {
    serde_json::Value::from(keys).to_string()
}

pub(crate) fn keys_from_db(index: u64, stored: Option<&str>) -> Result<IndexRow, StorageError> {
    let text = stored.ok_or_else(|| StorageError::Corrupt {
        what: format!("entry {index} has no stored search keys"),
    })?;
    let keys = serde_json::from_str(text).map_err(|e| StorageError::Corrupt {
        what: format!("entry {index}: stored search keys are not a JSON string array: {e}"),
    })?;
    Ok(IndexRow { index, keys })
}

pub(crate) fn meta_to_pairs(meta: &LogMeta) -> [(&'static str, String); 2] {
    [
        ("tree_id", meta.tree_id.to_string()),
        ("origin", meta.origin.clone()),
    ]
}

pub(crate) fn meta_from_map(
    map: &HashMap<String, String>,
) -> Result<Option<LogMeta>, StorageError> {
    if map.is_empty() {
        return Ok(None);
    }
    let get = |k: &str| {
        map.get(k).ok_or_else(|| StorageError::Corrupt {
            what: format!("log metadata lacks {k}"),
        })
    };
    let tree_id = get("tree_id")?.parse().map_err(|_| StorageError::Corrupt {
        what: "tree_id is not a number".to_owned(),
    })?;
    Ok(Some(LogMeta {
        tree_id,
        origin: get("origin")?.clone(),
    }))
}
