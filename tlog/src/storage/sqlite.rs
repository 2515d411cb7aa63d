//! SQLite backend: WAL journal, `synchronous=FULL`, one writer connection and a
//! small set of read-only connections (WAL lets readers run beside the writer).
//!
//! The connections are held directly rather than through `sqlx::Pool`: the pool pings
//! a connection every time it is released, which for SQLite is one more round trip to
//! the connection's worker thread on every query (about a tenth of the CPU of a proof
//! read). Local files cannot go stale, so that ping buys nothing here.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use signet_tlog_core::{hash::Hash, tree::NodeId};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
    ConnectOptions, Connection, QueryBuilder, Row, Sqlite, SqliteConnection,
};
use tokio::sync::{Mutex, MutexGuard};

mod grouped;
mod search;

use grouped::GroupedReads;
use search::SearchDb;

use super::{
    hash_from_db, node_key, u64_from_db, Batch, IndexRow, LogMeta, StorageError, StoredCheckpoint,
    StoredEntry,
};

/// Rows per multi-row INSERT statement (6 binds per entry row stays far below
/// SQLite's 32766-variable limit).
const ROWS_PER_INSERT: usize = 256;

/// WAL frames after which a commit also checkpoints (SQLite's default is 1,000). The
/// checkpoint runs inside the commit that crosses the threshold, so its size is the
/// latency spike of that batch: at 2,000 appends/s offered, p99 was 13.4–13.6 ms with
/// 1,000 and 8.9–9.9 ms with 250 (alternating 20-s runs, 2026-11-22). Short saturated
/// runs suggested ~9% less throughput (more, smaller checkpoints); the 60-s benchmark
/// phase measured none (5,374/s against 5,371/s the run before).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 250;

/// Read-only connections opened at start.
const READERS: usize = 4;

/// SQLite storage. Cloning shares the connections.
#[derive(Clone, Debug)]
pub struct SqliteStorage {
    writer: Arc<Mutex<SqliteConnection>>,
    readers: Arc<Readers>,
    /// Single-entry reads by index, grouped into one query each (see `grouped`).
    by_index: GroupedReads,
    /// The search index, in a database file of its own (see `search`).
    search: SearchDb,
}

/// A fixed set of read-only connections; a query takes a free one, or waits for one.
#[derive(Debug)]
struct Readers {
    conns: Vec<Mutex<SqliteConnection>>,
    next: AtomicUsize,
}

impl Readers {
    async fn get(&self) -> MutexGuard<'_, SqliteConnection> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            if let Ok(conn) = self.conns[(start + i) % n].try_lock() {
                return conn;
            }
        }
        self.conns[start].lock().await
    }
}

impl SqliteStorage {
    /// Opens `sqlite:PATH`, creating the file if needed, and applies migrations.
    pub(super) async fn open(url: &str) -> Result<Self, StorageError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durability: a commit is on stable storage when COMMIT returns.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-16384") // 16 MiB page cache for the writer
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
        let mut writer = opts.connect().await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut writer)
            .await?;
        let search = SearchDb::open(&opts, &mut writer).await?;
        // Readers touch few pages per proof (upper nodes and recent leaves come from the
        // node cache): 4 MiB each keeps resident memory bounded.
        let reader_opts = opts.read_only(true).pragma("cache_size", "-4096");
        let mut conns = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            conns.push(Mutex::new(reader_opts.connect().await?));
        }
        let writer = Arc::new(Mutex::new(writer));
        let readers = Arc::new(Readers {
            conns,
            next: AtomicUsize::new(0),
        });
        let by_index = GroupedReads::start(readers.clone());
        Ok(Self {
            writer,
            readers,
            by_index,
            search,
        })
    }

    pub(super) async fn meta(&self) -> Result<Option<LogMeta>, StorageError> {
        let rows = sqlx::query("SELECT key, value FROM meta")
            .fetch_all(&mut *self.writer.lock().await)
            .await?;
        let map: HashMap<String, String> = rows
            .iter()
            .map(|r| Ok((r.try_get("key")?, r.try_get("value")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        super::meta_from_map(&map)
    }

    pub(super) async fn create_log(
        &self,
        meta: &LogMeta,
        empty: &StoredCheckpoint,
    ) -> Result<(), StorageError> {
        let mut writer = self.writer.lock().await;
        let mut tx = Connection::begin(&mut *writer).await?;
        for (k, v) in super::meta_to_pairs(meta) {
            sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?)")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        insert_checkpoint(&mut tx, empty).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StorageError> {
        let row = sqlx::query(
            "SELECT tree_size, root, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(&mut *self.readers.get().await)
        .await?;
        row.map(|r| checkpoint_from_row(&r)).transpose()
    }

    pub(super) async fn checkpoint_at(
        &self,
        size: u64,
    ) -> Result<Option<StoredCheckpoint>, StorageError> {
        let row = sqlx::query("SELECT tree_size, root, note FROM checkpoints WHERE tree_size = ?")
            .bind(size as i64)
            .fetch_optional(&mut *self.readers.get().await)
            .await?;
        row.map(|r| checkpoint_from_row(&r)).transpose()
    }

    /// The whole batch, `BEGIN IMMEDIATE` to `COMMIT`, is one multi-statement query:
    /// one round trip to SQLite's worker thread instead of one per statement (sqlx binds
    /// `?` parameters across the statements in order). If any statement fails, the
    /// transaction is rolled back before the error is returned, so nothing is visible.
    pub(super) async fn commit_batch(&self, batch: &Batch<'_>) -> Result<(), StorageError> {
        let mut q = QueryBuilder::<Sqlite>::new("BEGIN IMMEDIATE;\n");
        let keys: Vec<String> = batch
            .entries
            .iter()
            .map(|e| super::keys_to_db(&e.index_keys))
            .collect();
        for (chunk, keys) in batch
            .entries
            .chunks(ROWS_PER_INSERT)
            .zip(keys.chunks(ROWS_PER_INSERT))
        {
            q.push(
                "INSERT INTO entries (idx, leaf_hash, body, integrated_time, set_sig, extra, keys) ",
            );
            q.push_values(chunk.iter().zip(keys), |mut b, (e, k)| {
                b.push_bind(e.index as i64)
                    .push_bind(e.leaf_hash.as_bytes().to_vec())
                    .push_bind(e.body.as_slice())
                    .push_bind(e.integrated_time)
                    .push_bind(e.set.as_deref())
                    .push_bind(e.extra.as_deref())
                    .push_bind(k.as_str());
            });
            q.push(";\n");
        }
        for chunk in batch.nodes.chunks(ROWS_PER_INSERT) {
            q.push("INSERT INTO nodes (id, hash) ");
            q.push_values(chunk, |mut b, (id, h)| {
                b.push_bind(node_key(*id)).push_bind(h.as_bytes().to_vec());
            });
            q.push(";\n");
        }
        let cp = batch.checkpoint;
        q.push("INSERT INTO checkpoints (tree_size, root, note) VALUES (");
        q.push_bind(cp.size as i64)
            .push(", ")
            .push_bind(cp.root.as_bytes().to_vec())
            .push(", ")
            .push_bind(cp.note.as_str())
            .push(");\nCOMMIT;");
        write_all_or_nothing(&mut *self.writer.lock().await, q).await
    }

    pub(super) async fn nodes(
        &self,
        ids: &[NodeId],
    ) -> Result<HashMap<NodeId, Hash>, StorageError> {
        let mut out = HashMap::with_capacity(ids.len());
        let (leaves, inner): (Vec<NodeId>, Vec<NodeId>) = ids.iter().partition(|id| id.level == 0);
        if !leaves.is_empty() {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT idx, leaf_hash FROM entries WHERE idx IN (");
            let mut sep = q.separated(", ");
            for id in &leaves {
                sep.push_bind(id.index as i64);
            }
            q.push(")");
            for r in q.build().fetch_all(&mut *self.readers.get().await).await? {
                let idx: i64 = r.try_get("idx")?;
                let h: Vec<u8> = r.try_get("leaf_hash")?;
                out.insert(
                    NodeId::new(0, u64_from_db(idx, "index")?),
                    hash_from_db(&h)?,
                );
            }
        }
        if !inner.is_empty() {
            let by_key: HashMap<i64, NodeId> =
                inner.iter().map(|id| (node_key(*id), *id)).collect();
            let mut q = QueryBuilder::<Sqlite>::new("SELECT id, hash FROM nodes WHERE id IN (");
            let mut sep = q.separated(", ");
            for k in by_key.keys() {
                sep.push_bind(*k);
            }
            q.push(")");
            for r in q.build().fetch_all(&mut *self.readers.get().await).await? {
                let key: i64 = r.try_get("id")?;
                let h: Vec<u8> = r.try_get("hash")?;
                if let Some(id) = by_key.get(&key) {
                    out.insert(*id, hash_from_db(&h)?);
                }
            }
        }
        Ok(out)
    }

    pub(super) async fn node_range(
        &self,
        level: u8,
        start: u64,
        count: u64,
    ) -> Result<Vec<Hash>, StorageError> {
        let rows = if level == 0 {
            sqlx::query(
                "SELECT leaf_hash AS hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
            )
            .bind(start as i64)
            .bind((start + count) as i64)
            .fetch_all(&mut *self.readers.get().await)
            .await?
        } else {
            let first = node_key(NodeId::new(level, start));
            sqlx::query("SELECT hash FROM nodes WHERE id >= ? AND id < ? ORDER BY id")
                .bind(first)
                .bind(first + count as i64)
                .fetch_all(&mut *self.readers.get().await)
                .await?
        };
        rows.iter()
            .map(|r| hash_from_db(&r.try_get::<Vec<u8>, _>("hash")?))
            .collect()
    }

    pub(super) async fn entry_by_index(
        &self,
        index: u64,
    ) -> Result<Option<StoredEntry>, StorageError> {
        self.by_index.entry_by_index(index).await
    }

    pub(super) async fn entry_by_leaf(
        &self,
        leaf: &Hash,
    ) -> Result<Option<StoredEntry>, StorageError> {
        let row = sqlx::query(
            "SELECT idx, leaf_hash, body, integrated_time, set_sig, extra FROM entries WHERE leaf_hash = ?",
        )
        .bind(leaf.as_bytes().to_vec())
        .fetch_optional(&mut *self.readers.get().await)
        .await?;
        row.map(|r| entry_from_row(&r)).transpose()
    }

    pub(super) async fn leaf_indexes(
        &self,
        leaves: &[Hash],
    ) -> Result<HashMap<Hash, u64>, StorageError> {
        let mut out = HashMap::new();
        for chunk in leaves.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT idx, leaf_hash FROM entries WHERE leaf_hash IN (",
            );
            let mut sep = q.separated(", ");
            for leaf in chunk {
                sep.push_bind(leaf.as_bytes().to_vec());
            }
            q.push(")");
            // The writer connection: the sequencer is the only writer, so this sees every
            // committed batch.
            for r in q.build().fetch_all(&mut *self.writer.lock().await).await? {
                let idx = u64_from_db(r.try_get("idx")?, "index")?;
                out.insert(hash_from_db(&r.try_get::<Vec<u8>, _>("leaf_hash")?)?, idx);
            }
        }
        Ok(out)
    }

    pub(super) async fn entries_range(
        &self,
        start: u64,
        count: u64,
    ) -> Result<Vec<StoredEntry>, StorageError> {
        let rows = sqlx::query(
            "SELECT idx, leaf_hash, body, integrated_time, set_sig, extra FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
        )
        .bind(start as i64)
        .bind((start + count) as i64)
        .fetch_all(&mut *self.readers.get().await)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    pub(super) async fn lookup_key(&self, key: &str, limit: u32) -> Result<Vec<u64>, StorageError> {
        self.search.lookup_key(key, limit).await
    }

    pub(super) async fn indexed_through(&self) -> Result<u64, StorageError> {
        self.search.indexed_through().await
    }

    pub(super) async fn index_entries(
        &self,
        rows: &[IndexRow],
        through: u64,
    ) -> Result<(), StorageError> {
        self.search.index_entries(rows, through).await
    }

    pub(super) async fn forget_index_from(&self, size: u64) -> Result<(), StorageError> {
        self.search.forget_from(size).await
    }

    pub(super) async fn stored_keys(
        &self,
        start: u64,
        count: u64,
    ) -> Result<Vec<IndexRow>, StorageError> {
        let rows =
            sqlx::query("SELECT idx, keys FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx")
                .bind(start as i64)
                .bind((start + count) as i64)
                .fetch_all(&mut *self.readers.get().await)
                .await?;
        rows.iter()
            .map(|r| {
                let index = u64_from_db(r.try_get("idx")?, "index")?;
                super::keys_from_db(index, r.try_get::<Option<&str>, _>("keys")?)
            })
            .collect()
    }
}

/// Runs `q`, a whole transaction in one multi-statement query (`BEGIN IMMEDIATE` to
/// `COMMIT`), and rolls back whatever part of it ran if it fails.
async fn write_all_or_nothing(
    conn: &mut SqliteConnection,
    mut q: QueryBuilder<'_, Sqlite>,
) -> Result<(), StorageError> {
    // Not cached: the shape varies from one batch to the next.
    let result = q.build().persistent(false).execute(&mut *conn).await;
    if let Err(e) = result {
        rollback(conn).await;
        return Err(e.into());
    }
    Ok(())
}

/// Undoes whatever part of a failed batch ran. "No transaction is active" (the failure
/// was before `BEGIN`, or a failed `COMMIT` already ended it) is fine to ignore.
async fn rollback(conn: &mut SqliteConnection) {
    if let Err(e) = sqlx::Executor::execute(conn, "ROLLBACK").await {
        tracing::debug!(error = %e, "rollback after a failed batch");
    }
}

async fn insert_checkpoint(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    cp: &StoredCheckpoint,
) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO checkpoints (tree_size, root, note) VALUES (?, ?, ?)")
        .bind(cp.size as i64)
        .bind(cp.root.as_bytes().to_vec())
        .bind(cp.note.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn checkpoint_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<StoredCheckpoint, StorageError> {
    Ok(StoredCheckpoint {
        size: u64_from_db(r.try_get("tree_size")?, "tree size")?,
        root: hash_from_db(&r.try_get::<Vec<u8>, _>("root")?)?,
        note: r.try_get("note")?,
    })
}

fn entry_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<StoredEntry, StorageError> {
    Ok(StoredEntry {
        index: u64_from_db(r.try_get("idx")?, "index")?,
        leaf_hash: hash_from_db(&r.try_get::<Vec<u8>, _>("leaf_hash")?)?,
        body: r.try_get("body")?,
        integrated_time: r.try_get("integrated_time")?,
        set: r.try_get("set_sig")?,
        extra: r.try_get("extra")?,
    })
}
