//! The search index behind `POST /api/v1/index/retrieve`, filed behind the sequencer.
//!
//! A batch's transaction stores each entry's search keys in the entry's own row; the
//! `index_keys` table, keyed by the keys themselves, is filed afterwards by the task
//! here, in its own transactions. Filing a key is an insert at a random place in a large
//! B-tree, and doing it inside the batch's transaction made every append wait for it
//! (ARCHITECTURE.md, "Search index"). Rekor v1 also fills its search index (Redis) after
//! the entry is logged.
//!
//! **Invariants.**
//! * Every entry below the stored watermark ([`Storage::indexed_through`]) is in
//!   `index_keys`: the watermark moves in the same transaction as the keys it covers.
//! * Every committed entry at or above it is in [`Pending`] (filed by the sequencer
//!   before it answers the submitters), or is re-filed from its row: at start for
//!   entries committed before a crash, and by the filer for an entry whose commit was
//!   reported failed but took effect (the sequencer resynchronised past it).
//! * A lookup reads [`Pending`] before `index_keys`, so an entry leaving `Pending` (only
//!   after its filing committed) is found in one or the other: a client that got a 201
//!   finds its entry at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::mpsc;

use crate::storage::{IndexRow, Storage, StorageError};

/// Most entries read back from storage per query when re-filing.
const REFILE_CHUNK: u64 = 4096;
/// Most entries filed in one transaction.
const MAX_FILE: usize = 8192;
/// Wait before retrying a filing that failed (the database refused writes, or was down).
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Handle shared by the sequencer (which reports committed entries) and lookups.
#[derive(Clone, Debug)]
pub(crate) struct SearchIndex {
    storage: Storage,
    pending: Arc<Mutex<Pending>>,
    to_filer: mpsc::UnboundedSender<Vec<IndexRow>>,
}

/// Committed entries whose keys may not be filed yet: key → entry indexes.
#[derive(Debug, Default)]
struct Pending {
    by_key: HashMap<String, Vec<u64>>,
}

impl Pending {
    fn add(&mut self, rows: &[IndexRow]) {
        for row in rows {
            for key in &row.keys {
                self.by_key.entry(key.clone()).or_default().push(row.index);
            }
        }
    }

    /// Forgets `rows`, whose filing committed.
    fn remove(&mut self, rows: &[IndexRow]) {
        for row in rows {
            for key in &row.keys {
                if let Some(list) = self.by_key.get_mut(key) {
                    list.retain(|&i| i != row.index);
                    if list.is_empty() {
                        self.by_key.remove(key);
                    }
                }
            }
        }
    }
}

impl SearchIndex {
    /// Files every entry of the `size`-entry log that is still above the stored
    /// watermark (committed before a crash or stop, never filed), then starts the filer.
    /// The filer stops when every handle is gone, after filing what it was sent.
    pub(crate) async fn start(storage: Storage, size: u64) -> Result<Self, StorageError> {
        let mut from = storage.indexed_through().await?;
        if from > size {
            tracing::warn!(
                indexed_through = from,
                size,
                "the search index covers entries the log does not hold; dropping them"
            );
            storage.forget_index_from(size).await?;
            from = size;
        }
        let mut next = from;
        while next < size {
            let rows = read_stored(&storage, next, (size - next).min(REFILE_CHUNK)).await?;
            next += rows.len() as u64;
            storage.index_entries(&rows, next).await?;
        }
        if next > from {
            tracing::info!(
                entries = next - from,
                from,
                "filed entries committed before the last stop into the search index"
            );
        }
        let pending = Arc::new(Mutex::new(Pending::default()));
        let (to_filer, rx) = mpsc::unbounded_channel();
        tokio::spawn(file_forever(storage.clone(), pending.clone(), rx, next));
        Ok(Self {
            storage,
            pending,
            to_filer,
        })
    }

    /// Reports entries whose batch committed. Call before answering their submitters.
    pub(crate) fn committed(&self, rows: Vec<IndexRow>) {
        self.lock().add(&rows);
        // The filer only stops once every handle, this one included, is gone.
        let _ = self.to_filer.send(rows);
    }

    /// Indexes of entries filed under `key`, ascending, at most `limit`.
    pub(crate) async fn lookup(&self, key: &str, limit: u32) -> Result<Vec<u64>, StorageError> {
        // Pending first: see the module's invariants.
        let mut found = self.lock().by_key.get(key).cloned().unwrap_or_default();
        found.extend(self.storage.lookup_key(key, limit).await?);
        found.sort_unstable();
        found.dedup();
        found.truncate(limit as usize);
        Ok(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Stored keys of exactly the entries `[start, start + count)`.
async fn read_stored(
    storage: &Storage,
    start: u64,
    count: u64,
) -> Result<Vec<IndexRow>, StorageError> {
    let rows = storage.stored_keys(start, count).await?;
    let contiguous = rows
        .iter()
        .enumerate()
        .all(|(i, r)| r.index == start + i as u64);
    if rows.len() as u64 != count || !contiguous {
        return Err(StorageError::Corrupt {
            what: format!(
                "entries {start}..{} should all be stored; read {} of them",
                start + count,
                rows.len()
            ),
        });
    }
    Ok(rows)
}

/// The filer: files what the sequencer committed, in index order, many batches per
/// transaction when they queue up behind one that is being filed.
async fn file_forever(
    storage: Storage,
    pending: Arc<Mutex<Pending>>,
    mut rx: mpsc::UnboundedReceiver<Vec<IndexRow>>,
    mut through: u64,
) {
    let mut queued: Vec<Vec<IndexRow>> = Vec::new();
    let mut rows: Vec<IndexRow> = Vec::new();
    loop {
        if rows.is_empty() {
            if rx.recv_many(&mut queued, 64).await == 0 {
                return;
            }
            rows = queued.drain(..).flatten().collect();
        }
        let take = rows.len().min(MAX_FILE);
        let mut filing: Vec<IndexRow> = rows.drain(..take).collect();
        // Already below the watermark: nothing to file (not expected; keeps `pending` clean).
        let (stale, fresh): (Vec<IndexRow>, Vec<IndexRow>) =
            filing.into_iter().partition(|r| r.index < through);
        forget(&pending, &stale);
        filing = fresh;
        if filing.is_empty() {
            continue;
        }
        // Entries committed but never reported (a commit reported failed that had taken
        // effect) lie between the watermark and the first reported one: read them back.
        let first = filing.first().map_or(through, |r| r.index);
        if first > through {
            match read_stored(&storage, through, first - through).await {
                Ok(mut missed) => {
                    missed.append(&mut filing);
                    filing = missed;
                }
                Err(e) => {
                    tracing::warn!(error = %e, through, "search index: cannot read unfiled entries; retrying");
                    requeue(&mut rows, filing);
                    tokio::time::sleep(RETRY_AFTER).await;
                    continue;
                }
            }
        }
        // The watermark covers a contiguous run only: a later gap is read back in the next
        // round, like the one above.
        let run = filing
            .iter()
            .enumerate()
            .take_while(|(i, r)| r.index == through + *i as u64)
            .count();
        let rest = filing.split_off(run);
        requeue(&mut rows, rest);
        let end = through + run as u64;
        match storage.index_entries(&filing, end).await {
            Ok(()) => {
                through = end;
                forget(&pending, &filing);
            }
            Err(e) => {
                tracing::warn!(error = %e, through, entries = filing.len(), "search index: filing failed; retrying");
                requeue(&mut rows, filing);
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
}

fn forget(pending: &Mutex<Pending>, rows: &[IndexRow]) {
    if !rows.is_empty() {
        pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(rows);
    }
}

/// Puts `filing` back in front of `rows`.
fn requeue(rows: &mut Vec<IndexRow>, mut filing: Vec<IndexRow>) {
    filing.append(rows);
    *rows = filing;
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::storage::{test_entry, Batch, NewEntry, StoredCheckpoint};
    use signet_tlog_core::hash::Hash;

    fn key(i: u64) -> String {
        format!("key {i}")
    }

    async fn commit(storage: &Storage, range: std::ops::Range<u64>) -> Vec<IndexRow> {
        // Every entry also shares one key, as entries of one signer do.
        let entries: Vec<NewEntry> = range
            .clone()
            .map(|i| test_entry(i, vec![key(i), "shared".to_owned()]))
            .collect();
        let checkpoint = StoredCheckpoint {
            size: range.end,
            root: Hash::from_slice(&[range.end as u8; 32]).unwrap(),
            note: String::new(),
        };
        storage
            .commit_batch(&Batch {
                entries: &entries,
                nodes: &[],
                checkpoint: &checkpoint,
            })
            .await
            .unwrap();
        entries
            .into_iter()
            .map(|e| IndexRow {
                index: e.index,
                keys: e.index_keys,
            })
            .collect()
    }

    async fn wait_filed(storage: &Storage, through: u64) {
        for _ in 0..500 {
            if storage.indexed_through().await.unwrap() >= through {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the filer never reached {through}");
    }

    /// Entries committed but never reported to the filer (a commit that reported failure
    /// but took effect) are read back from storage and filed before the ones after them;
    /// the watermark never jumps over them.
    #[tokio::test]
    async fn unreported_entries_are_read_back_and_filed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("log.db").display());
        let storage = Storage::open(&url).await.unwrap();
        let index = SearchIndex::start(storage.clone(), 0).await.unwrap();

        let first = commit(&storage, 0..3).await;
        index.committed(first);
        let _unreported = commit(&storage, 3..7).await;
        let last = commit(&storage, 7..9).await;
        index.committed(last);
        wait_filed(&storage, 9).await;

        for i in 0..9 {
            assert_eq!(
                storage.lookup_key(&key(i), 10).await.unwrap(),
                vec![i],
                "entry {i} filed"
            );
            assert_eq!(index.lookup(&key(i), 10).await.unwrap(), vec![i]);
        }
        assert_eq!(
            storage.lookup_key("shared", 100).await.unwrap(),
            (0..9).collect::<Vec<_>>()
        );
        assert_eq!(index.lookup("shared", 4).await.unwrap(), vec![0, 1, 2, 3]);
        assert!(
            index.lock().by_key.is_empty(),
            "nothing stays pending once filed"
        );
    }

    /// Before the filer ran, a lookup finds a reported entry in the pending set; the
    /// stored index alone does not have it yet.
    #[tokio::test]
    async fn reported_entries_are_found_before_they_are_filed() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("log.db").display());
        let storage = Storage::open(&url).await.unwrap();
        // A handle whose filer never runs: only the pending set answers.
        let (to_filer, _rx) = mpsc::unbounded_channel();
        let index = SearchIndex {
            storage: storage.clone(),
            pending: Arc::new(Mutex::new(Pending::default())),
            to_filer,
        };
        let rows = commit(&storage, 0..2).await;
        index.committed(rows);
        assert!(storage.lookup_key(&key(1), 10).await.unwrap().is_empty());
        assert_eq!(index.lookup(&key(1), 10).await.unwrap(), vec![1]);
        assert_eq!(index.lookup("shared", 10).await.unwrap(), vec![0, 1]);
        assert!(index.lookup("other", 10).await.unwrap().is_empty());
    }
}
