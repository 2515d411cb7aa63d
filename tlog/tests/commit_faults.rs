//! A batch commit that fails part-way under concurrent load: nothing of a failed batch
//! is acknowledged or left in storage, no batch built on top of the failed tree is
//! committed (the sequencer reloads its state from storage first), and once writes work
//! again the log continues contiguously with a tree that matches storage and is
//! consistent with the tree before the fault. Both backends; the fault is a database
//! trigger installed from a second connection, so the product code runs unchanged.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::{execute, Backend, Server};
use signet_tlog::{log::AppendOutcome, IfMissing, LogConfig, LogError, LogFlavor};
use signet_tlog_core::{
    hash::leaf_hash,
    keys::EcdsaP256Signer,
    proof::{verify_consistency, verify_inclusion},
};

/// The entry at this index fails to insert while the fault is armed (only this one: a
/// batch built on top of the failed one would insert fine if it were wrongly committed).
const FAULT_FROM: u64 = 30;

const SQLITE_FAULT: &[&str] = &[
    "CREATE TABLE fault (armed INTEGER NOT NULL)",
    "INSERT INTO fault VALUES (1)",
    "CREATE TRIGGER inject_fault BEFORE INSERT ON entries \
     WHEN NEW.idx = 30 AND (SELECT armed FROM fault) = 1 \
     BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
];
const PG_FAULT: &[&str] = &[
    "CREATE TABLE fault (armed BOOLEAN NOT NULL)",
    "INSERT INTO fault VALUES (true)",
    "CREATE FUNCTION inject_fault() RETURNS trigger AS $$ BEGIN \
     IF NEW.idx = 30 AND (SELECT armed FROM fault) THEN RAISE EXCEPTION 'injected fault'; \
     END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER inject_fault BEFORE INSERT ON entries FOR EACH ROW \
     EXECUTE FUNCTION inject_fault()",
];

fn leaf(round: &str, i: u64) -> Vec<u8> {
    format!("{round} leaf {i}").into_bytes()
}

async fn failed_commit_fails_what_was_built_on_it(backend: Backend) {
    let config = LogConfig {
        origin_host: "faults.signet.test".to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        // Small batches, so the burst below is many pipelined batches.
        max_batch: 8,
        ..LogConfig::default()
    };
    let key = EcdsaP256Signer::generate_pkcs8().unwrap();
    let s = Server::start_with(&backend, key, IfMissing::Create, &config).await;
    for i in 0..20 {
        s.log
            .append_leaf(leaf("before", i), vec![], None)
            .await
            .unwrap();
    }
    let before = s.log.head();
    assert_eq!(before.size, 20);

    // Arm the fault, then a concurrent burst: every batch that reaches index 30 fails,
    // and nothing may be committed beyond it.
    let is_sqlite = matches!(backend, Backend::Sqlite(_));
    execute(&backend, if is_sqlite { SQLITE_FAULT } else { PG_FAULT }).await;
    let burst: Vec<_> = (0..200)
        .map(|i| {
            let log = s.log.clone();
            tokio::spawn(async move {
                let body = leaf("burst", i);
                (body.clone(), log.append_leaf(body, vec![], None).await)
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    let mut failed = Vec::new();
    for h in burst {
        let (body, result) = h.await.unwrap();
        match result {
            Ok(AppendOutcome::Created(p)) => {
                assert!(
                    p.entry.index < FAULT_FROM,
                    "index {} acknowledged",
                    p.entry.index
                );
                verify_inclusion(
                    p.entry.index,
                    p.head.size,
                    &p.entry.leaf_hash,
                    &p.proof,
                    &p.head.root,
                )
                .expect("acknowledged entries come with a valid proof");
                acknowledged.push((body, p.entry.index));
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(LogError::WriteFailed { .. }) => failed.push(body),
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert!(!failed.is_empty(), "the fault fired");
    assert!(acknowledged.len() <= (FAULT_FROM - 20) as usize);

    // Writes work again: the log continues where storage really is.
    execute(
        &backend,
        &[if is_sqlite {
            "UPDATE fault SET armed = 0"
        } else {
            "UPDATE fault SET armed = false"
        }],
    )
    .await;
    let after: Vec<_> = (0..50)
        .map(|i| {
            let log = s.log.clone();
            tokio::spawn(async move { log.append_leaf(leaf("after", i), vec![], None).await })
        })
        .collect();
    for h in after {
        match h.await.unwrap().expect("appends work again") {
            AppendOutcome::Created(p) => verify_inclusion(
                p.entry.index,
                p.head.size,
                &p.entry.leaf_hash,
                &p.proof,
                &p.head.root,
            )
            .expect("proof after recovery"),
            other => panic!("unexpected {other:?}"),
        }
    }

    // Storage holds exactly the acknowledged entries, contiguously, and the published
    // tree is the tree of storage, consistent with the one before the fault.
    let head = s.log.head();
    assert_eq!(head.size, 20 + acknowledged.len() as u64 + 50);
    assert_eq!(s.log.root_at(head.size).await.unwrap(), head.root);
    let stored = s.log.entries_range(0, head.size + 10).await.unwrap();
    assert_eq!(stored.len() as u64, head.size);
    for (i, e) in stored.iter().enumerate() {
        assert_eq!(e.index, i as u64, "contiguous indexes");
        assert_eq!(e.leaf_hash, leaf_hash(&e.body));
    }
    let bodies: HashSet<&[u8]> = stored.iter().map(|e| e.body.as_slice()).collect();
    for (body, index) in &acknowledged {
        assert_eq!(
            stored[*index as usize].body, *body,
            "acknowledged at its index"
        );
    }
    for body in &failed {
        assert!(
            !bodies.contains(body.as_slice()),
            "a failed entry was stored"
        );
    }
    let c = s.log.consistency(before.size, head.size).await.unwrap();
    verify_consistency(before.size, head.size, &c.proof, &before.root, &head.root)
        .expect("consistent with the tree before the fault");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_failed_commit_fails_what_was_built_on_it() {
    failed_commit_fails_what_was_built_on_it(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_failed_commit_fails_what_was_built_on_it() {
    failed_commit_fails_what_was_built_on_it(Backend::postgres().await).await;
}
