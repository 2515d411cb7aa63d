//! Storage contract tests on both backends: a batch that fails part-way through leaves
//! nothing behind, the writer keeps working afterwards, and the search index is filed
//! from the keys stored with the entries.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::Backend;
use signet_tlog::storage::{Batch, LogMeta, NewEntry, Storage, StoredCheckpoint};
use signet_tlog_core::{
    hash::{leaf_hash, Hash},
    tree::NodeId,
};

fn entry(index: u64, body: &[u8]) -> NewEntry {
    NewEntry {
        index,
        leaf_hash: leaf_hash(body),
        body: body.to_vec(),
        integrated_time: 1_700_000_000,
        set: Some(vec![0x30, 0x00]),
        extra: (index % 2 == 1).then(|| format!("record {index}").into_bytes()),
        index_keys: vec![format!("sha256:{index:064x}")],
    }
}

fn checkpoint(size: u64) -> StoredCheckpoint {
    StoredCheckpoint {
        size,
        root: Hash::from_slice(&[size as u8; 32]).unwrap(),
        note: format!("checkpoint {size}\n"),
    }
}

/// An empty log with tree ID `tree_id` in a fresh database.
async fn new_log(backend: &Backend, tree_id: u64) -> Storage {
    let storage = Storage::open(&backend.url()).await.expect("open");
    let meta = LogMeta {
        tree_id,
        origin: format!("signet.test - {tree_id}"),
    };
    storage
        .create_log(&meta, &checkpoint(0))
        .await
        .expect("create");
    storage
}

async fn failed_batch_leaves_nothing(backend: Backend) {
    let storage = new_log(&backend, 7).await;
    let first = [entry(0, b"zero"), entry(1, b"one")];
    storage
        .commit_batch(&Batch {
            entries: &first,
            nodes: &[(NodeId::new(1, 0), Hash::from_slice(&[9; 32]).unwrap())],
            checkpoint: &checkpoint(2),
        })
        .await
        .expect("first batch");

    // Index 2 is new, but index 3 repeats the leaf of index 0: UNIQUE(leaf_hash) fails
    // the batch after its first rows were inserted.
    let bad = [entry(2, b"two"), entry(3, b"zero")];
    let err = storage
        .commit_batch(&Batch {
            entries: &bad,
            nodes: &[],
            checkpoint: &checkpoint(4),
        })
        .await;
    assert!(
        err.is_err(),
        "a batch violating UNIQUE(leaf_hash) must fail"
    );
    assert!(storage.entry_by_index(2).await.expect("read").is_none());
    assert!(storage.entry_by_index(3).await.expect("read").is_none());
    assert!(storage.checkpoint_at(4).await.expect("read").is_none());
    assert_eq!(
        storage
            .latest_checkpoint()
            .await
            .expect("read")
            .unwrap()
            .size,
        2
    );
    assert!(storage
        .lookup_key(&format!("sha256:{:064x}", 2), 10)
        .await
        .expect("lookup")
        .is_empty());

    // The writer is usable again, and the batch lands whole.
    let good = [entry(2, b"two"), entry(3, b"three")];
    storage
        .commit_batch(&Batch {
            entries: &good,
            nodes: &[(NodeId::new(1, 1), Hash::from_slice(&[8; 32]).unwrap())],
            checkpoint: &checkpoint(4),
        })
        .await
        .expect("retry");
    let stored = storage.entry_by_index(3).await.expect("read").unwrap();
    assert_eq!(stored.body, b"three");
    assert_eq!(stored.set.as_deref(), Some(&[0x30u8, 0x00][..]));
    assert_eq!(stored.extra.as_deref(), Some(&b"record 3"[..]));
    let even = storage.entry_by_index(2).await.expect("read").unwrap();
    assert_eq!(even.extra, None);
    let found = storage
        .leaf_indexes(&[leaf_hash(b"zero"), leaf_hash(b"three"), leaf_hash(b"none")])
        .await
        .expect("leaf lookup");
    assert_eq!(found.len(), 2);
    assert_eq!(found[&leaf_hash(b"zero")], 0);
    assert_eq!(found[&leaf_hash(b"three")], 3);
    assert_eq!(
        storage
            .latest_checkpoint()
            .await
            .expect("read")
            .unwrap()
            .size,
        4
    );

    // Each entry's search keys are in its row; `index_keys` is filed separately, and its
    // watermark moves with it.
    let key2 = format!("sha256:{:064x}", 2);
    assert_eq!(storage.indexed_through().await.expect("watermark"), 0);
    let rows = storage.stored_keys(0, 4).await.expect("stored keys");
    assert_eq!(
        rows.iter().map(|r| r.index).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(rows[2].keys, vec![key2.clone()]);
    assert!(storage
        .lookup_key(&key2, 10)
        .await
        .expect("lookup")
        .is_empty());
    storage.index_entries(&rows, 4).await.expect("file");
    assert_eq!(storage.indexed_through().await.expect("watermark"), 4);
    assert_eq!(storage.lookup_key(&key2, 10).await.expect("lookup"), [2]);
    // Filing again is harmless, and the watermark never moves back.
    storage
        .index_entries(&rows[..1], 1)
        .await
        .expect("file again");
    assert_eq!(storage.indexed_through().await.expect("watermark"), 4);
    assert_eq!(storage.lookup_key(&key2, 10).await.expect("lookup"), [2]);
}

#[tokio::test]
async fn sqlite_failed_batch_leaves_nothing() {
    failed_batch_leaves_nothing(Backend::sqlite()).await;
}

#[tokio::test]
async fn postgres_failed_batch_leaves_nothing() {
    failed_batch_leaves_nothing(Backend::postgres().await).await;
}

/// Many concurrent reads by index (grouped into shared queries on SQLite): every caller
/// gets the entry it asked for, repeated and missing indexes included.
async fn concurrent_reads_get_their_own_entries(backend: Backend) {
    const SIZE: u64 = 300;
    let storage = new_log(&backend, 9).await;
    let bodies: Vec<Vec<u8>> = (0..SIZE)
        .map(|i| format!("body {i}").into_bytes())
        .collect();
    let rows: Vec<NewEntry> = (0..SIZE).map(|i| entry(i, &bodies[i as usize])).collect();
    storage
        .commit_batch(&Batch {
            entries: &rows,
            nodes: &[],
            checkpoint: &checkpoint(SIZE),
        })
        .await
        .expect("commit");
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..2_000u64 {
        let storage = storage.clone();
        // Every index several times, interleaved, plus indexes past the end.
        let index = (n * 7919) % (SIZE + 20);
        tasks.spawn(async move { (index, storage.entry_by_index(index).await) });
    }
    let mut seen = 0;
    while let Some(done) = tasks.join_next().await {
        let (index, read) = done.expect("task");
        let read = read.expect("read");
        if index >= SIZE {
            assert_eq!(read, None, "index {index} is past the end");
        } else {
            let e = read.unwrap_or_else(|| panic!("entry {index} missing"));
            assert_eq!(e.index, index);
            assert_eq!(e.body, format!("body {index}").into_bytes());
        }
        seen += 1;
    }
    assert_eq!(seen, 2_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_reads_get_their_own_entries() {
    concurrent_reads_get_their_own_entries(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_reads_get_their_own_entries() {
    concurrent_reads_get_their_own_entries(Backend::postgres().await).await;
}
