//! The SQLite search index: `index_keys` and its watermark in a database file of their
//! own beside the log's (`tlog.sqlite` → `tlog.index.sqlite`), with its own writer
//! connection and WAL.
//!
//! SQLite allows one writer per database file. Filing a key is an insert at a random
//! place in a large B-tree; on the log's file it would wait for, and hold up, the batch
//! commits every append waits for. In a file of its own it runs beside them (measured on
//! the 2-core machine, 15-s closed-loop appends: ~5.4k/s with the index in the log's
//! file, filed behind the sequencer or not; 6.5–7.2k/s with its own file).
//!
//! The index is derived data (every row can be re-filed from `entries.keys`), so its
//! connection commits with `synchronous=NORMAL`: atomic, but a crash may undo the newest
//! filings, watermark included, and `crate::search_index` re-files them at start.

use std::{path::PathBuf, sync::Arc};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteSynchronous},
    ConnectOptions, QueryBuilder, Row, Sqlite, SqliteConnection,
};
use tokio::sync::Mutex;

use super::{rollback, write_all_or_nothing, ROWS_PER_INSERT};
use crate::storage::{u64_from_db, IndexRow, StorageError};

/// The index file's connections: one writer (the filer's) and one reader (lookups).
#[derive(Clone, Debug)]
pub(super) struct SearchDb {
    writer: Arc<Mutex<SqliteConnection>>,
    reader: Arc<Mutex<SqliteConnection>>,
}

/// `dir/tlog.sqlite` → `dir/tlog.index.sqlite` (`dir/log` → `dir/log.index`).
fn index_path(log_db: &std::path::Path) -> PathBuf {
    let stem = log_db.file_stem().unwrap_or_default().to_string_lossy();
    let name = match log_db.extension() {
        Some(ext) => format!("{stem}.index.{}", ext.to_string_lossy()),
        None => format!("{stem}.index"),
    };
    log_db.with_file_name(name)
}

impl SearchDb {
    /// Opens (creating and migrating) the index file beside the log database `log_opts`
    /// names, then moves into it the `index_keys` rows an older version kept in the log's
    /// own file, through `log_writer` (see `migrations/sqlite/0004_*`).
    pub(super) async fn open(
        log_opts: &SqliteConnectOptions,
        log_writer: &mut SqliteConnection,
    ) -> Result<Self, StorageError> {
        let path = index_path(log_opts.get_filename());
        let opts = log_opts
            .clone()
            .filename(&path)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("cache_size", "-8192");
        let mut writer = opts.connect().await?;
        sqlx::migrate!("./migrations/sqlite-index")
            .run(&mut writer)
            .await?;
        move_legacy_rows(log_writer, &path).await?;
        let reader = opts
            .read_only(true)
            .pragma("cache_size", "-2048")
            .connect()
            .await?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    pub(super) async fn lookup_key(&self, key: &str, limit: u32) -> Result<Vec<u64>, StorageError> {
        let rows = sqlx::query("SELECT idx FROM index_keys WHERE key = ? ORDER BY idx LIMIT ?")
            .bind(key)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.reader.lock().await)
            .await?;
        rows.iter()
            .map(|r| u64_from_db(r.try_get("idx")?, "index"))
            .collect()
    }

    pub(super) async fn indexed_through(&self) -> Result<u64, StorageError> {
        let v: i64 = sqlx::query_scalar("SELECT indexed_through FROM index_state WHERE id = 0")
            .fetch_one(&mut *self.reader.lock().await)
            .await?;
        u64_from_db(v, "search index watermark")
    }

    /// One multi-statement query, `BEGIN IMMEDIATE` to `COMMIT`, like a batch commit.
    pub(super) async fn index_entries(
        &self,
        rows: &[IndexRow],
        through: u64,
    ) -> Result<(), StorageError> {
        let keys: Vec<(&str, i64)> = rows
            .iter()
            .flat_map(|r| r.keys.iter().map(move |k| (k.as_str(), r.index as i64)))
            .collect();
        let mut q = QueryBuilder::<Sqlite>::new("BEGIN IMMEDIATE;\n");
        for chunk in keys.chunks(ROWS_PER_INSERT) {
            q.push("INSERT OR IGNORE INTO index_keys (key, idx) ");
            q.push_values(chunk, |mut b, (k, i)| {
                b.push_bind(*k).push_bind(*i);
            });
            q.push(";\n");
        }
        q.push("UPDATE index_state SET indexed_through = max(indexed_through, ")
            .push_bind(through as i64)
            .push(") WHERE id = 0;\nCOMMIT;");
        write_all_or_nothing(&mut *self.writer.lock().await, q).await
    }

    /// Drops what the index holds for entries at or beyond `size`, and lowers the
    /// watermark to `size`.
    pub(super) async fn forget_from(&self, size: u64) -> Result<(), StorageError> {
        let mut q =
            QueryBuilder::<Sqlite>::new("BEGIN IMMEDIATE;\nDELETE FROM index_keys WHERE idx >= ");
        q.push_bind(size as i64)
            .push(";\nUPDATE index_state SET indexed_through = ")
            .push_bind(size as i64)
            .push(" WHERE id = 0;\nCOMMIT;");
        write_all_or_nothing(&mut *self.writer.lock().await, q).await
    }
}

/// Moves `index_keys` from the log's file into the index file at `path`, raises the
/// watermark over the entries it covered (those stored without keys, a prefix of the
/// log), and drops the old table. The copy commits before the drop; if the process dies
/// between the two, the next start copies again, which changes nothing.
async fn move_legacy_rows(
    log_writer: &mut SqliteConnection,
    path: &std::path::Path,
) -> Result<(), StorageError> {
    let legacy: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'index_keys'",
    )
    .fetch_optional(&mut *log_writer)
    .await?;
    if legacy.is_none() {
        return Ok(());
    }
    sqlx::query("ATTACH DATABASE ? AS search")
        .bind(path.to_string_lossy().into_owned())
        .execute(&mut *log_writer)
        .await?;
    let moved = sqlx::raw_sql(
        "BEGIN IMMEDIATE;
         INSERT OR IGNORE INTO search.index_keys (key, idx) SELECT key, idx FROM main.index_keys;
         UPDATE search.index_state SET indexed_through = max(indexed_through,
             (SELECT COALESCE(MAX(idx) + 1, 0) FROM main.entries WHERE keys IS NULL))
         WHERE id = 0;
         COMMIT;
         DROP TABLE main.index_keys;",
    )
    .execute(&mut *log_writer)
    .await;
    if moved.is_err() {
        rollback(log_writer).await;
    }
    let detached = sqlx::query("DETACH DATABASE search")
        .execute(&mut *log_writer)
        .await;
    moved?;
    detached?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::storage::SqliteStorage;
    use sqlx::Connection as _;

    #[test]
    fn the_index_file_sits_beside_the_log_file() {
        let p = |s: &str| index_path(std::path::Path::new(s));
        assert_eq!(p("/d/tlog.sqlite"), PathBuf::from("/d/tlog.index.sqlite"));
        assert_eq!(p("/d/ct.sqlite"), PathBuf::from("/d/ct.index.sqlite"));
        assert_eq!(p("/d/log"), PathBuf::from("/d/log.index"));
    }

    /// A log written by an older version, with its index in the log's own file: opening
    /// moves every row into the index file, sets the watermark over the entries stored
    /// without keys, and drops the old table.
    #[tokio::test]
    async fn an_older_index_is_moved_into_the_index_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("tlog.sqlite").display());
        drop(SqliteStorage::open(&url).await.unwrap());
        let mut c = SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE index_keys (key TEXT NOT NULL, idx INTEGER NOT NULL,
                 PRIMARY KEY (key, idx)) WITHOUT ROWID;
             INSERT INTO entries (idx, leaf_hash, body, integrated_time) VALUES
                 (0, x'00', x'', 0), (1, x'01', x'', 0), (2, x'02', x'', 0);
             INSERT INTO index_keys VALUES ('a', 0), ('b', 1), ('a', 2);",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
        // Forget the watermark, as a file created before the move would hold.
        let index_url = format!("sqlite:{}", dir.path().join("tlog.index.sqlite").display());
        let mut c = SqliteConnection::connect(&index_url).await.unwrap();
        sqlx::query("UPDATE index_state SET indexed_through = 0")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();

        let storage = SqliteStorage::open(&url).await.unwrap();
        assert_eq!(storage.indexed_through().await.unwrap(), 3);
        assert_eq!(storage.lookup_key("a", 10).await.unwrap(), [0, 2]);
        assert_eq!(storage.lookup_key("b", 10).await.unwrap(), [1]);
        let mut c = SqliteConnection::connect(&url).await.unwrap();
        let left: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'index_keys'",
        )
        .fetch_optional(&mut c)
        .await
        .unwrap();
        assert_eq!(left, None, "the old table is dropped");
        c.close().await.unwrap();
        // Opening again changes nothing.
        drop(storage);
        let storage = SqliteStorage::open(&url).await.unwrap();
        assert_eq!(storage.indexed_through().await.unwrap(), 3);
        assert_eq!(storage.lookup_key("a", 10).await.unwrap(), [0, 2]);
    }
}
