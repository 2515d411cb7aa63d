//! Grouped entry reads: concurrent reads of single entries by index become one
//! `SELECT ... WHERE idx IN (...)` on one reader connection.
//!
//! Every query to a `SqliteConnection` is a round trip to that connection's worker
//! thread: a send, a wake-up of the worker, a reply, a wake-up of the task. Profiles of
//! `GET /api/v1/log/entries?logIndex=` under load put a third of the server's CPU in
//! those context switches, not in SQLite. The sequencer answers the same problem for
//! writes with group commit; this is the read side: while [`IN_FLIGHT`] groups are being
//! read, new requests queue, and the next group takes all of them (up to
//! [`MAX_GROUP`]). Under light load a group is one entry and nothing waits for a timer.
//!
//! Only single-entry reads by index are grouped; they are what inclusion-proof reads
//! and entry lookups by index cost. A group whose query fails is answered entry by
//! entry, so every caller gets its own, exact error.

use std::{collections::HashMap, sync::Arc};

use sqlx::{QueryBuilder, Sqlite};
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::{entry_from_row, Readers};
use crate::storage::{StorageError, StoredEntry};

/// Most entries read by one query.
const MAX_GROUP: usize = 64;
/// Groups read at once. Two keeps both cores of a small machine busy; more only shrinks
/// the groups, which is what costs CPU.
const IN_FLIGHT: usize = 2;
/// Requests waiting for a group before senders wait too.
const QUEUE: usize = 4096;

type Answer = Result<Option<StoredEntry>, StorageError>;

struct Request {
    index: u64,
    reply: oneshot::Sender<Answer>,
}

/// The sending side; the reading task ends when the last clone of this is dropped.
#[derive(Clone, Debug)]
pub(super) struct GroupedReads {
    tx: mpsc::Sender<Request>,
}

impl GroupedReads {
    /// Starts the task that reads groups through `readers`. Needs a Tokio runtime.
    pub(super) fn start(readers: Arc<Readers>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(readers, rx));
        Self { tx }
    }

    /// The entry at `index`, read together with whatever other reads are waiting.
    pub(super) async fn entry_by_index(&self, index: u64) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { index, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Only reachable if a reading task panicked: they run as long as a sender exists.
fn stopped() -> StorageError {
    StorageError::Database(sqlx::Error::WorkerCrashed)
}

async fn run(readers: Arc<Readers>, mut rx: mpsc::Receiver<Request>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut pending = Vec::with_capacity(MAX_GROUP);
    loop {
        // A free slot first, then the queue: while every slot is busy, requests keep
        // arriving in the channel and the next group grows.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        if rx.recv_many(&mut pending, MAX_GROUP).await == 0 {
            return;
        }
        let group = std::mem::replace(&mut pending, Vec::with_capacity(MAX_GROUP));
        let readers = readers.clone();
        tokio::spawn(async move {
            answer_group(&readers, group).await;
            drop(slot);
        });
    }
}

async fn answer_group(readers: &Readers, group: Vec<Request>) {
    if let [single] = group.as_slice() {
        let answer = read_one(readers, single.index).await;
        if let Some(r) = group.into_iter().next() {
            // A caller that went away needs no answer.
            let _ = r.reply.send(answer);
        }
        return;
    }
    match read_many(readers, &group).await {
        Ok(found) => {
            for r in group {
                // Two requests for one index each get a copy.
                let _ = r.reply.send(Ok(found.get(&r.index).cloned()));
            }
        }
        Err(_) => {
            for r in group {
                let answer = read_one(readers, r.index).await;
                let _ = r.reply.send(answer);
            }
        }
    }
}

async fn read_one(readers: &Readers, index: u64) -> Answer {
    let row = sqlx::query(
        "SELECT idx, leaf_hash, body, integrated_time, set_sig, extra FROM entries WHERE idx = ?",
    )
    .bind(index as i64)
    .fetch_optional(&mut *readers.get().await)
    .await?;
    row.map(|r| entry_from_row(&r)).transpose()
}

async fn read_many(
    readers: &Readers,
    group: &[Request],
) -> Result<HashMap<u64, StoredEntry>, StorageError> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT idx, leaf_hash, body, integrated_time, set_sig, extra FROM entries WHERE idx IN (",
    );
    let mut sep = q.separated(", ");
    for r in group {
        sep.push_bind(r.index as i64);
    }
    q.push(")");
    let rows = q.build().fetch_all(&mut *readers.get().await).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let e = entry_from_row(row)?;
        found.insert(e.index, e);
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::storage::{test_entry, Batch, NewEntry, SqliteStorage, StoredCheckpoint};
    use signet_tlog_core::hash::Hash;

    async fn storage_with(entries: u64) -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("log.db").display());
        let storage = SqliteStorage::open(&url).await.expect("open");
        let rows: Vec<NewEntry> = (0..entries).map(|i| test_entry(i, Vec::new())).collect();
        let checkpoint = StoredCheckpoint {
            size: entries,
            root: Hash::from_slice(&[1; 32]).expect("hash"),
            note: String::new(),
        };
        storage
            .commit_batch(&Batch {
                entries: &rows,
                nodes: &[],
                checkpoint: &checkpoint,
            })
            .await
            .expect("commit");
        (dir, storage)
    }

    /// The grouped query itself, not only the single-entry path a quiet test would take:
    /// a group with a repeated index and an index past the end.
    #[tokio::test]
    async fn one_group_answers_each_request_with_its_own_entry() {
        let (_dir, storage) = storage_with(20).await;
        let wanted = [3u64, 17, 3, 0, 99, 19, 17];
        let mut group = Vec::new();
        let mut answers = Vec::new();
        for index in wanted {
            let (reply, answer) = oneshot::channel();
            group.push(Request { index, reply });
            answers.push(answer);
        }
        answer_group(&storage.readers, group).await;
        for (index, answer) in wanted.into_iter().zip(answers) {
            let got = answer.await.expect("answered").expect("read");
            if index >= 20 {
                assert_eq!(got, None, "index {index} is past the end");
            } else {
                let e = got.unwrap_or_else(|| panic!("entry {index} missing"));
                assert_eq!(e.index, index);
                assert_eq!(e.body, format!("entry {index}").into_bytes());
                assert_eq!(e.integrated_time, 1_700_000_000 + index as i64);
            }
        }
    }
}
