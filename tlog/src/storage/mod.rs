//! Durable storage for the log: SQLite (default) or PostgreSQL, through `sqlx`.
//!
//! Only this module and `tlog/migrations/` know SQL. The contract every backend keeps:
//!
//! * **Atomic batches.** [`Storage::commit_batch`] writes a batch's entries, the
//!   complete Merkle nodes it created, its search keys and the checkpoint covering
//!   it in one transaction. It returns `Ok` only once that transaction is durable
//!   (SQLite `synchronous=FULL` in WAL mode; PostgreSQL `COMMIT` with its default
//!   `synchronous_commit=on`). On `Err` nothing of the batch is visible.
//! * **Single writer.** Only the sequencer calls `commit_batch`, one batch at a time;
//!   reads may run concurrently and see whole batches only.
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

    /// Indexes of entries filed under a search key.
    pub async fn lookup_key(&self, key: &str, limit: u32) -> Result<Vec<u64>, StorageError> {
        dispatch!(self, s => s.lookup_key(key, limit).await)
    }
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
