//! Every proof the log serves, at every tree size up to past four 16-leaf blocks,
//! verifies against an independently computed root — with the caches warm (nodes fed
//! by the sequencer, right-edge nodes from the published head's frontier) and after a
//! restart (every cache empty, the frontier reloaded from storage). Both backends.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{mth, Backend, Server};
use signet_tlog::{log::AppendOutcome, IfMissing, LogConfig, LogFlavor};
use signet_tlog_core::{
    hash::{leaf_hash, Hash},
    keys::EcdsaP256Signer,
    proof::{verify_consistency, verify_inclusion},
};

const LEAVES: u64 = 70;

async fn check_all_proofs(s: &Server, leaves: &[Hash]) {
    let head = s.log.head();
    let size = head.size;
    assert_eq!(size, leaves.len() as u64);
    assert_eq!(head.root, mth(leaves), "head root at size {size}");
    for index in 0..size {
        let p = s.log.entry_by_index(index).await.expect("read entry");
        assert_eq!(p.entry.leaf_hash, leaves[index as usize]);
        verify_inclusion(index, size, &p.entry.leaf_hash, &p.proof, &head.root)
            .unwrap_or_else(|e| panic!("inclusion of {index} in {size}: {e}"));
    }
    for first in 1..=size {
        let answer = s.log.consistency(first, size).await.expect("consistency");
        assert_eq!(answer.root, head.root);
        let old = mth(&leaves[..first as usize]);
        verify_consistency(first, size, &answer.proof, &old, &head.root)
            .unwrap_or_else(|e| panic!("consistency {first} -> {size}: {e}"));
    }
    // Proofs against an older size use its own right edge, not the head's.
    for older in [1, size / 2, size.saturating_sub(1)] {
        if older == 0 || older >= size {
            continue;
        }
        let root = mth(&leaves[..older as usize]);
        for index in [0, older / 2, older - 1] {
            let path = s
                .log
                .inclusion_proof(index, older)
                .await
                .expect("old proof");
            verify_inclusion(index, older, &leaves[index as usize], &path, &root)
                .unwrap_or_else(|e| panic!("inclusion of {index} in older {older}: {e}"));
        }
        let answer = s.log.consistency(1, older).await.expect("old consistency");
        assert_eq!(answer.root, root, "root of older size {older}");
    }
}

async fn proofs_verify_at_every_size(backend: Backend) {
    let config = LogConfig {
        origin_host: "ct.signet.test".to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        ..LogConfig::default()
    };
    let key = EcdsaP256Signer::generate_pkcs8().expect("keygen");
    let s = Server::start_with(&backend, key, IfMissing::Create, &config).await;
    let mut leaves = Vec::new();
    for i in 0..LEAVES {
        let input = format!("leaf {i}").into_bytes();
        match s.log.append_leaf(input.clone(), vec![], None).await {
            Ok(AppendOutcome::Created(_)) => leaves.push(leaf_hash(&input)),
            other => panic!("append {i}: {other:?}"),
        }
        check_all_proofs(&s, &leaves).await;
    }
    let key = s.stop().await;
    let s = Server::start_with(&backend, key, IfMissing::Refuse, &config).await;
    check_all_proofs(&s, &leaves).await;
    s.stop().await;
}

#[tokio::test]
async fn sqlite_proofs_verify_at_every_size() {
    proofs_verify_at_every_size(Backend::sqlite()).await;
}

#[tokio::test]
async fn postgres_proofs_verify_at_every_size() {
    proofs_verify_at_every_size(Backend::postgres().await).await;
}
