//! The search index is filed behind the sequencer (ARCHITECTURE.md, "Search index"): an
//! entry is found by its keys as soon as its append returned, and entries committed but
//! not filed when the log stopped (a crash between a batch's commit and its filing) are
//! filed when it starts again, before it serves; an index ahead of the log is cut back to
//! it. Both backends.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{execute_on_search_index, Backend, Server};
use signet_tlog::{log::AppendOutcome, storage::Storage, IfMissing, LogConfig, LogFlavor};
use signet_tlog_core::keys::EcdsaP256Signer;

const ENTRIES: u64 = 120;
/// The simulated crash loses every filing from this index on.
const LOST_FROM: u64 = 50;

fn own_key(i: u64) -> String {
    format!("email:user{i}@example.com")
}

async fn found_at_once_and_refiled_after_a_crash(backend: Backend) {
    let config = LogConfig {
        origin_host: "search.signet.test".to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        max_batch: 16,
        ..LogConfig::default()
    };
    let key = EcdsaP256Signer::generate_pkcs8().unwrap();
    let s = Server::start_with(&backend, key.clone(), IfMissing::Create, &config).await;

    // Concurrent appends, each looking itself up the moment its append returned.
    let tasks: Vec<_> = (0..ENTRIES)
        .map(|i| {
            let log = s.log.clone();
            tokio::spawn(async move {
                let keys = vec![own_key(i), "issuer:shared".to_owned()];
                let out = log
                    .append_leaf(format!("leaf {i}").into_bytes(), keys, None)
                    .await
                    .unwrap();
                let AppendOutcome::Created(p) = out else {
                    panic!("leaf {i}: {out:?}")
                };
                let found = log.lookup(&own_key(i)).await.unwrap();
                assert_eq!(found, [p.entry.index], "leaf {i} found at once");
                (i, p.entry.index)
            })
        })
        .collect();
    let mut placed = Vec::new();
    for t in tasks {
        placed.push(t.await.unwrap());
    }

    let storage = Storage::open(&backend.url()).await.unwrap();
    let mut filed = 0;
    for _ in 0..500 {
        filed = storage.indexed_through().await.unwrap();
        if filed == ENTRIES {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(filed, ENTRIES, "the filer catches up");
    s.stop().await;

    // The crash: the newest filings are gone (their transactions skip the flush), the
    // entries and their stored keys are not.
    let lost = format!("DELETE FROM index_keys WHERE idx >= {LOST_FROM}");
    let watermark = format!("UPDATE index_state SET indexed_through = {LOST_FROM}");
    execute_on_search_index(&backend, &[&lost, &watermark]).await;
    let (_, late) = placed.iter().find(|(_, idx)| *idx == ENTRIES - 1).unwrap();
    let late_key = own_key(placed.iter().find(|(_, idx)| idx == late).unwrap().0);
    assert!(storage.lookup_key(&late_key, 10).await.unwrap().is_empty());

    let s = Server::start_with(&backend, key, IfMissing::Refuse, &config).await;
    assert_eq!(
        storage.indexed_through().await.unwrap(),
        ENTRIES,
        "filed at start, before serving"
    );
    for (i, index) in &placed {
        assert_eq!(
            storage.lookup_key(&own_key(*i), 10).await.unwrap(),
            [*index]
        );
        assert_eq!(s.log.lookup(&own_key(*i)).await.unwrap(), [*index]);
    }
    assert_eq!(
        s.log.lookup("issuer:shared").await.unwrap(),
        (0..ENTRIES).collect::<Vec<_>>()
    );
    let key = s.stop().await;

    // An index ahead of the log (the log's database restored from an older copy): what
    // it holds beyond the log is dropped at start, so the next entries are filed.
    let ahead = format!(
        "INSERT INTO index_keys (key, idx) VALUES ('{}', {ENTRIES})",
        own_key(999)
    );
    let beyond = format!("UPDATE index_state SET indexed_through = {}", ENTRIES + 10);
    execute_on_search_index(&backend, &[&ahead, &beyond]).await;
    let s = Server::start_with(&backend, key, IfMissing::Refuse, &config).await;
    assert_eq!(storage.indexed_through().await.unwrap(), ENTRIES);
    assert!(storage
        .lookup_key(&own_key(999), 10)
        .await
        .unwrap()
        .is_empty());
    let out = s
        .log
        .append_leaf(b"after".to_vec(), vec![own_key(1000)], None)
        .await
        .unwrap();
    assert!(matches!(out, AppendOutcome::Created(ref p) if p.entry.index == ENTRIES));
    assert_eq!(s.log.lookup(&own_key(1000)).await.unwrap(), [ENTRIES]);
    s.stop().await;
}

#[tokio::test]
async fn sqlite_found_at_once_and_refiled_after_a_crash() {
    found_at_once_and_refiled_after_a_crash(Backend::sqlite()).await;
}

#[tokio::test]
async fn postgres_found_at_once_and_refiled_after_a_crash() {
    found_at_once_and_refiled_after_a_crash(Backend::postgres().await).await;
}
